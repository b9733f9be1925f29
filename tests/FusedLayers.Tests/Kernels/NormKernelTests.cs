using System;
using System.Linq;
using FusedLayers.Execution;
using FusedLayers.Kernels;
using FusedLayers.Reference;
using FusedLayers.Tests.Numerics;
using Xunit.Abstractions;

namespace FusedLayers.Tests.Kernels;

/// <summary>
/// <see cref="RowNormKernels"/> (LayerNorm, GroupNorm and InstanceNorm shapes) and the
/// <see cref="BatchRenormKernels"/> pipeline on every instruction-set path and 1 and 2 threads against the
/// float64 reference layers, on odd sizes that leave vector remainders. Tolerance:
/// <see cref="NormTolerance.Relative"/> of each tensor's largest magnitude; the observed errors are written
/// to the test output.
/// </summary>
public sealed class NormKernelTests(ITestOutputHelper output)
{
    /// <summary>Theory rows: path x threads x case.</summary>
    public static TheoryData<KernelIsa, int, int> Grid => KernelPaths.Grid(NormKernelCase.Count);

    /// <summary>Theory rows: path x threads x BatchRenorm case.</summary>
    public static TheoryData<KernelIsa, int, int> RenormGrid => KernelPaths.Grid(RenormCase.Count);

