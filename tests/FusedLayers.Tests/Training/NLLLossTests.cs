using System;
using System.Linq;
using FusedLayers.Tests.Numerics;
using FusedLayers.Training;

namespace FusedLayers.Tests.Training;

/// <summary>NLLLoss against the float64 formula, with and without ignored samples.</summary>
public class NLLLossTests
{
    [Theory]
    [InlineData(7, 5, -100, true)]
    [InlineData(7, 5, -100, false)]
    [InlineData(9, 4, 2, true)]
    [InlineData(9, 4, 2, false)]
    [InlineData(1, 1, -1, true)]
    public void Loss_and_gradient_match_the_float64_formula(int batch, int classes, int ignoreIndex, bool mean)
    {
        var random = new Random((batch * 10) + classes);
        float[] x = RandomData.Normal(random, batch * classes, mean: -2.0);
        int[] labels = Enumerable.Range(0, batch).Select(i => i % 3 == 1 ? ignoreIndex : random.Next(classes)).ToArray();
        var loss = new NLLLoss(ignoreIndex, mean ? Reduction.Mean : Reduction.Sum);
        var grad = new float[x.Length];
        float value = loss.Compute(x, labels, grad);
        double expected = LossReference.Nll(LossReference.Widen(x), labels, ignoreIndex, mean);
        Assert.True(Math.Abs(value - expected) <= 1e-6 * Math.Abs(expected), $"loss {value}, expected {expected}");
        Assert.Equal(value, loss.Compute(x, labels));
        double[] xd = LossReference.Widen(x);
        Compare.Close("dLogProbabilities vs finite differences", LossReference.FiniteDifferences(v => LossReference.Nll(v, labels, ignoreIndex, mean), xd), grad);
    }

    [Fact]
    public void Every_sample_ignored_gives_nan_mean_zero_sum_and_zero_gradient()
    {
        float[] x = [1f, 2f, 3f, 4f];
        int[] labels = [-100, -100];
        var grad = new float[] { 9f, 9f, 9f, 9f };
        Assert.True(float.IsNaN(new NLLLoss().Compute(x, labels, grad)));
        Assert.Equal(new float[4], grad);
        Assert.Equal(0f, new NLLLoss(reduction: Reduction.Sum).Compute(x, labels));
    }

    [Fact]
    public void Gradient_may_overwrite_the_input()
    {
        float[] x = [-1f, -2f, -3f, -4f, -5f, -6f];
        float value = new NLLLoss().Compute(x, [2, 0], x);
        Assert.Equal(3.5f, value);
        Assert.Equal([0f, 0f, -0.5f, -0.5f, 0f, 0f], x);
    }

    [Fact]
    public void Invalid_arguments_and_allocation()
    {
        var loss = new NLLLoss();
        Assert.Throws<ArgumentException>(() => loss.Compute(new float[6], [0, 3]));
        Assert.Throws<ArgumentException>(() => loss.Compute(new float[6], [0, -1]));
        Assert.Throws<ArgumentException>(() => loss.Compute(new float[5], [0, 1]));
        Assert.Throws<ArgumentException>(() => loss.Compute([], []));
        Assert.Throws<ArgumentException>(() => loss.Compute(new float[6], [0, 1], new float[5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NLLLoss(reduction: (Reduction)(-1)));

        var x = new float[40];
        int[] labels = [0, 1, -100, 3];
        var g = new float[40];
        loss.Compute(x, labels, g);
        AllocationAssert.SteadyStateAllocatesNothing(() =>
        {
            loss.Compute(x, labels, g);
            loss.Compute(x, labels);
        });
    }
}
