using System;
using System.Collections.Generic;
using System.Globalization;
using FusedLayers.Execution;
using FusedLayers.Kernels;
using Xunit.Abstractions;

namespace FusedLayers.Tests.Kernels.Winograd;

/// <summary>
/// The measured float32 error of each convolution algorithm against a float64 reference, over channel counts 3..512
/// and planes 7..224 (sampled shapes), with unit-scale inputs and inputs of large dynamic range (magnitudes spread over
/// six decades). The error of a run is <c>max|a - r| / max|r|</c> over 2048 sampled output positions (the reference is
/// computed at those positions only, which keeps the class fast). Asserts that each algorithm stays within the error
/// the shared rule states for it (<see cref="ConvAlgorithmRule"/>) and prints the worst error per algorithm and path.
/// </summary>
public sealed class WinogradAccuracyTests(ITestOutputHelper log)
{
    private const int Samples = 2048;

    private static readonly (int Cin, int Cout, int Side, int Batch)[] Shapes =
    [
        (3, 32, 224, 1),
        (16, 24, 112, 1),
        (64, 64, 56, 2),
        (128, 96, 28, 2),
        (256, 256, 14, 1),
        (512, 512, 7, 2),
        (37, 53, 19, 1),
    ];

    [Fact]
    public void Worst_relative_error_per_algorithm_stays_within_what_the_rule_states()
    {
        var paths = new List<KernelIsa>();
        foreach (KernelIsa isa in new[] { KernelIsa.Avx2, KernelIsa.Avx512 })
        {
            // Native paths only: the emulated Vector512 code would make 512-channel shapes take minutes.
            if (KernelContext.BestSupported >= isa)
            {
                paths.Add(isa);
            }
        }

        if (paths.Count == 0)
        {
            Assert.Equal(ConvAlgorithmKind.Direct, Conv2dKernels.Choose(KernelIsa.Scalar, ConvAlgorithm.Winograd4x4, new Conv2dGeometry(64, 64, 56, 56, 3, 1, 1)));
            log.WriteLine("Scalar process: Winograd never runs (every request resolves to direct).");
            return;
        }

        var worst = new Dictionary<string, double>();
        foreach (bool wide in new[] { false, true })
        {
            for (int s = 0; s < Shapes.Length; s++)
            {
                var (cin, cout, side, batch) = Shapes[s];
                var g = new Conv2dGeometry(cin, cout, side, side, 3, 1, 1);
                var random = new Random(700 + s + (wide ? 100 : 0));
                float[] input = Values(random, batch * g.InputSampleLength, 1.0, wide);
                float[] weight = Values(random, g.WeightLength, 1.0 / Math.Sqrt(9.0 * cin), wide: false);
                float[] bias = Values(random, cout, 0.1, wide: false);
                var positions = new int[Samples];
                for (int i = 0; i < Samples; i++)
                {
                    positions[i] = random.Next(batch * g.OutputSampleLength);
                }

                double[] reference = Reference(g, input, weight, bias, positions);
                var output = new float[batch * g.OutputSampleLength];
                foreach (KernelIsa isa in paths)
                {
                    foreach (ConvAlgorithm algorithm in new[] { ConvAlgorithm.Direct, ConvAlgorithm.Winograd2x2, ConvAlgorithm.Winograd4x4 })
                    {
                        Conv2dKernels.ForwardOn(isa, 2, g, batch, input, weight, bias, output, Activation.Identity, default, default, algorithm);
                        double error = RelativeError(reference, output, positions);
                        string key = $"{algorithm} {isa}";
                        worst[key] = Math.Max(worst.GetValueOrDefault(key), error);
                        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(wide ? "wide" : "unit")} {cin}->{cout} {side}x{side} n{batch} {key}: {error:E2}"));
                    }
                }
            }
        }

        foreach (KeyValuePair<string, double> entry in worst)
        {
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"worst {entry.Key}: {entry.Value:E2}"));
        }

        foreach (KernelIsa isa in paths)
        {
            Assert.True(worst[$"Winograd2x2 {isa}"] <= ConvAlgorithmRule.Winograd2x2Error, $"F(2x2,3x3) on {isa}: {worst[$"Winograd2x2 {isa}"]:E2}");
            Assert.True(worst[$"Winograd4x4 {isa}"] <= ConvAlgorithmRule.Winograd4x4Error, $"F(4x4,3x3) on {isa}: {worst[$"Winograd4x4 {isa}"]:E2}");
            Assert.True(worst[$"Direct {isa}"] <= ConvAlgorithmRule.ErrorBudget, $"direct on {isa}");
        }
    }

    /// <summary>Uniform in <c>[-scale, scale]</c>, or, when <paramref name="wide"/>, that times <c>10^u</c> with <c>u</c> uniform in <c>[-3, 3]</c>.</summary>
    private static float[] Values(Random random, int length, double scale, bool wide)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            double v = ((2 * random.NextDouble()) - 1) * scale;
            values[i] = (float)(wide ? v * Math.Pow(10, (6 * random.NextDouble()) - 3) : v);
        }

        return values;
    }

    private static double[] Reference(in Conv2dGeometry g, float[] input, float[] weight, float[] bias, int[] positions)
    {
        var result = new double[positions.Length];
        int plane = g.OutputPlaneLength;
        for (int i = 0; i < positions.Length; i++)
        {
            int at = positions[i];
            int n = at / g.OutputSampleLength, co = at / plane % g.OutChannels, oy = at % plane / g.OutWidth, ox = at % g.OutWidth;
            double sum = bias[co];
            for (int ci = 0; ci < g.InChannels; ci++)
            {
                for (int ky = 0; ky < 3; ky++)
                {
                    int iy = oy - g.Padding + ky;
                    if ((uint)iy >= (uint)g.InHeight)
                    {
                        continue;
                    }

                    for (int kx = 0; kx < 3; kx++)
                    {
                        int ix = ox - g.Padding + kx;
                        if ((uint)ix < (uint)g.InWidth)
                        {
                            sum += (double)weight[(((co * g.InChannels) + ci) * 9) + (ky * 3) + kx]
                                * input[(((n * g.InChannels) + ci) * g.InHeight * g.InWidth) + (iy * g.InWidth) + ix];
                        }
                    }
                }
            }

            result[i] = sum;
        }

        return result;
    }

    private static double RelativeError(double[] reference, float[] output, int[] positions)
    {
        double scale = 1e-30, error = 0;
        for (int i = 0; i < positions.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(reference[i]));
            double e = Math.Abs(output[positions[i]] - reference[i]);
            error = double.IsNaN(e) ? double.PositiveInfinity : Math.Max(error, e);
        }

        return error / scale;
    }
}
