using System;
using System.Collections.Generic;
using FusedLayers.Execution;
using FusedLayers.Kernels;
using FusedLayers.Tests.Numerics;

namespace FusedLayers.Tests.Kernels.Winograd;

/// <summary>
/// Winograd F(2x2, 3x3) and F(4x4, 3x3) forced through <see cref="Conv2dKernels"/> on both vector paths (the
/// AVX-512 one forced, in software where the CPU lacks it) and 1 and 2 threads, against the float64 reference:
/// odd channel counts, planes that leave partial tiles on the right and bottom, paddings 0..3 (3 makes the output
/// larger than the input), several tile batches, with and without bias; output, ReLU output and BatchNorm
/// statistics. Tolerance: <c>max|a - r| / max|r| &lt;= 1e-4</c>.
/// </summary>
public sealed class WinogradKernelTests
{
    /// <summary>Theory rows: vector path x threads x variant x case.</summary>
    public static TheoryData<KernelIsa, int, ConvAlgorithm, int> Grid
    {
        get
        {
            var data = new TheoryData<KernelIsa, int, ConvAlgorithm, int>();
            foreach (KernelIsa isa in new[] { KernelIsa.Avx2, KernelIsa.Avx512 })
            {
                foreach (int threads in new[] { 1, 2 })
                {
                    foreach (ConvAlgorithm algorithm in new[] { ConvAlgorithm.Winograd2x2, ConvAlgorithm.Winograd4x4 })
                    {
                        for (int c = 0; c < WinogradCase.Count; c++)
                        {
                            data.Add(isa, threads, algorithm, c);
                        }
                    }
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void Forward_with_statistics_and_with_relu_matches_the_reference(KernelIsa isa, int threads, ConvAlgorithm algorithm, int index)
    {
        if (!KernelPaths.CanForce(isa))
        {
            // No vector path here: the rule must send every request to the direct (scalar) path.
            Assert.Equal(ConvAlgorithmKind.Direct, Conv2dKernels.Choose(KernelIsa.Scalar, algorithm, WinogradCase.Get(index).Geometry));
            return;
        }

        WinogradCase c = WinogradCase.Get(index);
        Conv2dGeometry g = c.Geometry;
        Assert.NotEqual(ConvAlgorithmKind.Direct, Conv2dKernels.Choose(isa, algorithm, g));
        string label = $"{isa} x{threads} {algorithm} {c}";
        var output = new float[c.Output.Length];
        var mean = new float[g.OutChannels];
        var variance = new float[g.OutChannels];
        output.AsSpan().Fill(float.NaN);
        Conv2dKernels.ForwardOn(isa, threads, g, c.Batch, c.Input, c.Weight, c.Bias, output, Activation.Identity, mean, variance, algorithm);
        Compare.Close($"{label}: output", c.Output, output);
        Compare.Close($"{label}: mean", c.Mean, mean);
        Compare.Close($"{label}: variance", c.Variance, variance);

        output.AsSpan().Fill(float.NaN);
        Conv2dKernels.ForwardOn(isa, threads, g, c.Batch, c.Input, c.Weight, c.Bias, output, Activation.ReLU, default, default, algorithm);
        Compare.Close($"{label}: relu output", c.ReluOutput, output);
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void Backward_input_matches_the_reference(KernelIsa isa, int threads, ConvAlgorithm algorithm, int index)
    {
        WinogradCase c = WinogradCase.Get(index);
        if (!KernelPaths.CanForce(isa))
        {
            return;
        }

        var gradInput = new float[c.Input.Length];
        gradInput.AsSpan().Fill(float.NaN); // overwritten, not accumulated
        Conv2dKernels.BackwardInputOn(isa, threads, c.Geometry, c.Batch, c.GradOutput, c.Weight, gradInput, algorithm);
        Compare.Close($"{isa} x{threads} {algorithm} {c}: grad input", c.GradInput, gradInput);
    }

    [Theory]
    [InlineData(ConvAlgorithm.Winograd2x2)]
    [InlineData(ConvAlgorithm.Winograd4x4)]
    public void A_smooth_activation_epilogue_matches_the_direct_path(ConvAlgorithm algorithm)
    {
        KernelIsa isa = KernelContext.BestSupported;
        if (isa == KernelIsa.Scalar)
        {
            return;
        }

        WinogradCase c = WinogradCase.Get(1);
        var direct = new float[c.Output.Length];
        var winograd = new float[c.Output.Length];
        Conv2dKernels.ForwardOn(isa, 2, c.Geometry, c.Batch, c.Input, c.Weight, c.Bias, direct, Activation.SiLU, default, default, ConvAlgorithm.Direct);
        Conv2dKernels.ForwardOn(isa, 2, c.Geometry, c.Batch, c.Input, c.Weight, c.Bias, winograd, Activation.SiLU, default, default, algorithm);
        Compare.Close($"{algorithm} SiLU", direct, winograd);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Results_are_bit_identical_across_runs_and_thread_counts(int threads)
    {
        KernelIsa isa = KernelContext.BestSupported;
        if (isa == KernelIsa.Scalar)
        {
            return;
        }

        WinogradCase c = WinogradCase.Get(4);
        var first = new float[c.Output.Length];
        var again = new float[c.Output.Length];
        Conv2dKernels.ForwardOn(isa, 1, c.Geometry, c.Batch, c.Input, c.Weight, c.Bias, first, Activation.ReLU, default, default, ConvAlgorithm.Winograd4x4);
        for (int repeat = 0; repeat < 2; repeat++)
        {
            Conv2dKernels.ForwardOn(isa, threads, c.Geometry, c.Batch, c.Input, c.Weight, c.Bias, again, Activation.ReLU, default, default, ConvAlgorithm.Winograd4x4);
            Assert.True(first.AsSpan().SequenceEqual(again), "output");
        }
    }

    [Fact]
    public void Changed_weights_are_seen_by_the_next_call()
    {
        KernelIsa isa = KernelContext.BestSupported;
        if (isa == KernelIsa.Scalar)
        {
            return;
        }

        // The same array, changed in place between calls (as an optimizer step or a BatchNorm refold does).
        WinogradCase c = WinogradCase.Get(0);
        float[] weight = (float[])c.Weight.Clone();
        var first = new float[c.Output.Length];
        var second = new float[c.Output.Length];
        var direct = new float[c.Output.Length];
        Conv2dKernels.ForwardOn(isa, 1, c.Geometry, c.Batch, c.Input, weight, c.Bias, first, Activation.Identity, default, default, ConvAlgorithm.Winograd4x4);
        Compare.Close("before the change", c.Output, first);
        for (int i = 0; i < weight.Length; i += 7)
        {
            weight[i] = -2f * weight[i];
        }

        Conv2dKernels.ForwardOn(isa, 1, c.Geometry, c.Batch, c.Input, weight, c.Bias, second, Activation.Identity, default, default, ConvAlgorithm.Winograd4x4);
        Conv2dKernels.ForwardOn(isa, 1, c.Geometry, c.Batch, c.Input, weight, c.Bias, direct, Activation.Identity, default, default, ConvAlgorithm.Direct);
        Compare.Close("after the change", direct, second);
    }

    [Theory]
    [InlineData(ConvAlgorithm.Winograd2x2, float.NaN)]
    [InlineData(ConvAlgorithm.Winograd4x4, float.NaN)]
    [InlineData(ConvAlgorithm.Winograd4x4, float.PositiveInfinity)]
    public void A_non_finite_input_gives_non_finite_outputs_exactly_where_direct_does(ConvAlgorithm algorithm, float bad)
    {
        KernelIsa isa = KernelContext.BestSupported;
        if (isa == KernelIsa.Scalar)
        {
            return;
        }

        // A tile transform would spread the value over its whole tile (and turn inf - inf into NaN); the kernel must
        // notice and run the direct algorithm instead, statistics included.
        WinogradCase c = WinogradCase.Get(4);
        float[] input = (float[])c.Input.Clone();
        input[(c.Geometry.InputSampleLength) + (5 * c.Geometry.InWidth) + 7] = bad;
        var direct = new float[c.Output.Length];
        var winograd = new float[c.Output.Length];
        var mean = new float[c.Geometry.OutChannels];
        var variance = new float[c.Geometry.OutChannels];
        Conv2dKernels.ForwardOn(isa, 2, c.Geometry, c.Batch, input, c.Weight, c.Bias, direct, Activation.Identity, default, default, ConvAlgorithm.Direct);
        Conv2dKernels.ForwardOn(isa, 2, c.Geometry, c.Batch, input, c.Weight, c.Bias, winograd, Activation.Identity, mean, variance, algorithm);
        for (int i = 0; i < direct.Length; i++)
        {
            Assert.True(float.IsFinite(direct[i]) == float.IsFinite(winograd[i]), $"element {i}: direct {direct[i]}, {algorithm} {winograd[i]}");
        }

        Assert.Equal(direct, winograd);
    }

    [Theory]
    [InlineData(ConvAlgorithm.Winograd2x2)]
    [InlineData(ConvAlgorithm.Winograd4x4)]
    public void Layers_Winograd_does_not_apply_to_run_direct(ConvAlgorithm algorithm)
    {
        var shapes = new List<Conv2dGeometry>
        {
            new(8, 8, 12, 12, 5, 1, 2),            // 5x5
            new(8, 8, 12, 12, 3, 2, 1),            // stride 2
            new(8, 8, 12, 12, 3, 1, 2, 2),         // dilation 2
            new(8, 8, 12, 12, 3, 1, 1, 1, 2),      // groups 2
            new(8, 8, 12, 12, 3, 1, 1, 1, 8),      // depthwise
        };
        foreach (Conv2dGeometry g in shapes)
        {
            Assert.Equal(ConvAlgorithmKind.Direct, Conv2dKernels.Choose(KernelIsa.Avx512, algorithm, g));
        }

        Assert.Equal(ConvAlgorithmKind.Direct, Conv2dKernels.Choose(KernelIsa.Scalar, algorithm, new Conv2dGeometry(8, 8, 12, 12, 3, 1, 1)));
    }
}
