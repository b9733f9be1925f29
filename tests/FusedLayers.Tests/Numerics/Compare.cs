using System;
using System.Collections.Generic;
using System.Globalization;
using FusedLayers.Reference;
using Xunit.Sdk;

namespace FusedLayers.Tests.Numerics;

/// <summary>
/// Tolerance checks of float32 results against the float64 reference. The error is relative to the
/// largest reference magnitude (the tensor's scale), so that elements that cancel to near zero do not
/// dominate: <c>max|a - r| / max(max|r|, floor) &lt;= tolerance</c>.
/// </summary>
public static class Compare
{
    /// <summary>
    /// 1e-4: float32 has a 6e-8 unit round-off; sums of up to a few thousand products (conv taps x batch
    /// positions, BatchNorm reductions) and the 1/sqrt(var + eps) scaling keep the observed error near
    /// 1e-6..1e-5, so 1e-4 leaves a margin while still catching any wrong index or formula (those give 1e-1).
    /// </summary>
    public const double Tolerance = 1e-4;

    /// <summary>Asserts <paramref name="actual"/> matches <paramref name="expected"/> within <see cref="Tolerance"/>.</summary>
    public static void Close(string what, IReadOnlyList<double> expected, ReadOnlySpan<float> actual, double tolerance = Tolerance, double floor = 1e-6)
    {
        if (expected.Count != actual.Length)
        {
            throw new XunitException($"{what}: length {actual.Length}, expected {expected.Count}.");
        }

        double scale = floor;
        for (int i = 0; i < expected.Count; i++)
        {
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }

        double worst = 0;
        int worstIndex = -1;
        for (int i = 0; i < expected.Count; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            if (double.IsNaN(actual[i]) || error > worst)
            {
                worst = double.IsNaN(actual[i]) ? double.PositiveInfinity : error;
                worstIndex = i;
            }
        }

        double relative = worst / scale;
        if (!(relative <= tolerance))
        {
            throw new XunitException(string.Create(
                CultureInfo.InvariantCulture,
                $"{what}: relative error {relative:E2} > {tolerance:E0} at index {worstIndex} (got {actual[worstIndex]}, expected {expected[worstIndex]}, scale {scale:E2})."));
        }
    }

    /// <summary>Float-to-float version, for path-to-path comparisons.</summary>
    public static void Close(string what, float[] expected, ReadOnlySpan<float> actual, double tolerance = Tolerance)
    {
        var asDouble = new double[expected.Length];
        for (int i = 0; i < expected.Length; i++)
        {
            asDouble[i] = expected[i];
        }

        Close(what, asDouble, actual, tolerance);
    }

    /// <summary>Copies every parameter of <paramref name="model"/> into the reference by state-dict name.</summary>
    public static void CopyParameters(IFusedModel model, ReferenceSequential reference)
    {
        foreach (Parameter parameter in model.Parameters)
        {
            ReferenceParameter target = reference.FindParameter(parameter.Name)
                ?? throw new XunitException($"The reference has no parameter '{parameter.Name}'.");
            target.CopyFrom(parameter.Data);
        }

        // Dropout draws its mask from (seed, step): give the generated layer the reference's, so both draw the same masks.
        foreach (IReferenceLayer layer in reference.Layers)
        {
            if (layer is ReferenceDropout dropout)
            {
                var generated = (DropoutLayer)(model.GetType().GetProperty(dropout.Name)?.GetValue(model)
                    ?? throw new XunitException($"The model has no dropout layer '{dropout.Name}'."));
                generated.Seed = dropout.Seed;
                generated.Step = dropout.Step;
            }
        }
    }
}
