using System;
using System.Globalization;
using System.Linq;
using System.Threading;
using FusedLayers.Reference;
using FusedLayers.Tests.Numerics;
using Xunit.Abstractions;

namespace FusedLayers.Tests.Kernels;

/// <summary>Which PyTorch layer a <see cref="NormKernelCase"/> stands for.</summary>
public enum NormKind
{
    /// <summary><c>LayerNorm(C)</c> over <c>[N, C]</c>: G = 1, S = 1.</summary>
    LayerNorm,

    /// <summary><c>GroupNorm(G, C)</c> over <c>[N, C, S]</c>.</summary>
    GroupNorm,

    /// <summary><c>InstanceNorm1d(C, track_running_stats=True)</c> over <c>[N, C, S]</c>: G = C.</summary>
    InstanceNorm,
}

/// <summary>
/// A <see cref="FusedLayers.Kernels.RowNormKernels"/> test shape with float32 data and the float64
/// results of the matching reference layer.
/// </summary>
public sealed class NormKernelCase
{
    private static readonly Lazy<NormKernelCase>[] Cases =
    [
        Make(0, NormKind.LayerNorm, 13, 37, 1, 1, gamma: true, beta: true),      // D = 2 * 16 + 5
        Make(1, NormKind.LayerNorm, 40, 1000, 1, 1, gamma: true, beta: false),   // parallel, 4 column blocks, bias=False
        Make(2, NormKind.LayerNorm, 7, 5, 1, 1, gamma: false, beta: false),      // narrower than one vector, no affine
        Make(3, NormKind.GroupNorm, 9, 12, 1, 3, gamma: true, beta: true),       // [N, C]: element-wise affine within each group
        Make(4, NormKind.GroupNorm, 60, 600, 1, 3, gamma: true, beta: true),     // parallel; column blocks straddle groups
        Make(5, NormKind.GroupNorm, 4, 32, 17 * 19, 8, gamma: true, beta: true), // parallel rows of 4 planes of 323
        Make(6, NormKind.GroupNorm, 3, 6, 5 * 7, 2, gamma: false, beta: false),
        Make(7, NormKind.GroupNorm, 2, 5, 3 * 3, 1, gamma: true, beta: true),    // one group: LayerNorm over [C, H, W]
        Make(8, NormKind.InstanceNorm, 5, 7, 23, 7, gamma: true, beta: true),
        Make(9, NormKind.InstanceNorm, 2, 3, 9 * 11, 3, gamma: false, beta: false),
        Make(10, NormKind.InstanceNorm, 2, 4, 65, 4, gamma: true, beta: true, offset: 100.0), // mean 100, std ~0.6
        Make(11, NormKind.InstanceNorm, 64, 16, 33, 16, gamma: true, beta: true),             // parallel, many short rows
    ];

    private NormKernelCase(int index, NormKind kind, int batch, int channels, int spatial, int groups, bool gamma, bool beta, double offset)
    {
        Index = index;
        Kind = kind;
        Batch = batch;
        Channels = channels;
        Spatial = spatial;
        Groups = groups;
        var random = new Random(500 + index);
        Input = RandomData.Uniform(random, batch * channels * spatial, offset: offset);
        Gamma = gamma ? RandomData.Uniform(random, channels, 0.5, 1.0) : [];
        Beta = beta ? RandomData.Uniform(random, channels) : [];
        GradOutput = RandomData.Uniform(random, Input.Length);
        GradGammaStart = gamma ? RandomData.Uniform(random, channels, 0.1) : [];
        GradBetaStart = beta ? RandomData.Uniform(random, channels, 0.1) : [];
        RunningMeanStart = RandomData.Uniform(random, channels, 0.5);
        RunningVarStart = RandomData.Uniform(random, channels, 0.5, 1.0);

        IReferenceLayer layer = CreateReference();
        int[] shape = spatial == 1 ? [batch, channels] : [batch, channels, spatial];
        Output = layer.Forward(ReferenceTensor.FromFloats(Input, shape)).Data;
        GradInput = layer.Backward(ReferenceTensor.FromFloats(GradOutput, shape)).Data;
        GradGamma = Accumulated(GradGammaStart, layer.Parameters.FirstOrDefault(p => p.Name.EndsWith(".weight", StringComparison.Ordinal)));
        GradBeta = Accumulated(GradBetaStart, layer.Parameters.FirstOrDefault(p => p.Name.EndsWith(".bias", StringComparison.Ordinal)));
        if (layer is ReferenceInstanceNorm instanceNorm)
        {
            RunningMean = instanceNorm.RunningMean!;
            RunningVar = instanceNorm.RunningVar!;
        }
        else
        {
            RunningMean = [];
            RunningVar = [];
        }

        RowStatistics(out double[] mean, out double[] variance, out double[] invStd);
        Mean = mean;
        Variance = variance;
        InvStd = invStd;
    }

    /// <summary>Number of cases.</summary>
    public static int Count => Cases.Length;

    /// <summary>Index in the case list.</summary>
    public int Index { get; }

    /// <summary>The layer the case stands for.</summary>
    public NormKind Kind { get; }

    /// <summary>N.</summary>
    public int Batch { get; }

    /// <summary>C.</summary>
    public int Channels { get; }

    /// <summary>S.</summary>
    public int Spatial { get; }

    /// <summary>G.</summary>
    public int Groups { get; }

    /// <summary>N * G.</summary>
    public int Rows => Batch * Groups;

    /// <summary>Input, <c>N * C * S</c>.</summary>
    public float[] Input { get; }

    /// <summary>Weight, or empty.</summary>
    public float[] Gamma { get; }

