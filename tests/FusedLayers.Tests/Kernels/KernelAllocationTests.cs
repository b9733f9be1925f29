using System;
using FusedLayers.Execution;
using FusedLayers.Kernels;

namespace FusedLayers.Tests.Kernels;

/// <summary>Runs alone: the shared array pools are per thread first, and other tests renting concurrently could take an array back.</summary>
[CollectionDefinition(nameof(KernelAllocationCollection), DisableParallelization = true)]
public sealed class KernelAllocationCollection
{
}

/// <summary>After warm-up, the kernels allocate nothing on the calling thread (scratch comes from the array pools, work items are cached).</summary>
[Collection(nameof(KernelAllocationCollection))]
public sealed class KernelAllocationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Seed_model_sized_kernels_allocate_nothing_after_warm_up(int threads)
    {
        // SeedModel: Conv2d(3, 64, 3, 1, 1) on 3x32x32; LinearBnReluModel: Linear(20, 16).
        var conv = new Conv2dGeometry(3, 64, 32, 32, 3, 1, 1);
        var linear = new LinearGeometry(20, 16);
        const int batch = 4;
        var random = new Random(3);
        float[] x = Numerics.RandomData.Uniform(random, batch * conv.InputSampleLength);
        float[] w = Numerics.RandomData.Uniform(random, conv.WeightLength);
        float[] b = Numerics.RandomData.Uniform(random, conv.OutChannels);
        var y = new float[batch * conv.OutputSampleLength];
        var dx = new float[x.Length];
        var dw = new float[w.Length];
        var db = new float[b.Length];
        var mean = new float[conv.OutChannels];
        var variance = new float[conv.OutChannels];
        float[] lx = Numerics.RandomData.Uniform(random, batch * 20);
        float[] lw = Numerics.RandomData.Uniform(random, 16 * 20);
        float[] lb = Numerics.RandomData.Uniform(random, 16);
        var ly = new float[batch * 16];
        var ldx = new float[lx.Length];
        var ldw = new float[lw.Length];
        var ldb = new float[lb.Length];
        var lmean = new float[16];
        var lvar = new float[16];
        KernelContext context = KernelContext.Create(KernelIsa.Avx512, threads);

        void Step()
        {
            Conv2dKernels.Forward(context, conv, batch, x, w, b, y, false, mean, variance);
            Conv2dKernels.Forward(context, conv, batch, x, w, b, y, true, default, default);
            Conv2dKernels.BackwardParameters(context, conv, batch, x, y, dw, db);
            Conv2dKernels.BackwardInput(context, conv, batch, y, w, dx);
            LinearKernels.Forward(context, linear, batch, lx, lw, lb, ly, false, lmean, lvar);
            LinearKernels.Forward(context, linear, batch, lx, lw, lb, ly, true, default, default);
            LinearKernels.BackwardParameters(context, linear, batch, lx, ly, ldw, ldb);
            LinearKernels.BackwardInput(context, linear, batch, ly, lw, ldx);
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
}
