using System;
using System.Collections.Generic;
using FusedLayers.Execution;
using FusedLayers.Kernels;
using FusedLayers.Reference;
using FusedLayers.Tests.Numerics;

namespace FusedLayers.Tests.Kernels;

/// <summary>
/// Dilation and groups in <see cref="Conv2dKernels"/> beyond what <see cref="ConvKernelTests"/> checks for every
/// case (forward with statistics and ReLU, the three gradients, every path, 1 and 2 threads): the other activation
/// epilogues, reproducibility, PyTorch's output size and the argument checks. The cases are
/// <see cref="ConvKernelCase"/> 11..29 (depthwise, grouped, dilated). Tolerance as there:
/// <c>max|a - r| / max|r| &lt;= 1e-4</c> against the float64 <see cref="ReferenceConv2d"/>.
/// </summary>
public sealed class GroupedConvKernelTests
{
    /// <summary>Depthwise (plain, with a channel multiplier, strided and dilated), grouped on planes and on im2col, dilated only.</summary>
    private static readonly int[] EpilogueCases = [11, 13, 15, 21, 22, 28];

    /// <summary>Theory rows: every path x 1 and 2 threads x <see cref="EpilogueCases"/>.</summary>
    public static TheoryData<KernelIsa, int, int> EpilogueGrid
    {
        get
        {
            var data = new TheoryData<KernelIsa, int, int>();
            foreach (KernelIsa isa in KernelPaths.All)
            {
                foreach (int threads in new[] { 1, 2 })
                {
                    foreach (int index in EpilogueCases)
                    {
                        data.Add(isa, threads, index);
                    }
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(EpilogueGrid))]
    public void Activation_epilogues_match_the_reference(KernelIsa isa, int threads, int index)
    {
        ConvKernelCase c = ConvKernelCase.Get(index);
        Activation[] activations = [Activation.SiLU, Activation.LeakyReLU(0.15f), Activation.GeluTanh, Activation.ReLU6, Activation.Sigmoid];
        foreach (KernelRun run in KernelPaths.Runs(isa, threads, out KernelContext context))
        {
            foreach (Activation activation in activations)
            {
                var expected = new double[c.Output.Length];
                for (int i = 0; i < expected.Length; i++)
                {
                    expected[i] = ReferenceActivation.Value(activation, c.Output[i]);
                }

                var output = new float[c.Output.Length];
                output.AsSpan().Fill(float.NaN);
                if (run.Forced)
                {
                    Conv2dKernels.ForwardOn(run.Isa, threads, c.Geometry, c.Batch, c.Input, c.Weight, c.Bias, output, activation, default, default);
                }
                else
                {
                    Conv2dKernels.Forward(context, c.Geometry, c.Batch, c.Input, c.Weight, c.Bias, output, activation, default, default);
                }

                Compare.Close($"{run.Label} {c}: {activation.Kind} output", expected, output);
            }
        }
    }

    [Theory]
    [InlineData(KernelIsa.Scalar, 1)]
    [InlineData(KernelIsa.Avx2, 1)]
    [InlineData(KernelIsa.Avx2, 2)]
    [InlineData(KernelIsa.Avx512, 2)]
    public void Grouped_and_depthwise_results_are_bit_identical_run_to_run(KernelIsa isa, int threads)
    {
        KernelIsa run = KernelPaths.CanForce(isa) ? isa : KernelPaths.Expected(isa);
        foreach (int index in new[] { 11, 13, 22, 26 })
        {
            ConvKernelCase c = ConvKernelCase.Get(index);
            AllOutputs first = AllOutputs.Compute(run, threads, c);
            for (int repeat = 0; repeat < 2; repeat++)
            {
                AllOutputs.AssertIdentical($"{run} x{threads} {c}", first, AllOutputs.Compute(run, threads, c));
            }
        }
    }

    [Theory]
    [InlineData(KernelIsa.Avx2)]
    [InlineData(KernelIsa.Avx512)]
    public void Depthwise_results_do_not_depend_on_the_thread_count(KernelIsa isa)
    {
        // The direct kernels give every work item its own planes (or channels), with no cross-item reduction.
        KernelIsa run = KernelPaths.CanForce(isa) ? isa : KernelPaths.Expected(isa);
        foreach (int index in new[] { 11, 13, 14 })
        {
            ConvKernelCase c = ConvKernelCase.Get(index);
            AllOutputs.AssertIdentical($"{run} {c}: 1 vs 2 threads", AllOutputs.Compute(run, 1, c), AllOutputs.Compute(run, 2, c));
        }
    }

    [Theory]
    [InlineData(KernelIsa.Scalar)]
    [InlineData(KernelIsa.Avx2)]
    [InlineData(KernelIsa.Avx512)]
    public void An_empty_depthwise_batch_writes_zero_statistics_and_leaves_gradients_unchanged(KernelIsa isa)
    {
        ConvKernelCase c = ConvKernelCase.Get(13);
        Conv2dGeometry g = c.Geometry;
        KernelIsa run = KernelPaths.CanForce(isa) ? isa : KernelPaths.Expected(isa);
        float[] mean = new float[g.OutChannels];
        float[] variance = new float[g.OutChannels];
        mean.AsSpan().Fill(1f);
        variance.AsSpan().Fill(1f);
        float[] gradWeight = (float[])c.GradWeightStart.Clone();
        float[] gradBias = (float[])c.GradBiasStart.Clone();
        Conv2dKernels.ForwardOn(run, 2, g, 0, default, c.Weight, c.Bias, default, Activation.Identity, mean, variance);
        Conv2dKernels.BackwardInputOn(run, 2, g, 0, default, c.Weight, default);
        Conv2dKernels.BackwardParametersOn(run, 2, g, 0, default, default, gradWeight, gradBias);
        Assert.All(mean, m => Assert.Equal(0f, m));
        Assert.All(variance, v => Assert.Equal(0f, v));
        Assert.Equal(c.GradWeightStart, gradWeight);
        Assert.Equal(c.GradBiasStart, gradBias);
    }

    [Fact]
    public void Output_size_and_weight_length_follow_pytorch()
    {
        foreach (int size in new[] { 1, 5, 8, 13 })
        {
            foreach (int k in new[] { 1, 2, 3, 5 })
            {
                foreach (int s in new[] { 1, 2, 3 })
                {
                    foreach (int d in new[] { 1, 2, 3 })
                    {
                        for (int p = 0; p <= k; p++)
                        {
                            var layer = new ReferenceConv2d("conv", 4, 8, k, s, p, bias: false, d, groups: 2);
                            var g = new Conv2dGeometry(4, 8, size, size + 1, k, s, p, d, 2);
                            Assert.Equal(Math.Max(0, layer.OutputSize(size)), Math.Max(0, g.OutHeight));
                            Assert.Equal(Math.Max(0, layer.OutputSize(size + 1)), Math.Max(0, g.OutWidth));
                            Assert.Equal(layer.Weight.Data.Length, g.WeightLength);
                        }
                    }
                }
            }
        }

        // The seven-argument constructor (what generated code calls) means dilation 1, one group.
        var plain = new Conv2dGeometry(3, 64, 32, 32, 3, 1, 1);
        Assert.Equal(1, plain.Dilation);
        Assert.Equal(1, plain.Groups);
        Assert.Equal(32, plain.OutHeight);
        Assert.Equal(64 * 3 * 9, plain.WeightLength);
    }

    [Fact]
    public void Groups_that_do_not_divide_the_channels_and_bad_dilations_are_rejected()
    {
        KernelContext context = KernelContext.Default;
        Conv2dGeometry[] invalid =
        [
            new(6, 8, 9, 9, 3, 1, 1, 1, 4),   // 6 % 4 != 0
            new(6, 8, 9, 9, 3, 1, 1, 1, 3),   // 8 % 3 != 0
            new(6, 6, 9, 9, 3, 1, 1, 1, 0),   // no groups
            new(6, 6, 9, 9, 3, 1, 1, 0, 1),   // dilation 0
            new(6, 6, 9, 9, 3, 1, 1, -1, 6),  // negative dilation
            new(6, 6, 5, 5, 3, 1, 0, 3, 6),   // dilated kernel (7) larger than the input
        ];
        foreach (Conv2dGeometry g in invalid)
        {
            var x = new float[Math.Max(1, g.InputSampleLength)];
            var w = new float[Math.Max(1, g.OutChannels * g.InChannels * g.KernelSize * g.KernelSize)];
            var y = new float[64 * 64];
            Assert.Throws<ArgumentException>(() => Conv2dKernels.Forward(context, g, 1, x, w, default, y, Activation.Identity, default, default));
            Assert.Throws<ArgumentException>(() => Conv2dKernels.BackwardInput(context, g, 1, y, w, x));
            Assert.Throws<ArgumentException>(() => Conv2dKernels.BackwardParameters(context, g, 1, x, y, w, default));
        }

        // The weight is [Cout, Cin / groups, k, k]: one element short is rejected.
        ConvKernelCase c = ConvKernelCase.Get(21);
        var output = new float[c.Output.Length];
        Assert.Throws<ArgumentException>(() => Conv2dKernels.Forward(context, c.Geometry, c.Batch, c.Input, c.Weight.AsSpan(1), c.Bias, output, false, default, default));
    }

    /// <summary>Every output of the three kernels for one case on one forced path (forward with statistics, then with ReLU).</summary>
    private sealed record AllOutputs(float[] Output, float[] Relu, float[] Mean, float[] Variance, float[] GradInput, float[] GradWeight, float[] GradBias)
    {
        public static AllOutputs Compute(KernelIsa isa, int threads, ConvKernelCase c)
        {
            Conv2dGeometry g = c.Geometry;
            var output = new float[c.Output.Length];
            var relu = new float[c.Output.Length];
            var mean = new float[g.OutChannels];
            var variance = new float[g.OutChannels];
            var gradInput = new float[c.Input.Length];
            float[] gradWeight = (float[])c.GradWeightStart.Clone();
            float[] gradBias = (float[])c.GradBiasStart.Clone();
            Conv2dKernels.ForwardOn(isa, threads, g, c.Batch, c.Input, c.Weight, c.Bias, output, Activation.Identity, mean, variance);
            Conv2dKernels.ForwardOn(isa, threads, g, c.Batch, c.Input, c.Weight, c.Bias, relu, Activation.ReLU, default, default);
            Conv2dKernels.BackwardInputOn(isa, threads, g, c.Batch, c.GradOutput, c.Weight, gradInput);
            Conv2dKernels.BackwardParametersOn(isa, threads, g, c.Batch, c.Input, c.GradOutput, gradWeight, gradBias);
            return new AllOutputs(output, relu, mean, variance, gradInput, gradWeight, gradBias);
        }

        public static void AssertIdentical(string what, AllOutputs a, AllOutputs b)
        {
            var pairs = new List<(string Name, float[] A, float[] B)>
            {
                ("output", a.Output, b.Output), ("relu", a.Relu, b.Relu), ("mean", a.Mean, b.Mean), ("variance", a.Variance, b.Variance),
                ("grad input", a.GradInput, b.GradInput), ("grad weight", a.GradWeight, b.GradWeight), ("grad bias", a.GradBias, b.GradBias),
            };
            foreach ((string name, float[] x, float[] y) in pairs)
            {
                Assert.True(x.AsSpan().SequenceEqual(y), $"{what}: {name} differs");
            }
        }
    }
}
