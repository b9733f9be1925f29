using System;
using System.Collections.Generic;
using System.Globalization;

namespace FusedLayers.Distributed.Tests;

/// <summary>
/// float32 closeness, <c>|actual - expected| &lt;= Absolute + Relative * |expected|</c>, element by element, with the
/// worst absolute error kept for the test output.
/// </summary>
public sealed class Closeness(double absolute, double relative)
{
    private readonly List<string> worst = [];

    /// <summary>Absolute tolerance.</summary>
    public double Absolute { get; } = absolute;

    /// <summary>Relative tolerance.</summary>
    public double Relative { get; } = relative;

    /// <summary>Largest absolute error seen per tensor, for the test log.</summary>
    public IReadOnlyList<string> Report => worst;

    /// <summary>Asserts that <paramref name="actual"/> matches <paramref name="expected"/> (times <paramref name="scale"/>).</summary>
    /// <param name="what">Tensor name for messages.</param>
    /// <param name="expected">Reference values.</param>
    /// <param name="actual">Observed values.</param>
    /// <param name="scale">Factor applied to the expected values.</param>
    public void Check(string what, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double scale = 1)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        Assert.True(expected.Length > 0, $"{what}: nothing to compare");
        double maxError = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i] * scale;
            double error = Math.Abs(actual[i] - e);
            maxError = Math.Max(maxError, error);
            if (!(error <= Absolute + (Relative * Math.Abs(e))))
            {
                Assert.Fail(string.Format(
                    CultureInfo.InvariantCulture,
                    "{0}[{1}]: {2:R}, expected {3:R} (error {4:E2}, tolerance {5:E1} + {6:E1} * |expected|)",
                    what,
                    i,
                    actual[i],
                    e,
                    error,
                    Absolute,
                    Relative));
            }
        }

        worst.Add(string.Format(CultureInfo.InvariantCulture, "{0}: max abs error {1:E2}", what, maxError));
    }
}
