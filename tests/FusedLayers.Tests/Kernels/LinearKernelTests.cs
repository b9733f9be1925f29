using System;
using FusedLayers.Execution;
using FusedLayers.Kernels;
using FusedLayers.Tests.Numerics;

namespace FusedLayers.Tests.Kernels;

/// <summary>
/// <see cref="LinearKernels"/> on every instruction-set path and 1 and 2 threads against the float64
/// <see cref="FusedLayers.Reference.ReferenceLinear"/>: 1000 outputs with odd input widths, layers narrower
/// than one vector, batches that are not multiples of the micro-tile. Tolerance: <c>max|a - r| / max|r| &lt;= 1e-4</c>.
/// </summary>
public sealed class LinearKernelTests
{
    /// <summary>Theory rows.</summary>
    public static TheoryData<KernelIsa, int, int> Grid => KernelPaths.Grid(LinearKernelCase.Count);

    [Theory]
    [MemberData(nameof(Grid))]
    public void Forward_with_statistics_and_with_relu_matches_the_reference(KernelIsa isa, int threads, int index)
    {
        LinearKernelCase c = LinearKernelCase.Get(index);
        int outF = c.Geometry.OutFeatures;
        foreach (KernelRun run in KernelPaths.Runs(isa, threads, out KernelContext context))
        {
            var output = new float[c.Output.Length];
            var mean = new float[outF];
            var variance = new float[outF];
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
        LinearKernelCase c = LinearKernelCase.Get(index);
        foreach (KernelRun run in KernelPaths.Runs(isa, threads, out KernelContext context))
        {
            var gradInput = new float[c.Input.Length];
            gradInput.AsSpan().Fill(float.NaN);
            if (run.Forced)
            {
                LinearKernels.BackwardInputOn(run.Isa, threads, c.Geometry, c.Batch, c.GradOutput, c.Weight, gradInput);
            }
            else
            {
                LinearKernels.BackwardInput(context, c.Geometry, c.Batch, c.GradOutput, c.Weight, gradInput);
            }

            Compare.Close($"{run.Label} {c}: grad input", c.GradInput, gradInput);
        }
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void Backward_parameters_accumulate_the_reference_gradients(KernelIsa isa, int threads, int index)
    {
        LinearKernelCase c = LinearKernelCase.Get(index);
        foreach (KernelRun run in KernelPaths.Runs(isa, threads, out KernelContext context))
        {
            float[] gradWeight = (float[])c.GradWeightStart.Clone();
            float[] gradBias = (float[])c.GradBiasStart.Clone();
            if (run.Forced)
            {
                LinearKernels.BackwardParametersOn(run.Isa, threads, c.Geometry, c.Batch, c.Input, c.GradOutput, gradWeight, gradBias);
            }
            else
            {
                LinearKernels.BackwardParameters(context, c.Geometry, c.Batch, c.Input, c.GradOutput, gradWeight, gradBias);
            }

            Compare.Close($"{run.Label} {c}: grad weight", c.GradWeight, gradWeight);
            Compare.Close($"{run.Label} {c}: grad bias", c.GradBias, gradBias);
        }
    }

    [Theory]
    [InlineData(KernelIsa.Avx2)]
    [InlineData(KernelIsa.Avx512)]
    public void Vector_paths_agree_with_the_scalar_path(KernelIsa isa)
    {
        LinearKernelCase c = LinearKernelCase.Get(0);
        Results scalar = Results.Compute(KernelIsa.Scalar, 1, c);
        if (!KernelPaths.CanForce(isa))
        {
            Assert.NotEqual(isa, KernelContext.Create(isa, 1).Isa);
            isa = KernelPaths.Expected(isa);
        }

        Results vector = Results.Compute(isa, 2, c);
        Compare.Close($"{isa} output", scalar.Output, vector.Output);
        Compare.Close($"{isa} mean", scalar.Mean, vector.Mean);
        Compare.Close($"{isa} variance", scalar.Variance, vector.Variance);
        Compare.Close($"{isa} grad input", scalar.GradInput, vector.GradInput);
        Compare.Close($"{isa} grad weight", scalar.GradWeight, vector.GradWeight);
        Compare.Close($"{isa} grad bias", scalar.GradBias, vector.GradBias);
    }

    [Theory]
    [InlineData(KernelIsa.Scalar, 1)]
    [InlineData(KernelIsa.Avx2, 2)]
    [InlineData(KernelIsa.Avx512, 2)]
    public void Results_are_bit_identical_run_to_run(KernelIsa isa, int threads)
    {
        LinearKernelCase c = LinearKernelCase.Get(3);
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
    public void Invalid_arguments_are_rejected()
    {
        LinearKernelCase c = LinearKernelCase.Get(3);
        LinearGeometry g = c.Geometry;
        KernelContext context = KernelContext.Default;
        var output = new float[c.Output.Length];
        var stats = new float[g.OutFeatures];
        Assert.Throws<ArgumentException>(() => LinearKernels.Forward(context, g, c.Batch, c.Input, c.Weight, c.Bias, output, true, stats, stats));
        Assert.Throws<ArgumentException>(() => LinearKernels.Forward(context, g, c.Batch, c.Input.AsSpan(1), c.Weight, c.Bias, output, false, default, default));
        Assert.Throws<ArgumentException>(() => LinearKernels.BackwardInput(context, g, c.Batch, c.GradOutput, c.Weight, new float[c.Input.Length - 1]));
        Assert.Throws<ArgumentException>(() => LinearKernels.BackwardParameters(context, g, c.Batch, c.Input, c.GradOutput, new float[c.Weight.Length], new float[1]));
    }

    private static void Forward(KernelRun run, in KernelContext context, LinearKernelCase c, float[] output, bool relu, Span<float> mean, Span<float> variance)
    {
        if (run.Forced)
        {
            LinearKernels.ForwardOn(run.Isa, context.Threads, c.Geometry, c.Batch, c.Input, c.Weight, c.Bias, output, relu ? Activation.ReLU : Activation.Identity, mean, variance);
        }
        else
        {
            LinearKernels.Forward(context, c.Geometry, c.Batch, c.Input, c.Weight, c.Bias, output, relu, mean, variance);
        }
    }

    /// <summary>Every output of the three kernels for one case on one forced path.</summary>
    private sealed record Results(float[] Output, float[] Mean, float[] Variance, float[] GradInput, float[] GradWeight, float[] GradBias)
    {
        public static Results Compute(KernelIsa isa, int threads, LinearKernelCase c)
        {
            LinearGeometry g = c.Geometry;
            var output = new float[c.Output.Length];
            var mean = new float[g.OutFeatures];
            var variance = new float[g.OutFeatures];
            var gradInput = new float[c.Input.Length];
            float[] gradWeight = (float[])c.GradWeightStart.Clone();
            float[] gradBias = (float[])c.GradBiasStart.Clone();
            LinearKernels.ForwardOn(isa, threads, g, c.Batch, c.Input, c.Weight, c.Bias, output, Activation.Identity, mean, variance);
            LinearKernels.BackwardInputOn(isa, threads, g, c.Batch, c.GradOutput, c.Weight, gradInput);
            LinearKernels.BackwardParametersOn(isa, threads, g, c.Batch, c.Input, c.GradOutput, gradWeight, gradBias);
            return new Results(output, mean, variance, gradInput, gradWeight, gradBias);
        }
    }
}
