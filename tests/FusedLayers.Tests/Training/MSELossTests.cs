using System;
using FusedLayers.Tests.Numerics;
using FusedLayers.Training;

namespace FusedLayers.Tests.Training;

/// <summary>MSE against the float64 formula and finite differences, on lengths that sweep every vector remainder.</summary>
public class MSELossTests
{
    [Fact]
    public void Loss_and_gradient_match_the_float64_formula_for_every_length()
    {
        var loss = new MSELoss();
        for (int n = 1; n <= 70; n++)
        {
            var random = new Random(n);
            float[] p = RandomData.Normal(random, n, std: 2.0);
            float[] t = RandomData.Normal(random, n, mean: 1.0);
            var grad = new float[n];
            float value = loss.Compute(p, t, grad);
            double expected = LossReference.Mse(LossReference.Widen(p), LossReference.Widen(t));
            Assert.True(Math.Abs(value - expected) <= 1e-6 * expected, $"n = {n}: loss {value}, expected {expected}");
            Assert.Equal(value, loss.Compute(p, t));

            var analytic = new double[n];
            for (int i = 0; i < n; i++)
            {
                analytic[i] = 2.0 * ((double)p[i] - t[i]) / n;
            }

            Compare.Close($"n = {n}: dPrediction", analytic, grad);
        }
    }

    [Fact]
    public void Gradient_matches_finite_differences()
    {
        var random = new Random(9);
        float[] p = RandomData.Normal(random, 13);
        double[] t = LossReference.Widen(RandomData.Normal(random, 13));
        var grad = new float[13];
        new MSELoss().Compute(p, Array.ConvertAll(t, v => (float)v), grad);
        Compare.Close("dPrediction vs finite differences", LossReference.FiniteDifferences(x => LossReference.Mse(x, t), LossReference.Widen(p)), grad);
    }

    [Fact]
    public void Large_inputs_sum_in_float64()
    {
        // 1e6 values of difference 1e-3 plus one of 1: a float32 running sum would drift visibly.
        const int n = 1_000_001;
        var p = new float[n];
        var t = new float[n];
        Array.Fill(p, 1e-3f);
        p[n / 2] = 1f;
        float value = new MSELoss().Compute(p, t);
        double expected = ((n - 1) * (double)1e-3f * 1e-3f + 1.0) / n;
        Assert.True(Math.Abs(value - expected) <= 1e-6 * expected, $"loss {value}, expected {expected}");
    }

    [Fact]
    public void Invalid_arguments_and_allocation()
    {
        var loss = new MSELoss();
        Assert.Throws<ArgumentException>(() => loss.Compute(new float[3], new float[4]));
        Assert.Throws<ArgumentException>(() => loss.Compute([], []));
        Assert.Throws<ArgumentException>(() => loss.Compute(new float[3], new float[3], new float[2]));

        var p = new float[100];
        var t = new float[100];
        var g = new float[100];
        loss.Compute(p, t, g);
        AllocationAssert.SteadyStateAllocatesNothing(() =>
        {
            loss.Compute(p, t, g);
            loss.Compute(p, t);
        });
    }
}
