using System;
using FusedLayers.Execution;
using FusedLayers.Kernels;

namespace FusedLayers.Tests.Kernels;

/// <summary>After warm-up, depthwise, grouped and dilated convolutions allocate nothing on the calling thread (run alone, see <see cref="KernelAllocationCollection"/>).</summary>
[Collection(nameof(KernelAllocationCollection))]
public sealed class GroupedConvAllocationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Grouped_depthwise_and_dilated_kernels_allocate_nothing_after_warm_up(int threads)
    {
        Conv2dGeometry[] geometries =
        [
            new(16, 16, 28, 28, 3, 1, 1, 1, 16), // depthwise
            new(16, 32, 28, 28, 3, 2, 1, 1, 16), // depthwise, stride 2, multiplier 2
            new(8, 16, 14, 14, 3, 1, 2, 2, 4),   // grouped, dilated, shifted planes
            new(8, 8, 15, 15, 3, 2, 2, 2, 2),    // grouped, dilated, im2col
        ];
        const int batch = 2;
        KernelContext context = KernelContext.Create(KernelIsa.Avx512, threads);
        var random = new Random(5);
        var steps = new Action[geometries.Length];
        for (int i = 0; i < geometries.Length; i++)
        {
            Conv2dGeometry g = geometries[i];
            float[] x = Numerics.RandomData.Uniform(random, batch * g.InputSampleLength);
            float[] w = Numerics.RandomData.Uniform(random, g.WeightLength);
            float[] b = Numerics.RandomData.Uniform(random, g.OutChannels);
            var y = new float[batch * g.OutputSampleLength];
            var dx = new float[x.Length];
            var dw = new float[w.Length];
            var db = new float[b.Length];
            var mean = new float[g.OutChannels];
            var variance = new float[g.OutChannels];
            steps[i] = () =>
            {
                Conv2dKernels.Forward(context, g, batch, x, w, b, y, false, mean, variance);
                Conv2dKernels.Forward(context, g, batch, x, w, b, y, Activation.SiLU, default, default);
                Conv2dKernels.BackwardParameters(context, g, batch, x, y, dw, db);
                Conv2dKernels.BackwardInput(context, g, batch, y, w, dx);
            };
        }

        foreach (Action step in steps)
        {
            step();
            step();
        }

        AllocationAssert.SteadyStateAllocatesNothing(() =>
        {
            foreach (Action step in steps)
            {
                step();
            }
        });
    }
}
