using System;
using FusedLayers.Tests.Numerics;
using FusedLayers.Training;

namespace FusedLayers.Tests.Training;

/// <summary>BCEWithLogitsLoss against the float64 formula of PyTorch's documentation and finite differences.</summary>
public class BCEWithLogitsLossTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Loss_and_gradient_match_the_float64_formula(bool withPosWeight, bool mean)
    {
        for (int classes = 1; classes <= 9; classes += 4)
        {
            for (int rows = 1; rows <= 7; rows += 3)
            {
                int n = rows * classes;
                var random = new Random((n * 10) + classes);
                float[] x = RandomData.Normal(random, n, std: 3.0);
                float[] y = RandomData.Uniform(random, n, scale: 0.5, offset: 0.5);
                y[0] = 1f;
                float[]? pw = withPosWeight ? RandomData.Uniform(random, classes, scale: 1.5, offset: 2.0) : null;
                var loss = new BCEWithLogitsLoss(pw, mean ? Reduction.Mean : Reduction.Sum);
                var grad = new float[n];
                float value = loss.Compute(x, y, grad);
                double[]? pwd = pw is null ? null : LossReference.Widen(pw);
                double expected = LossReference.BceWithLogits(LossReference.Widen(x), LossReference.Widen(y), pwd, mean);
                Assert.True(Math.Abs(value - expected) <= 1e-6 * Math.Abs(expected), $"[{rows}, {classes}]: loss {value}, expected {expected}");
                Assert.Equal(value, loss.Compute(x, y));
                Compare.Close($"[{rows}, {classes}] dLogits", LossReference.BceWithLogitsGradient(LossReference.Widen(x), LossReference.Widen(y), pwd, mean), grad, 1e-6);
            }
        }
    }

    [Fact]
    public void Gradient_matches_finite_differences()
    {
        var random = new Random(4);
        float[] x = RandomData.Normal(random, 12);
        double[] y = LossReference.Widen(RandomData.Uniform(random, 12, scale: 0.5, offset: 0.5));
        double[] pw = [0.5, 2.0, 3.0];
        var grad = new float[12];
        new BCEWithLogitsLoss([0.5f, 2f, 3f]).Compute(x, Array.ConvertAll(y, v => (float)v), grad);
        Compare.Close(
            "dLogits vs finite differences",
            LossReference.FiniteDifferences(v => LossReference.BceWithLogits(v, y, pw, mean: true), LossReference.Widen(x)),
            grad);
    }

    [Fact]
    public void Large_logits_neither_overflow_nor_lose_the_loss()
    {
        // log(1 + exp(-|x|)) + max(-x, 0): x = ±100 gives 100 for the wrong label, exp(-100) for the right one.
        float[] x = [100f, -100f, 100f, -100f, 0f];
        float[] y = [0f, 1f, 1f, 0f, 1f];
        var grad = new float[5];
        float value = new BCEWithLogitsLoss(reduction: Reduction.Sum).Compute(x, y, grad);
        Assert.Equal(200.0 + Math.Log(2), value, 4);
        float[] expected = [1f, -1f, 0f, 0f, -0.5f];
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(expected[i], grad[i], 1e-6f);
        }
    }

    [Fact]
    public void Invalid_arguments_and_allocation()
    {
        Assert.Throws<ArgumentException>(() => new BCEWithLogitsLoss([]));
        Assert.Throws<ArgumentException>(() => new BCEWithLogitsLoss([float.NaN]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BCEWithLogitsLoss(reduction: (Reduction)7));
        var loss = new BCEWithLogitsLoss([1f, 2f, 3f]);
        Assert.Throws<ArgumentException>(() => loss.Compute(new float[4], new float[4]));
        Assert.Throws<ArgumentException>(() => loss.Compute(new float[3], new float[6]));
        Assert.Throws<ArgumentException>(() => loss.Compute([], []));
        Assert.Throws<ArgumentException>(() => loss.Compute(new float[3], new float[3], new float[2]));

        var x = new float[99];
        var y = new float[99];
        var g = new float[99];
        loss.Compute(x, y, g);
        AllocationAssert.SteadyStateAllocatesNothing(() =>
        {
            loss.Compute(x, y, g);
            loss.Compute(x, y);
        });
    }
}
