using System;
using FusedLayers.Tests.Numerics;
using FusedLayers.Training;

namespace FusedLayers.Tests.Training;

/// <summary>
/// Cross-entropy against the float64 formula (<see cref="LossReference"/>) and finite differences.
/// Tolerances: the loss within 1e-6 relative (float32 exponentials of one row, float64 sum over rows);
/// the gradient within <see cref="Compare.Tolerance"/> of its scale.
/// </summary>
public class CrossEntropyLossTests
{
    public static TheoryData<int, int, double> Cases()
    {
        var data = new TheoryData<int, int, double>();
        foreach (int classes in new[] { 1, 2, 3, 7, 8, 10, 15, 16, 17, 33, 100 })
        {
            foreach (double epsilon in new[] { 0.0, 0.1, 0.35, 1.0 })
            {
                data.Add(5, classes, epsilon);
            }
        }

        data.Add(1, 10, 0.0);
        data.Add(64, 10, 0.1);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Loss_and_gradient_match_the_float64_formula(int batch, int classes, double epsilon)
    {
        var random = new Random((batch * 1000) + classes);
        float[] logits = RandomData.Normal(random, batch * classes, mean: 0.5, std: 3.0);
        int[] labels = Labels(random, batch, classes);
        var loss = new CrossEntropyLoss(epsilon);
        var grad = new float[logits.Length];

        float value = loss.Compute(logits, labels, grad);
        double expected = LossReference.CrossEntropy(LossReference.Widen(logits), labels, epsilon);
        Assert.True(Math.Abs(value - expected) <= 1e-6 * Math.Max(1.0, Math.Abs(expected)), $"loss {value}, expected {expected}");
        Assert.Equal(value, loss.Compute(logits, labels));
        Compare.Close("dLogits", LossReference.CrossEntropyGradient(LossReference.Widen(logits), labels, epsilon), grad);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.2)]
    public void Gradient_matches_finite_differences_of_the_formula(double epsilon)
    {
        var random = new Random(3);
        float[] logits = RandomData.Normal(random, 4 * 6, std: 2.0);
        int[] labels = Labels(random, 4, 6);
        var grad = new float[logits.Length];
        new CrossEntropyLoss(epsilon).Compute(logits, labels, grad);

        double[] numeric = LossReference.FiniteDifferences(x => LossReference.CrossEntropy(x, labels, epsilon), LossReference.Widen(logits));
        Compare.Close("dLogits vs finite differences", numeric, grad);
    }

    [Fact]
    public void Huge_logits_stay_finite()
    {
        // exp(1000) overflows float and double: the max shift keeps it finite.
        float[] logits = [1000f, 990f, -1000f, 1000f, 1000f, 1000f];
        int[] labels = [1, 2];
        var grad = new float[logits.Length];
        float value = new CrossEntropyLoss().Compute(logits, labels, grad);
        double expected = LossReference.CrossEntropy(LossReference.Widen(logits), labels, 0.0);
        Assert.Equal(expected, value, 4);
        Assert.All(grad, g => Assert.True(float.IsFinite(g)));
    }

    [Fact]
    public void Gradient_may_overwrite_the_logits()
    {
        var random = new Random(4);
        float[] logits = RandomData.Normal(random, 6 * 19);
        int[] labels = Labels(random, 6, 19);
        var separate = new float[logits.Length];
        var loss = new CrossEntropyLoss(0.1);
        float expected = loss.Compute(logits, labels, separate);

        float inPlace = loss.Compute(logits, labels, logits);
        Assert.Equal(expected, inPlace);
        Assert.Equal(separate, logits);
    }

    [Fact]
    public void Perfect_predictions_give_a_loss_near_zero_and_uniform_ones_log_c()
    {
        var loss = new CrossEntropyLoss();
        Assert.Equal(0.0, loss.Compute([50f, 0f, 0f], [0]), 10);
        Assert.Equal(Math.Log(4), loss.Compute([1f, 1f, 1f, 1f], [2]), 6);
    }

    [Fact]
    public void Invalid_arguments_are_refused_with_what_was_expected()
    {
        var loss = new CrossEntropyLoss();
        var grad = new float[6];
        ArgumentException e = Assert.Throws<ArgumentException>(() => loss.Compute(new float[6], [0, 3], grad));
        Assert.Contains("Target 3 is out of bounds", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => loss.Compute(new float[6], [0, -1]));
        Assert.Throws<ArgumentException>(() => loss.Compute(new float[7], [0, 1]));
        Assert.Throws<ArgumentException>(() => loss.Compute(new float[6], []));
        Assert.Throws<ArgumentException>(() => loss.Compute(new float[6], [0, 1], new float[5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyLoss(1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyLoss(double.NaN));
    }

    [Fact]
    public void Computing_allocates_nothing()
    {
        var random = new Random(5);
        float[] logits = RandomData.Normal(random, 32 * 10);
        int[] labels = Labels(random, 32, 10);
        var grad = new float[logits.Length];
        var loss = new CrossEntropyLoss(0.1);
        loss.Compute(logits, labels, grad);
        AllocationAssert.SteadyStateAllocatesNothing(() =>
        {
            for (int i = 0; i < 5; i++)
            {
                loss.Compute(logits, labels, grad);
                loss.Compute(logits, labels);
            }
        });
    }

    internal static int[] Labels(Random random, int batch, int classes)
    {
        var labels = new int[batch];
        for (int i = 0; i < batch; i++)
        {
            labels[i] = random.Next(classes);
        }

        return labels;
    }
}
