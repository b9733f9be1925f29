using System;
using System.Linq;
using System.Threading;
using FusedLayers.Execution;
using FusedLayers.Kernels;
using FusedLayers.Reference;
using FusedLayers.Tests.Numerics;

namespace FusedLayers.Tests.Kernels;

/// <summary>
/// A BatchRenorm test shape with float32 data and the results of <see cref="ReferenceBatchRenorm"/>: one training
/// step from given moving averages (half the channels with r and d clipped, half inside their ranges), and an
/// inference pass from the same moving averages.
/// </summary>
public sealed class RenormCase
{
    /// <summary>Epsilon of every case.</summary>
    public const double Eps = 1e-5;

    /// <summary>Moving-average rate of every case.</summary>
    public const double Momentum = 0.05;

    private static readonly Lazy<RenormCase>[] Cases =
    [
        Make(0, 13, 37, 1, affine: true, rMax: 2, dMax: 1),     // [N, C]: one value per channel and sample
        Make(1, 4, 6, 45, affine: true, rMax: 2, dMax: 1),
        Make(2, 3, 5, 7 * 9, affine: false, rMax: 3, dMax: 5),
        Make(3, 16, 8, 64, affine: true, rMax: 1, dMax: 0),     // the start of training: BatchNorm
    ];

    private RenormCase(int index, int batch, int channels, int spatial, bool affine, double rMax, double dMax)
    {
        Batch = batch;
        Channels = channels;
        Spatial = spatial;
        RMax = rMax;
        DMax = dMax;
        var random = new Random(700 + index);
        Input = RandomData.Uniform(random, batch * channels * spatial, scale: 2.0, offset: 0.5);
        GradOutput = RandomData.Uniform(random, Input.Length);
        Gamma = affine ? RandomData.Uniform(random, channels, 0.5, 1.0) : [];
        Beta = affine ? RandomData.Uniform(random, channels) : [];
        GradGammaStart = affine ? RandomData.Uniform(random, channels, 0.1) : [];
        GradBetaStart = affine ? RandomData.Uniform(random, channels, 0.1) : [];

        // Batch std ~ 2 / sqrt(3) ~ 1.15, mean ~ 0.5: even channels get sigma ~ 1 and mu ~ 0.3 (r, d inside
        // [1/2, 2] and [-1, 1]), odd channels sigma 0.2 or 8 and mu far off (clipped).
        RunningMeanStart = new float[channels];
        RunningStdStart = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            bool clipped = c % 2 == 1;
            RunningStdStart[c] = clipped ? (c % 4 == 1 ? 0.2f : 8f) : (float)(0.9 + (0.3 * random.NextDouble()));
            RunningMeanStart[c] = clipped ? (c % 4 == 1 ? -3f : 40f) : (float)(0.3 + (0.2 * random.NextDouble()));
        }

        int[] shape = spatial == 1 ? [batch, channels] : [batch, channels, spatial];
        ReferenceBatchRenorm layer = CreateReference();
        Output = layer.Forward(ReferenceTensor.FromFloats(Input, shape)).Data;
        GradInput = layer.Backward(ReferenceTensor.FromFloats(GradOutput, shape)).Data;
        R = (double[])layer.LastR.Clone();
        D = (double[])layer.LastD.Clone();
        RunningMean = (double[])layer.RunningMean.Clone();
        RunningStd = (double[])layer.RunningStd.Clone();
        GradGamma = affine ? GradGammaStart.Select((s, i) => s + layer.Weight!.Grad[i]).ToArray() : [];
        GradBeta = affine ? GradBetaStart.Select((s, i) => s + layer.Bias!.Grad[i]).ToArray() : [];

