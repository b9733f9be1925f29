using System;
using FusedLayers.Execution;
using FusedLayers.Kernels;

namespace FusedLayers.Tests.Kernels;

/// <summary>After warm-up, the pooling and dropout kernels allocate nothing on the calling thread (scratch rows come from the array pools, work items are cached).</summary>
[Collection(nameof(KernelAllocationCollection))]
public sealed class PoolDropoutAllocationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Pool_and_dropout_kernels_allocate_nothing_after_warm_up(int threads)
    {
        const int batch = 4;
        var g = new Pool2dGeometry(16, 32, 32, 3, 2, 1);
        var random = new Random(5);
        float[] x = Numerics.RandomData.Uniform(random, batch * g.Channels * g.InputPlaneLength);
        var y = new float[batch * g.Channels * g.OutputPlaneLength];
        var indices = new int[y.Length];
        var dx = new float[x.Length];
        var mask = new float[x.Length];
        var pooled = new float[batch * g.Channels];
        KernelContext context = KernelContext.Create(KernelIsa.Avx512, threads);
        ulong step = 0;

        void Step()
        {
            PoolKernels.MaxForward(context, g, batch, x, y, indices);
            PoolKernels.MaxBackward(context, g, batch, y, indices, dx);
            PoolKernels.AvgForward(context, g, batch, false, x, y);
            PoolKernels.AvgBackward(context, g, batch, true, y, dx);
            PoolKernels.GlobalAvgForward(context, batch, g.Channels, g.InputPlaneLength, x, pooled);
            PoolKernels.GlobalAvgBackward(context, batch, g.Channels, g.InputPlaneLength, pooled, dx);
            DropoutKernels.Forward(context, 0.5, 7, step++, x, dx, mask);
            DropoutKernels.Backward(context, dx, mask, dx);
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