    /// <summary>Bias, or empty.</summary>
    public float[] Beta { get; }

    /// <summary>Output gradient.</summary>
    public float[] GradOutput { get; }

    /// <summary>Initial weight gradient (the kernel accumulates), or empty.</summary>
    public float[] GradGammaStart { get; }

    /// <summary>Initial bias gradient, or empty.</summary>
    public float[] GradBetaStart { get; }

    /// <summary>Initial InstanceNorm running mean.</summary>
    public float[] RunningMeanStart { get; }

    /// <summary>Initial InstanceNorm running variance.</summary>
    public float[] RunningVarStart { get; }

    /// <summary>Reference output.</summary>
    public double[] Output { get; }

    /// <summary>Reference input gradient.</summary>
    public double[] GradInput { get; }

    /// <summary>Start plus the reference weight gradient, or empty.</summary>
    public double[] GradGamma { get; }

    /// <summary>Start plus the reference bias gradient, or empty.</summary>
    public double[] GradBeta { get; }

    /// <summary>Reference running mean after one training step (InstanceNorm cases), else empty.</summary>
    public double[] RunningMean { get; }

    /// <summary>Reference running variance after one training step (InstanceNorm cases), else empty.</summary>
    public double[] RunningVar { get; }

    /// <summary>Row means, <c>N * G</c>.</summary>
    public double[] Mean { get; }

    /// <summary>Row biased variances.</summary>
    public double[] Variance { get; }

    /// <summary>Row <c>1 / sqrt(var + 1e-5)</c>.</summary>
    public double[] InvStd { get; }

    /// <summary>The case with index <paramref name="index"/>.</summary>
    public static NormKernelCase Get(int index) => Cases[index].Value;

    /// <inheritdoc />
    public override string ToString() =>
        $"#{Index} {Kind} [N {Batch}, C {Channels}, S {Spatial}] G {Groups} gamma {Gamma.Length > 0} beta {Beta.Length > 0}";

    private IReferenceLayer CreateReference()
    {
        IReferenceLayer layer;
        switch (Kind)
        {
            case NormKind.LayerNorm:
                var ln = new ReferenceLayerNorm("ln", [Channels], elementwiseAffine: Gamma.Length > 0, bias: Beta.Length > 0);
                ln.Weight?.CopyFrom(Gamma);
                ln.Bias?.CopyFrom(Beta);
                layer = ln;
                break;
            case NormKind.GroupNorm:
                var gn = new ReferenceGroupNorm("gn", Groups, Channels, affine: Gamma.Length > 0);
                gn.Weight?.CopyFrom(Gamma);
                gn.Bias?.CopyFrom(Beta);
                layer = gn;
                break;
            default:
                var norm = new ReferenceInstanceNorm("in", Channels, 1, affine: Gamma.Length > 0, trackRunningStats: true);
                norm.Weight?.CopyFrom(Gamma);
                norm.Bias?.CopyFrom(Beta);
                for (int c = 0; c < Channels; c++)
                {
                    norm.RunningMean![c] = RunningMeanStart[c];
                    norm.RunningVar![c] = RunningVarStart[c];
                }

                layer = norm;
                break;
        }

        return layer;
    }

    private void RowStatistics(out double[] mean, out double[] variance, out double[] invStd)
    {
        int length = Channels / Groups * Spatial;
        mean = new double[Rows];
        variance = new double[Rows];
        invStd = new double[Rows];
        for (int r = 0; r < Rows; r++)
        {
            double[] row = Input.Skip(r * length).Take(length).Select(v => (double)v).ToArray();
            mean[r] = row.Average();
            double m = mean[r];
            variance[r] = row.Sum(v => (v - m) * (v - m)) / length;
            invStd[r] = 1.0 / Math.Sqrt(variance[r] + 1e-5);
        }
    }

    private static double[] Accumulated(float[] start, ReferenceParameter? parameter)
    {
        if (parameter is null)
        {
            return [];
        }

        return start.Select((s, i) => s + parameter.Grad[i]).ToArray();
    }

    private static Lazy<NormKernelCase> Make(
        int index, NormKind kind, int batch, int channels, int spatial, int groups, bool gamma, bool beta, double offset = 0.0) =>
        new(() => new NormKernelCase(index, kind, batch, channels, spatial, groups, gamma, beta, offset), LazyThreadSafetyMode.ExecutionAndPublication);
}

/// <summary>The kernel tests' tolerance check, which also reports the error it saw.</summary>
public static class NormTolerance
{
    /// <summary>
    /// 1e-5 of the tensor's largest reference magnitude. Float32 carries 6e-8 relative; the rows here sum up to
    /// 4 * 323 values in float32 vector lanes and the gradients cancel three terms of similar size, which puts
    /// the observed errors at 1e-7..2e-6 (see the test output); a wrong index or term gives 1e-2 and more.
    /// </summary>
    public const double Relative = 1e-5;

    /// <summary>Asserts <c>max|actual - expected| / max(max|expected|, 1e-6) &lt;= tolerance</c> and writes the error to the test output.</summary>
    public static void Close(ITestOutputHelper output, string what, double[] expected, ReadOnlySpan<float> actual, double tolerance = Relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 1e-6, worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(expected[i]));
            double error = Math.Abs(actual[i] - expected[i]);
            worst = double.IsNaN(error) ? double.PositiveInfinity : Math.Max(worst, error);
            if (double.IsInfinity(worst))
            {
                break;
            }
        }

        double relative = worst / scale;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: relative error {relative:E2}"));
        Assert.True(relative <= tolerance, string.Create(CultureInfo.InvariantCulture, $"{what}: relative error {relative:E2} > {tolerance:E0}"));
    }
}