    [Theory]
    [MemberData(nameof(Grid))]
    public void Forward_matches_the_reference(KernelIsa isa, int threads, int index)
    {
        NormKernelCase c = NormKernelCase.Get(index);
        foreach (KernelRun run in KernelPaths.Runs(isa, threads, out KernelContext context))
        {
            var y = new float[c.Input.Length];
            var mean = new float[c.Rows];
            var invStd = new float[c.Rows];
            var variance = new float[c.Rows];
            y.AsSpan().Fill(float.NaN);
            Forward(run, context, c, c.Input, y, mean, invStd, variance);
            NormTolerance.Close(output, $"{run.Label} {c}: output", c.Output, y);
            NormTolerance.Close(output, $"{run.Label} {c}: mean", c.Mean, mean);
            NormTolerance.Close(output, $"{run.Label} {c}: invStd", c.InvStd, invStd);
            NormTolerance.Close(output, $"{run.Label} {c}: variance", c.Variance, variance);

            // In place, and without the optional variance.
            float[] inPlace = (float[])c.Input.Clone();
            Forward(run, context, c, inPlace, inPlace, mean, invStd, default);
            Assert.True(inPlace.AsSpan().SequenceEqual(y), $"{run.Label} {c}: the in-place output differs");
        }
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void Forward_with_a_skip_in_the_epilogue_is_normalise_then_add_then_activate(KernelIsa isa, int threads, int index)
    {
        // The fused residual add (LayerNorm / GroupNorm / InstanceNorm followed by an identity skip): the reference output
        // plus the skip, then ReLU, from one pass; the pre-activation (normalised + skip) lands in y.
        NormKernelCase c = NormKernelCase.Get(index);
        float[] skip = RandomData.Uniform(new Random(index + 101), c.Input.Length, 1.0, 0.0);
        double[] preActivation = c.Output.Select((v, i) => v + skip[i]).ToArray();
        double[] expected = preActivation.Select(v => Math.Max(v, 0.0)).ToArray();
        foreach (KernelRun run in KernelPaths.Runs(isa, threads, out KernelContext context))
        {
            var y = new float[c.Input.Length];
            var activated = new float[c.Input.Length];
            var mean = new float[c.Rows];
            var invStd = new float[c.Rows];
            KernelContext ctx = context;
            void Run(Span<float> pre, Activation activation, Span<float> result)
            {
                if (run.Forced)
                {
                    RowNormKernels.ForwardOn(run.Isa, ctx.Threads, c.Batch, c.Channels, c.Spatial, c.Groups, c.Input, c.Gamma, c.Beta, 1e-5, pre, mean, invStd, default, activation, result, skip);
                }
                else
                {
                    RowNormKernels.Forward(ctx, c.Batch, c.Channels, c.Spatial, c.Groups, c.Input, c.Gamma, c.Beta, 1e-5, skip, pre, mean, invStd, default, activation, result);
                }
            }

            Run(y, Activation.ReLU, activated);
            NormTolerance.Close(output, $"{run.Label} {c}: pre-activation", preActivation, y);
            NormTolerance.Close(output, $"{run.Label} {c}: activated", expected, activated);
            NormTolerance.Close(output, $"{run.Label} {c}: mean", c.Mean, mean);

            // Without an activation y is the output; the activation may also write over y in place (same path, same bits).
            var plain = new float[c.Input.Length];
            Run(plain, Activation.Identity, default);
            NormTolerance.Close(output, $"{run.Label} {c}: no activation", preActivation, plain);
            Run(plain, Activation.ReLU, plain);
            Assert.True(plain.AsSpan().SequenceEqual(activated), $"{run.Label} {c}: the in-place activation differs");
        }
    }

    [Fact]
    public void A_skip_that_overlaps_the_output_is_rejected()
    {
        var x = new float[2 * 4 * 3];
        var mean = new float[2];
        var invStd = new float[2];
        ArgumentException e = Assert.Throws<ArgumentException>(() =>
            RowNormKernels.Forward(KernelContext.Default, 2, 4, 3, 1, x, default, default, 1e-5, x, x, mean, invStd, default, Activation.Identity, default));
        Assert.Equal("skip", e.ParamName);
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void Backward_matches_the_reference_and_accumulates_the_parameter_gradients(KernelIsa isa, int threads, int index)
    {
        NormKernelCase c = NormKernelCase.Get(index);
        foreach (KernelRun run in KernelPaths.Runs(isa, threads, out KernelContext context))
        {
            var y = new float[c.Input.Length];
            var mean = new float[c.Rows];
            var invStd = new float[c.Rows];
            Forward(run, context, c, c.Input, y, mean, invStd, default);

            var gradInput = new float[c.Input.Length];
            gradInput.AsSpan().Fill(float.NaN);
            float[] gradGamma = (float[])c.GradGammaStart.Clone();
            float[] gradBeta = (float[])c.GradBetaStart.Clone();
            Backward(run, context, c, mean, invStd, gradInput, gradGamma, gradBeta);
            NormTolerance.Close(output, $"{run.Label} {c}: grad input", c.GradInput, gradInput);
            NormTolerance.Close(output, $"{run.Label} {c}: grad gamma", c.GradGamma, gradGamma);
            NormTolerance.Close(output, $"{run.Label} {c}: grad beta", c.GradBeta, gradBeta);

            // The input gradient alone (a frozen layer): the same values.
            var alone = new float[c.Input.Length];
            Backward(run, context, c, mean, invStd, alone, default, default);
            Assert.True(alone.AsSpan().SequenceEqual(gradInput), $"{run.Label} {c}: the input gradient depends on the parameter gradients");
        }
    }

    [Fact]
    public void InstanceNorm_running_statistics_match_the_reference()
    {
        int checkedCases = 0;
        for (int index = 0; index < NormKernelCase.Count; index++)
        {
            NormKernelCase c = NormKernelCase.Get(index);
            if (c.Kind != NormKind.InstanceNorm)
            {
                continue;
            }

            var y = new float[c.Input.Length];
            var mean = new float[c.Rows];
            var invStd = new float[c.Rows];
            var variance = new float[c.Rows];
            RowNormKernels.Forward(KernelContext.Default, c.Batch, c.Channels, c.Spatial, c.Groups, c.Input, c.Gamma, c.Beta, 1e-5, y, mean, invStd, variance);
            float[] runningMean = (float[])c.RunningMeanStart.Clone();
            float[] runningVar = (float[])c.RunningVarStart.Clone();
            RowNormKernels.UpdateInstanceRunningStatistics(c.Batch, c.Channels, c.Spatial, mean, variance, 0.1, runningMean, runningVar);
            NormTolerance.Close(output, $"{c}: running mean", c.RunningMean, runningMean);
            NormTolerance.Close(output, $"{c}: running var", c.RunningVar, runningVar);
            checkedCases++;
        }

        Assert.True(checkedCases >= 3);
    }

    [Theory]
    [InlineData(KernelIsa.Scalar)]
    [InlineData(KernelIsa.Avx2)]
    [InlineData(KernelIsa.Avx512)]
    public void InstanceNorm_inference_with_running_statistics_is_the_BatchNorm_apply(KernelIsa isa)
    {
        // Eval with track_running_stats: y = gamma (x - running_mean) / sqrt(running_var + eps) + beta, i.e.
        // BatchNormKernels.ScaleShift + Apply; the input gradient is the same apply with scale and no shift.
        NormKernelCase c = NormKernelCase.Get(8);
        var reference = new ReferenceInstanceNorm("in", c.Channels, 1, affine: true, trackRunningStats: true) { Training = false };
        reference.Weight!.CopyFrom(c.Gamma);
        reference.Bias!.CopyFrom(c.Beta);
        for (int ch = 0; ch < c.Channels; ch++)
        {
            reference.RunningMean![ch] = c.RunningMeanStart[ch];
            reference.RunningVar![ch] = c.RunningVarStart[ch];
        }

        double[] expected = reference.Forward(ReferenceTensor.FromFloats(c.Input, c.Batch, c.Channels, c.Spatial)).Data;
        double[] expectedGrad = reference.Backward(ReferenceTensor.FromFloats(c.GradOutput, c.Batch, c.Channels, c.Spatial)).Data;

        var context = new KernelContext(KernelPaths.CanForce(isa) ? isa : KernelPaths.Expected(isa), 2);
        var invStd = new float[c.Channels];
        var scale = new float[c.Channels];
        var shift = new float[c.Channels];
        BatchNormKernels.ScaleShift(c.RunningMeanStart, c.RunningVarStart, c.Gamma, c.Beta, 1e-5, invStd, scale, shift);
        var y = new float[c.Input.Length];
        BatchNormKernels.Apply(context, c.Batch, c.Channels, c.Spatial, c.Input, scale, shift, relu: false, y);
        NormTolerance.Close(output, $"{context.Isa} eval output", expected, y);

        var noShift = new float[c.Channels];
        var gradInput = new float[c.Input.Length];
        BatchNormKernels.Apply(context, c.Batch, c.Channels, c.Spatial, c.GradOutput, scale, noShift, relu: false, gradInput);
        NormTolerance.Close(output, $"{context.Isa} eval grad input", expectedGrad, gradInput);
    }

    [Theory]
    [InlineData(KernelIsa.Scalar)]
    [InlineData(KernelIsa.Avx2)]
    [InlineData(KernelIsa.Avx512)]
    public void Results_are_bit_identical_for_one_and_two_threads(KernelIsa isa)
    {
        if (!KernelPaths.CanForce(isa))
        {
            isa = KernelPaths.Expected(isa);
        }

        foreach (int index in new[] { 1, 4, 5, 11 })
        {
            NormKernelCase c = NormKernelCase.Get(index);
            (float[] Y, float[] Dx, float[] DGamma, float[] DBeta) Run(int threads)
            {
                var y = new float[c.Input.Length];
                var mean = new float[c.Rows];
                var invStd = new float[c.Rows];
                RowNormKernels.ForwardOn(isa, threads, c.Batch, c.Channels, c.Spatial, c.Groups, c.Input, c.Gamma, c.Beta, 1e-5, y, mean, invStd, default);
                var dx = new float[c.Input.Length];
                float[] dGamma = (float[])c.GradGammaStart.Clone(), dBeta = (float[])c.GradBetaStart.Clone();
                RowNormKernels.BackwardOn(isa, threads, c.Batch, c.Channels, c.Spatial, c.Groups, c.GradOutput, c.Input, mean, invStd, c.Gamma, dx, dGamma, dBeta);
                return (y, dx, dGamma, dBeta);
            }

            var one = Run(1);
            var two = Run(2);
            Assert.True(one.Y.AsSpan().SequenceEqual(two.Y), $"{isa} {c}: output");
            Assert.True(one.Dx.AsSpan().SequenceEqual(two.Dx), $"{isa} {c}: grad input");
            Assert.True(one.DGamma.AsSpan().SequenceEqual(two.DGamma), $"{isa} {c}: grad gamma");
            Assert.True(one.DBeta.AsSpan().SequenceEqual(two.DBeta), $"{isa} {c}: grad beta");
        }
    }

    [Fact]
    public void Invalid_arguments_are_rejected()
    {
        KernelContext context = KernelContext.Default;
        var x = new float[2 * 6 * 4];
        var rows = new float[2 * 3];
        var channels = new float[6];
        Assert.Throws<ArgumentException>(() => RowNormKernels.Forward(context, 2, 6, 4, 4, x, default, default, 1e-5, x, rows, rows, default));  // 6 % 4
        Assert.Throws<ArgumentException>(() => RowNormKernels.Forward(context, 2, 6, 4, 3, x.AsSpan(1), default, default, 1e-5, x, rows, rows, default));
        Assert.Throws<ArgumentException>(() => RowNormKernels.Forward(context, 2, 6, 4, 3, x, default, default, 1e-5, x, rows.AsSpan(1), rows, default));
        Assert.Throws<ArgumentException>(() => RowNormKernels.Forward(context, 2, 6, 4, 3, x, new float[5], default, 1e-5, x, rows, rows, default));
        Assert.Throws<ArgumentException>(() => RowNormKernels.Forward(context, 2, 6, 4, 3, x, default, channels, 1e-5, x, rows, rows, default)); // beta without gamma
        Assert.Throws<ArgumentOutOfRangeException>(() => RowNormKernels.Forward(context, 2, 6, 0, 3, x, default, default, 1e-5, x, rows, rows, default));
        Assert.Throws<ArgumentException>(() => RowNormKernels.Backward(context, 2, 6, 4, 3, x, x, rows, rows, channels, new float[x.Length - 1], channels, channels));
        Assert.Throws<ArgumentException>(() => RowNormKernels.Backward(context, 2, 6, 4, 3, x, x, rows, rows, channels, (float[])x.Clone(), new float[3], channels));
        Assert.Throws<ArgumentOutOfRangeException>(() => RowNormKernels.UpdateInstanceRunningStatistics(2, 6, 1, new float[12], new float[12], 0.1, channels, channels));
        Assert.Throws<ArgumentException>(() => RowNormKernels.UpdateInstanceRunningStatistics(2, 6, 4, new float[11], new float[12], 0.1, channels, channels));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchRenormKernels.TrainingScaleShift(
            channels, channels, channels, channels, default, default, 1e-5, 0.5, 0, channels, channels, channels, channels, channels));
    }

    [Theory]
    [MemberData(nameof(RenormGrid))]
    public void BatchRenorm_training_pipeline_matches_the_reference(KernelIsa isa, int threads, int index)
    {
        RenormCase c = RenormCase.Get(index);
        foreach (KernelRun run in KernelPaths.Runs(isa, threads, out KernelContext publicContext))
        {
            // BatchNormKernels run the context's path as given: forcing is a context that is not capped.
            KernelContext context = run.Forced ? new KernelContext(run.Isa, threads) : publicContext;
            RenormResult result = RenormResult.Train(context, c);
            string label = $"{run.Label} {c}";
            NormTolerance.Close(output, $"{label}: r", c.R, result.R);
            NormTolerance.Close(output, $"{label}: d", c.D, result.D);
            NormTolerance.Close(output, $"{label}: output", c.Output, result.Output);
            NormTolerance.Close(output, $"{label}: grad input", c.GradInput, result.GradInput);
            NormTolerance.Close(output, $"{label}: grad gamma", c.GradGamma, result.GradGamma);
            NormTolerance.Close(output, $"{label}: grad beta", c.GradBeta, result.GradBeta);
            NormTolerance.Close(output, $"{label}: running mean", c.RunningMean, result.RunningMean);
            NormTolerance.Close(output, $"{label}: running std", c.RunningStd, result.RunningStd);
        }
    }

    [Theory]
    [InlineData(KernelIsa.Scalar)]
    [InlineData(KernelIsa.Avx2)]
    [InlineData(KernelIsa.Avx512)]
    public void BatchRenorm_inference_matches_the_reference(KernelIsa isa)
    {
        RenormCase c = RenormCase.Get(1);
        var context = new KernelContext(KernelPaths.CanForce(isa) ? isa : KernelPaths.Expected(isa), 2);
        var scale = new float[c.Channels];
        var shift = new float[c.Channels];
        BatchRenormKernels.InferenceScaleShift(c.RunningMeanStart, c.RunningStdStart, c.Gamma, c.Beta, scale, shift);
        var y = new float[c.Input.Length];
        BatchNormKernels.Apply(context, c.Batch, c.Channels, c.Spatial, c.Input, scale, shift, relu: false, y);
        NormTolerance.Close(output, $"{context.Isa} {c}: inference output", c.InferenceOutput, y);
    }

    private static void Forward(
        KernelRun run, in KernelContext context, NormKernelCase c, float[] x, float[] y, Span<float> mean, Span<float> invStd, Span<float> variance)
    {
        if (run.Forced)
        {
            RowNormKernels.ForwardOn(run.Isa, context.Threads, c.Batch, c.Channels, c.Spatial, c.Groups, x, c.Gamma, c.Beta, 1e-5, y, mean, invStd, variance);
        }
        else
        {
            RowNormKernels.Forward(context, c.Batch, c.Channels, c.Spatial, c.Groups, x, c.Gamma, c.Beta, 1e-5, y, mean, invStd, variance);
        }
    }

    private static void Backward(
        KernelRun run, in KernelContext context, NormKernelCase c, float[] mean, float[] invStd, float[] gradInput, Span<float> gradGamma, Span<float> gradBeta)
    {
        if (run.Forced)
        {
            RowNormKernels.BackwardOn(
                run.Isa, context.Threads, c.Batch, c.Channels, c.Spatial, c.Groups, c.GradOutput, c.Input, mean, invStd, c.Gamma, gradInput, gradGamma, gradBeta);
        }
        else
        {
            RowNormKernels.Backward(context, c.Batch, c.Channels, c.Spatial, c.Groups, c.GradOutput, c.Input, mean, invStd, c.Gamma, gradInput, gradGamma, gradBeta);
        }
    }
}