        ReferenceBatchRenorm inference = CreateReference();
        inference.Training = false;
        InferenceOutput = inference.Forward(ReferenceTensor.FromFloats(Input, shape)).Data;
    }

    /// <summary>Number of cases.</summary>
    public static int Count => Cases.Length;

    /// <summary>N.</summary>
    public int Batch { get; }

    /// <summary>C.</summary>
    public int Channels { get; }

    /// <summary>S.</summary>
    public int Spatial { get; }

    /// <summary>r_max.</summary>
    public double RMax { get; }

    /// <summary>d_max.</summary>
    public double DMax { get; }

    /// <summary>Input.</summary>
    public float[] Input { get; }

    /// <summary>Output gradient.</summary>
    public float[] GradOutput { get; }

    /// <summary>Gamma, or empty.</summary>
    public float[] Gamma { get; }

    /// <summary>Beta, or empty.</summary>
    public float[] Beta { get; }

    /// <summary>Initial gamma gradient, or empty.</summary>
    public float[] GradGammaStart { get; }

    /// <summary>Initial beta gradient, or empty.</summary>
    public float[] GradBetaStart { get; }

    /// <summary>Moving average of the mean before the step.</summary>
    public float[] RunningMeanStart { get; }

    /// <summary>Moving average of the standard deviation before the step.</summary>
    public float[] RunningStdStart { get; }

    /// <summary>Reference training output.</summary>
    public double[] Output { get; }

    /// <summary>Reference input gradient (r, d constant).</summary>
    public double[] GradInput { get; }

    /// <summary>Reference r.</summary>
    public double[] R { get; }

    /// <summary>Reference d.</summary>
    public double[] D { get; }

    /// <summary>Reference moving mean after the step.</summary>
    public double[] RunningMean { get; }

    /// <summary>Reference moving standard deviation after the step.</summary>
    public double[] RunningStd { get; }

    /// <summary>Start plus the reference gamma gradient, or empty.</summary>
    public double[] GradGamma { get; }

    /// <summary>Start plus the reference beta gradient, or empty.</summary>
    public double[] GradBeta { get; }

    /// <summary>Reference inference output from the starting moving averages.</summary>
    public double[] InferenceOutput { get; }

    /// <summary>The case with index <paramref name="index"/>.</summary>
    public static RenormCase Get(int index) => Cases[index].Value;

    /// <inheritdoc />
    public override string ToString() => $"BatchRenorm [N {Batch}, C {Channels}, S {Spatial}] affine {Gamma.Length > 0} r_max {RMax} d_max {DMax}";

    private ReferenceBatchRenorm CreateReference()
    {
        var layer = new ReferenceBatchRenorm("br", Channels, Eps, Momentum, affine: Gamma.Length > 0) { RMax = RMax, DMax = DMax };
        layer.Weight?.CopyFrom(Gamma);
        layer.Bias?.CopyFrom(Beta);
        for (int c = 0; c < Channels; c++)
        {
            layer.RunningMean[c] = RunningMeanStart[c];
            layer.RunningStd[c] = RunningStdStart[c];
        }

        return layer;
    }

    private static Lazy<RenormCase> Make(int index, int batch, int channels, int spatial, bool affine, double rMax, double dMax) =>
        new(() => new RenormCase(index, batch, channels, spatial, affine, rMax, dMax), LazyThreadSafetyMode.ExecutionAndPublication);
}

/// <summary>One BatchRenorm training step through <see cref="BatchNormKernels"/> and <see cref="BatchRenormKernels"/>.</summary>
/// <param name="Output">Training output.</param>
/// <param name="GradInput">Input gradient.</param>
/// <param name="GradGamma">Accumulated gamma gradient (empty when not affine).</param>
/// <param name="GradBeta">Accumulated beta gradient (empty when not affine).</param>
/// <param name="R">r.</param>
/// <param name="D">d.</param>
/// <param name="RunningMean">Moving mean after the step.</param>
/// <param name="RunningStd">Moving standard deviation after the step.</param>
public sealed record RenormResult(
    float[] Output, float[] GradInput, float[] GradGamma, float[] GradBeta, float[] R, float[] D, float[] RunningMean, float[] RunningStd)
{
    /// <summary>Runs the step as the <see cref="BatchRenormKernels"/> summary describes.</summary>
    public static RenormResult Train(in KernelContext context, RenormCase c)
    {
        int n = c.Batch, ch = c.Channels, s = c.Spatial;
        var mean = new float[ch];
        var variance = new float[ch];
        BatchNormKernels.Statistics(context, n, ch, s, c.Input, mean, variance);

        var invStd = new float[ch];
        var r = new float[ch];
        var d = new float[ch];
        var scale = new float[ch];
        var shift = new float[ch];
        BatchRenormKernels.TrainingScaleShift(
            mean, variance, c.RunningMeanStart, c.RunningStdStart, c.Gamma, c.Beta, RenormCase.Eps, c.RMax, c.DMax, invStd, r, d, scale, shift);
        float[] runningMean = (float[])c.RunningMeanStart.Clone();
        float[] runningStd = (float[])c.RunningStdStart.Clone();
        BatchRenormKernels.UpdateRunningStatistics(mean, variance, RenormCase.Eps, RenormCase.Momentum, runningMean, runningStd);

        var y = new float[c.Input.Length];
        BatchNormKernels.Apply(context, n, ch, s, c.Input, scale, shift, relu: false, y);

        var sumDy = new float[ch];
        var sumDyXhat = new float[ch];
        BatchNormKernels.BackwardReduce(context, n, ch, s, c.GradOutput, default, c.Input, mean, invStd, sumDy, sumDyXhat);
        float[] gradGamma = (float[])c.GradGammaStart.Clone();
        float[] gradBeta = (float[])c.GradBetaStart.Clone();
        if (c.Gamma.Length > 0)
        {
            BatchRenormKernels.AccumulateParameterGradients(r, d, sumDy, sumDyXhat, gradGamma, gradBeta);
        }

        var gammaTimesR = new float[ch];
        BatchRenormKernels.EffectiveGamma(c.Gamma, r, gammaTimesR);
        var dx = new float[c.Input.Length];
        BatchNormKernels.BackwardInput(context, n, ch, s, c.GradOutput, default, c.Input, mean, invStd, gammaTimesR, sumDy, sumDyXhat, dx);
        return new RenormResult(y, dx, gradGamma, gradBeta, r, d, runningMean, runningStd);
    }
}
