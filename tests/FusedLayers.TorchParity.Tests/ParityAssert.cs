using System;
using System.Globalization;
using Xunit.Sdk;

namespace FusedLayers.TorchParity.Tests;

/// <summary>
/// Tolerances of FusedLayers (float32) against PyTorch (float32).
/// </summary>
public static class ParityAssert
{
    /// <summary>
    /// 1e-4 of the tensor's largest PyTorch magnitude: <c>max|fused - torch| / max|torch| &lt;= 1e-4</c>.
    /// Both sides are float32 (unit round-off 6e-8) but sum in different orders (libtorch's blocked
    /// convolution and GEMM, its BatchNorm reductions, against FusedLayers' kernels); sums of up to a
    /// few thousand terms and the 1/sqrt(var + eps) scaling put the observed differences near 1e-6,
    /// rarely 1e-5, of the scale. A wrong index, formula or statistic gives 1e-2 and more. Relative to
    /// the scale, not element-wise, so that elements that cancel to near zero do not dominate.
    /// </summary>
    public const double Relative = 1e-4;

    /// <summary>
    /// Absolute tolerance, per value summed, for the gradient of a Conv/Linear bias that feeds a
    /// training-mode BatchNorm: the tolerance is this times m, the number of values per channel that went
    /// into the gradient (batch x H x W, summed over the steps since the last ZeroGrad).
    /// The gradient is exactly zero in theory: it is <c>sum dz</c> over the channel's m values, and
    /// <c>dz = gamma/std * (dy - mean(dy) - xhat * mean(dy*xhat))</c> sums to zero. In float32 both sides
    /// return cancellation noise of the order of <c>u * |gamma|/std * sum|dy|</c>, which grows with m
    /// (observed here: 8e-7 at m = 6, 1.2e-6 at m = 256, 1.7e-4 at m = 4096, i.e. at most 1.5e-7 * m),
    /// with unrelated signs and digits on the two sides, so a relative comparison is meaningless.
    /// 2e-6 * m leaves a margin of 10x and more over that noise and stays far below what a real error
    /// gives (for example <c>sum dy</c> instead of <c>sum dz</c>: of the order of |gamma|/std * sqrt(m),
    /// 1 and more for these unit-normal output gradients).
    /// </summary>
    public const double BiasBeforeBatchNormPerValue = 2e-6;

    /// <summary>Asserts <c>max|actual - expected| &lt;= tolerance * max(max|expected|, floor)</c>.</summary>
    /// <param name="what">What is compared, for the message.</param>
    /// <param name="expected">The expected values (PyTorch's, or a formula's).</param>
    /// <param name="actual">FusedLayers' values.</param>
    /// <param name="tolerance">Relative tolerance.</param>
    /// <param name="floor">Smallest scale (so that an all-zero tensor is compared absolutely).</param>
    /// <returns>The relative error found.</returns>
    public static double Close(string what, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance = Relative, double floor = 1e-6)
    {
        if (expected.Length != actual.Length)
        {
            throw new XunitException($"{what}: FusedLayers has {actual.Length} values, expected {expected.Length}.");
        }

        double scale = floor;
        foreach (float e in expected)
        {
            scale = Math.Max(scale, Math.Abs(e));
        }

        (double worst, int index) = WorstDifference(expected, actual);
        double relative = worst / scale;
        if (!(relative <= tolerance))
        {
            throw new XunitException(string.Create(
                CultureInfo.InvariantCulture,
                $"{what}: relative error {relative:E2} > {tolerance:E0} at index {index} of {expected.Length} " +
                $"(FusedLayers {actual[index]:R}, expected {expected[index]:R}, scale {scale:E2})."));
        }

        return relative;
    }

    /// <summary>Asserts <c>max|actual - expected| &lt;= absolute</c>.</summary>
    /// <param name="what">What is compared, for the message.</param>
    /// <param name="expected">The expected values (PyTorch's, or a formula's).</param>
    /// <param name="actual">FusedLayers' values.</param>
    /// <param name="absolute">Absolute tolerance.</param>
    /// <returns>The largest absolute difference.</returns>
    public static double Near(string what, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double absolute)
    {
        if (expected.Length != actual.Length)
        {
            throw new XunitException($"{what}: FusedLayers has {actual.Length} values, expected {expected.Length}.");
        }

        (double worst, int index) = WorstDifference(expected, actual);
        if (!(worst <= absolute))
        {
            throw new XunitException(string.Create(
                CultureInfo.InvariantCulture,
                $"{what}: absolute error {worst:E2} > {absolute:E0} at index {index} " +
                $"(FusedLayers {actual[index]:R}, expected {expected[index]:R})."));
        }

        return worst;
    }

    private static (double Worst, int Index) WorstDifference(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        double worst = 0;
        int index = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs((double)actual[i] - expected[i]);
            if (double.IsNaN(error))
            {
                // NaN on one side only is a mismatch; NaN on both sides (never expected here) too.
                return (double.PositiveInfinity, i);
            }

            if (error > worst)
            {
                worst = error;
                index = i;
            }
        }

        return (worst, index);
    }
}
