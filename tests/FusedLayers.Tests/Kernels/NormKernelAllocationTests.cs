using System;
using FusedLayers.Execution;
using FusedLayers.Kernels;

namespace FusedLayers.Tests.Kernels;

/// <summary>
/// After warm-up, <see cref="RowNormKernels"/> and a BatchRenorm step through <see cref="BatchRenormKernels"/>
/// allocate nothing on the calling thread. Runs in the non-parallel allocation collection (the array pools
/// are shared with concurrently running tests).
/// </summary>
[Collection(nameof(KernelAllocationCollection))]
public sealed class NormKernelAllocationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Normalisation_kernels_allocate_nothing_after_warm_up(int threads)
    {
        KernelContext context = KernelContext.Create(KernelIsa.Avx512, threads);
        var random = new Random(9);

        // GroupNorm(8, 32) on [4, 32, 17 * 19] (parallel, plane partials) and LayerNorm(1000) on [40, 1000] (column pass).
        const int n = 4, c = 32, s = 17 * 19, g = 8;
        float[] x = Numerics.RandomData.Uniform(random, n * c * s);
        float[] dy = Numerics.RandomData.Uniform(random, x.Length);
        float[] gamma = Numerics.RandomData.Uniform(random, c, 0.5, 1.0); // also the moving std of the renorm step: positive
        float[] beta = Numerics.RandomData.Uniform(random, c);
        var y = new float[x.Length];
        var dx = new float[x.Length];
        var rows = new float[n * g];
        var inv = new float[n * g];
        var variance = new float[n * g];
        var dGamma = new float[c];
        var dBeta = new float[c];
        const int ln = 40, d = 1000;
        float[] lx = Numerics.RandomData.Uniform(random, ln * d);
        float[] lw = Numerics.RandomData.Uniform(random, d);
        var ly = new float[lx.Length];
        var ldx = new float[lx.Length];
        var lmean = new float[ln];
        var linv = new float[ln];
        var ldw = new float[d];
        var channelScratch = new float[9 * c];
        var runningMean = new float[c];
        var runningVar = new float[c];
        var instanceMean = new float[n * c];
        var instanceVar = new float[n * c];
        var instanceInv = new float[n * c];

        void Step()
        {
            RowNormKernels.Forward(context, n, c, s, g, x, gamma, beta, 1e-5, y, rows, inv, variance);
            RowNormKernels.Backward(context, n, c, s, g, dy, x, rows, inv, gamma, dx, dGamma, dBeta);
            RowNormKernels.Forward(context, ln, d, 1, 1, lx, lw, default, 1e-5, ly, lmean, linv, default);
            RowNormKernels.Backward(context, ln, d, 1, 1, lx, lx, lmean, linv, lw, ldx, ldw, default);
            RowNormKernels.Forward(context, n, c, s, c, x, default, default, 1e-5, y, instanceMean, instanceInv, instanceVar);
            RowNormKernels.UpdateInstanceRunningStatistics(n, c, s, instanceMean, instanceVar, 0.1, runningMean, runningVar);
            RenormStep(context, n, c, s, x, dy, gamma, beta, y, dx, channelScratch);
        }

        Step();
        Step();
        AllocationAssert.SteadyStateAllocatesNothing(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                Step();
            }
        });
    }

    private static void RenormStep(
        in KernelContext context, int n, int c, int s, float[] x, float[] dy, float[] gamma, float[] beta, float[] y, float[] dx, float[] scratch)
    {
        Span<float> mean = scratch.AsSpan(0, c), variance = scratch.AsSpan(c, c), invStd = scratch.AsSpan(2 * c, c);
        Span<float> r = scratch.AsSpan(3 * c, c), d = scratch.AsSpan(4 * c, c), scale = scratch.AsSpan(5 * c, c), shift = scratch.AsSpan(6 * c, c);
        Span<float> sumDy = scratch.AsSpan(7 * c, c), sumDyXhat = scratch.AsSpan(8 * c, c);
        BatchNormKernels.Statistics(context, n, c, s, x, mean, variance);
        BatchRenormKernels.TrainingScaleShift(mean, variance, gamma, gamma, gamma, beta, 1e-5, 3, 5, invStd, r, d, scale, shift);
        BatchNormKernels.Apply(context, n, c, s, x, scale, shift, relu: false, y);
        BatchNormKernels.BackwardReduce(context, n, c, s, dy, default, x, mean, invStd, sumDy, sumDyXhat);
        BatchRenormKernels.EffectiveGamma(gamma, r, scale);
        BatchNormKernels.BackwardInput(context, n, c, s, dy, default, x, mean, invStd, scale, sumDy, sumDyXhat, dx);
    }
}
