using System;
using FusedLayers.Execution;
using FusedLayers.Kernels;
using FusedLayers.Tests.Numerics;

namespace FusedLayers.Tests.Kernels;

/// <summary>
/// <see cref="Conv2dKernels"/> on every instruction-set path and 1 and 2 threads against the float64
/// <see cref="FusedLayers.Reference.ReferenceConv2d"/>: odd channel counts and planes, 1x1 / 3x3 / 5x5 kernels,
/// strides 1 and 2, paddings 0..2 (including padding larger than <c>k - 1</c>), batch 1 and 2, with and without bias.
/// Tolerance: <c>max|a - r| / max|r| &lt;= 1e-4</c>.
/// </summary>
public sealed class ConvKernelTests
{
    /// <summary>Theory rows.</summary>
    public static TheoryData<KernelIsa, int, int> Grid => KernelPaths.Grid(ConvKernelCase.Count);

    [Theory]
    [MemberData(nameof(Grid))]
    public void Forward_with_statistics_and_with_relu_matches_the_reference(KernelIsa isa, int threads, int index)
    {
        ConvKernelCase c = ConvKernelCase.Get(index);
        Conv2dGeometry g = c.Geometry;
        foreach (KernelRun run in KernelPaths.Runs(isa, threads, out KernelContext context))
        {
            var output = new float[c.Output.Length];
            var mean = new float[g.OutChannels];
            var variance = new float[g.OutChannels];
            Forward(run, context, c, output, relu: false, mean, variance);
            Compare.Close($"{run.Label} {c}: output", c.Output, output);
            Compare.Close($"{run.Label} {c}: mean", c.Mean, mean);
            Compare.Close($"{run.Label} {c}: variance", c.Variance, variance);

            output.AsSpan().Fill(float.NaN);
            Forward(run, context, c, output, relu: true, default, default);
            Compare.Close($"{run.Label} {c}: relu output", c.ReluOutput, output);
        }
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void Backward_input_matches_the_reference(KernelIsa isa, int threads, int index)
    {
        ConvKernelCase c = ConvKernelCase.Get(index);
        foreach (KernelRun run in KernelPaths.Runs(isa, threads, out KernelContext context))
        {
            var gradInput = new float[c.Input.Length];
            gradInput.AsSpan().Fill(float.NaN); // overwritten, not accumulated
            if (run.Forced)
            {
                Conv2dKernels.BackwardInputOn(run.Isa, threads, c.Geometry, c.Batch, c.GradOutput, c.Weight, gradInput);
            }
            else
            {
                Conv2dKernels.BackwardInput(context, c.Geometry, c.Batch, c.GradOutput, c.Weight, gradInput);
            }

            Compare.Close($"{run.Label} {c}: grad input", c.GradInput, gradInput);
        }
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void Backward_parameters_accumulate_the_reference_gradients(KernelIsa isa, int threads, int index)
    {
        ConvKernelCase c = ConvKernelCase.Get(index);
        foreach (KernelRun run in KernelPaths.Runs(isa, threads, out KernelContext context))
        {
            float[] gradWeight = (float[])c.GradWeightStart.Clone();
            float[] gradBias = (float[])c.GradBiasStart.Clone();
            BackwardParameters(run, context, c, gradWeight, gradBias);
            Compare.Close($"{run.Label} {c}: grad weight", c.GradWeight, gradWeight);
            Compare.Close($"{run.Label} {c}: grad bias", c.GradBias, gradBias);
        }
    }

    [Theory]
    [InlineData(KernelIsa.Avx2)]
    [InlineData(KernelIsa.Avx512)]
    public void Vector_paths_agree_with_the_scalar_path(KernelIsa isa)
    {
        ConvKernelCase c = ConvKernelCase.Get(2);
        Conv2dGeometry g = c.Geometry;
        var scalar = Results.Compute(KernelIsa.Scalar, 1, c);
        if (!KernelPaths.CanForce(isa))
        {
            // The CPU cannot run this path's code: the public API must fall back, and agrees with itself.
            Assert.NotEqual(isa, KernelContext.Create(isa, 1).Isa);
            isa = KernelPaths.Expected(isa);
        }

        var vector = Results.Compute(isa, 2, c);
        Compare.Close($"{isa} output", scalar.Output, vector.Output);
        Compare.Close($"{isa} mean", scalar.Mean, vector.Mean);
        Compare.Close($"{isa} variance", scalar.Variance, vector.Variance);
        Compare.Close($"{isa} grad input", scalar.GradInput, vector.GradInput);
        Compare.Close($"{isa} grad weight", scalar.GradWeight, vector.GradWeight);
        Compare.Close($"{isa} grad bias", scalar.GradBias, vector.GradBias);
        Assert.Equal(g.OutChannels, vector.Mean.Length);
    }

    [Theory]
    [InlineData(KernelIsa.Scalar, 1)]
    [InlineData(KernelIsa.Avx2, 2)]
    [InlineData(KernelIsa.Avx512, 2)]
    [InlineData(KernelIsa.Avx512, 1)]
    public void Results_are_bit_identical_run_to_run(KernelIsa isa, int threads)
    {
        ConvKernelCase c = ConvKernelCase.Get(1);
        if (!KernelPaths.CanForce(isa))
        {
            isa = KernelPaths.Expected(isa);
        }

        Results first = Results.Compute(isa, threads, c);
        for (int repeat = 0; repeat < 3; repeat++)
        {
            Results again = Results.Compute(isa, threads, c);
            Assert.True(first.Output.AsSpan().SequenceEqual(again.Output), "output");
            Assert.True(first.Mean.AsSpan().SequenceEqual(again.Mean), "mean");
            Assert.True(first.Variance.AsSpan().SequenceEqual(again.Variance), "variance");
            Assert.True(first.GradInput.AsSpan().SequenceEqual(again.GradInput), "grad input");
            Assert.True(first.GradWeight.AsSpan().SequenceEqual(again.GradWeight), "grad weight");
            Assert.True(first.GradBias.AsSpan().SequenceEqual(again.GradBias), "grad bias");
        }
    }

    [Fact]
    public void Statistics_stay_accurate_when_the_mean_is_large()
    {
        // Outputs around 50 with a spread near 1: E[x^2] - E[x]^2 in float32 would lose most digits.
        ConvKernelCase c = ConvKernelCase.Get(0);
        Conv2dGeometry g = c.Geometry;
        float[] bias = new float[g.OutChannels];
        bias.AsSpan().Fill(50f);
        var shifted = new double[c.Output.Length];
        int plane = g.OutputPlaneLength;
        for (int i = 0; i < shifted.Length; i++)
        {
            shifted[i] = c.Output[i] - c.Bias[i / plane % g.OutChannels] + 50.0;
        }

        Statistics.PerChannel(shifted, c.Batch, g.OutChannels, plane, out double[] mean, out double[] variance);
        foreach (KernelIsa isa in KernelPaths.All)
        {
            KernelIsa run = KernelPaths.CanForce(isa) ? isa : KernelPaths.Expected(isa);
            var output = new float[c.Output.Length];
            var m = new float[g.OutChannels];
            var v = new float[g.OutChannels];
            Conv2dKernels.ForwardOn(run, 2, g, c.Batch, c.Input, c.Weight, bias, output, Activation.Identity, m, v);
            Compare.Close($"{run} mean", mean, m);
            Compare.Close($"{run} variance", variance, v);
        }
    }

    [Theory]
    [InlineData(KernelIsa.Scalar)]
    [InlineData(KernelIsa.Avx2)]
    [InlineData(KernelIsa.Avx512)]
    public void An_empty_batch_writes_zero_statistics_and_leaves_gradients_unchanged(KernelIsa isa)
    {
        ConvKernelCase c = ConvKernelCase.Get(0);
        Conv2dGeometry g = c.Geometry;
        KernelIsa run = KernelPaths.CanForce(isa) ? isa : KernelPaths.Expected(isa);
        float[] mean = [1f, 1f, 1f, 1f, 1f];
        float[] variance = [1f, 1f, 1f, 1f, 1f];
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
    public void Invalid_arguments_are_rejected()
    {
        ConvKernelCase c = ConvKernelCase.Get(0);
        Conv2dGeometry g = c.Geometry;
        KernelContext context = KernelContext.Default;
        var output = new float[c.Output.Length];
        var stats = new float[g.OutChannels];
        Assert.Throws<ArgumentException>(() => Conv2dKernels.Forward(context, g, c.Batch, c.Input, c.Weight, c.Bias, output, true, stats, stats));
        Assert.Throws<ArgumentException>(() => Conv2dKernels.Forward(context, g, c.Batch, c.Input.AsSpan(1), c.Weight, c.Bias, output, false, default, default));
        Assert.Throws<ArgumentException>(() => Conv2dKernels.Forward(context, g, c.Batch, c.Input, c.Weight, c.Bias, output.AsSpan(1), false, default, default));
        Assert.Throws<ArgumentException>(() => Conv2dKernels.BackwardInput(context, g, c.Batch, c.GradOutput, c.Weight.AsSpan(1), new float[c.Input.Length]));
        Assert.Throws<ArgumentException>(() => Conv2dKernels.BackwardParameters(context, g, c.Batch, c.Input, c.GradOutput, new float[g.WeightLength], new float[1]));
    }

    private static void Forward(KernelRun run, in KernelContext context, ConvKernelCase c, float[] output, bool relu, Span<float> mean, Span<float> variance)
    {
        if (run.Forced)
        {
            Conv2dKernels.ForwardOn(run.Isa, context.Threads, c.Geometry, c.Batch, c.Input, c.Weight, c.Bias, output, relu ? Activation.ReLU : Activation.Identity, mean, variance);
        }
        else
        {
            Conv2dKernels.Forward(context, c.Geometry, c.Batch, c.Input, c.Weight, c.Bias, output, relu, mean, variance);
        }
    }

    private static void BackwardParameters(KernelRun run, in KernelContext context, ConvKernelCase c, float[] gradWeight, float[] gradBias)
    {
        if (run.Forced)
        {
            Conv2dKernels.BackwardParametersOn(run.Isa, context.Threads, c.Geometry, c.Batch, c.Input, c.GradOutput, gradWeight, gradBias);
        }
        else
        {
            Conv2dKernels.BackwardParameters(context, c.Geometry, c.Batch, c.Input, c.GradOutput, gradWeight, gradBias);
        }
    }

    /// <summary>Every output of the three kernels for one case on one forced path.</summary>
    private sealed record Results(float[] Output, float[] Mean, float[] Variance, float[] GradInput, float[] GradWeight, float[] GradBias)
    {
        public static Results Compute(KernelIsa isa, int threads, ConvKernelCase c)
        {
            Conv2dGeometry g = c.Geometry;
            var output = new float[c.Output.Length];
            var mean = new float[g.OutChannels];
            var variance = new float[g.OutChannels];
            var gradInput = new float[c.Input.Length];
            float[] gradWeight = (float[])c.GradWeightStart.Clone();
            float[] gradBias = (float[])c.GradBiasStart.Clone();
            Conv2dKernels.ForwardOn(isa, threads, g, c.Batch, c.Input, c.Weight, c.Bias, output, Activation.Identity, mean, variance);
            Conv2dKernels.BackwardInputOn(isa, threads, g, c.Batch, c.GradOutput, c.Weight, gradInput);
            Conv2dKernels.BackwardParametersOn(isa, threads, g, c.Batch, c.Input, c.GradOutput, gradWeight, gradBias);
            return new Results(output, mean, variance, gradInput, gradWeight, gradBias);
        }
    }
}
