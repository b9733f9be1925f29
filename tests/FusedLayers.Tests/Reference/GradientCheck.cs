using System;
using System.Collections.Generic;
using System.Globalization;
using FusedLayers.Reference;

namespace FusedLayers.Tests.Reference;

/// <summary>
/// Central finite-difference gradient check for a reference layer. The loss is
/// <c>L = sum(output * R)</c> with fixed random weights <c>R</c>, so <c>dL/doutput = R</c> is what
/// <c>Backward</c> receives. Every input element and every parameter element is perturbed by
/// <c>+-h</c> and <c>(L(x+h) - L(x-h)) / 2h</c> is compared with the analytic gradient.
/// </summary>
internal static class GradientCheck
{
    /// <summary>Finite-difference step.</summary>
    public const double Step = 1e-6;

    /// <summary>
    /// Tolerance on <c>|analytic - numeric| / max(1, |analytic|, |numeric|)</c>, i.e. relative for
    /// gradients above 1 and absolute below. With h = 1e-6 in float64 the truncation error is O(h^2)
    /// ~ 1e-12 and the round-off error ~ 1e-16 * |L| / h ~ 1e-9 for these small losses, so 1e-6
    /// leaves a wide margin while any formula mistake shows up as an O(1e-2..1) error.
    /// </summary>
    public const double Tolerance = 1e-6;

    /// <summary>Checks the gradients of <paramref name="layer"/> at <paramref name="input"/>.</summary>
    public static void Check(IReferenceLayer layer, ReferenceTensor input, int seed)
    {
        var random = new Random(seed);
        ReferenceTensor output = layer.Forward(input);
        double[] weights = TestData.Uniform(random, output.Length);

        // Analytic gradients first, from the unperturbed forward pass.
        foreach (ReferenceParameter p in layer.Parameters)
        {
            p.ZeroGrad();
        }

        ReferenceTensor gradInput = layer.Backward(new ReferenceTensor((double[])weights.Clone(), output.Shape));
        Assert.Equal(input.Shape, gradInput.Shape);
        var analyticParameters = new List<double[]>();
        foreach (ReferenceParameter p in layer.Parameters)
        {
            analyticParameters.Add((double[])p.Grad.Clone());
        }

        double Loss()
        {
            double[] y = layer.Forward(input).Data;
            double sum = 0.0;
            for (int i = 0; i < y.Length; i++)
            {
                sum += y[i] * weights[i];
            }

            return sum;
        }

        double largestInputGradient = Compare(layer.Name + " input", gradInput.Data, input.Data, Loss);
        Assert.True(largestInputGradient > 1e-3, $"{layer.Name}: the input gradient is (numerically) zero; the check proves nothing.");
        for (int k = 0; k < layer.Parameters.Count; k++)
        {
            ReferenceParameter p = layer.Parameters[k];
            Compare(p.Name, analyticParameters[k], p.Data, Loss);
        }
    }

    /// <summary>Compares analytic gradients with central differences of <paramref name="loss"/> w.r.t. <paramref name="values"/>.</summary>
    /// <returns>The largest numeric gradient magnitude.</returns>
    private static double Compare(string what, double[] analytic, double[] values, Func<double> loss)
    {
        Assert.Equal(values.Length, analytic.Length);
        double worst = 0.0, largest = 0.0;
        string worstText = string.Empty;
        for (int i = 0; i < values.Length; i++)
        {
            double original = values[i];
            double plus = original + Step, minus = original - Step;
            values[i] = plus;
            double lossPlus = loss();
            values[i] = minus;
            double lossMinus = loss();
            values[i] = original;

            // Divide by the step actually taken (plus - minus is not exactly 2h in floating point).
            double numeric = (lossPlus - lossMinus) / (plus - minus);
            double error = Math.Abs(analytic[i] - numeric) / Math.Max(1.0, Math.Max(Math.Abs(analytic[i]), Math.Abs(numeric)));
            largest = Math.Max(largest, Math.Abs(numeric));
            if (error > worst)
            {
                worst = error;
                worstText = string.Format(CultureInfo.InvariantCulture, "{0}[{1}]: analytic {2:R}, numeric {3:R}", what, i, analytic[i], numeric);
            }
        }

        Assert.True(worst <= Tolerance, $"Gradient mismatch (error {worst:E3} > {Tolerance:E0}) at {worstText}");
        return largest;
    }
}
