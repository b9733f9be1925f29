using System;
using FusedLayers.Tests.Numerics;
using FusedLayers.Training;

namespace FusedLayers.Tests.Training;

/// <summary>L1Loss, SmoothL1Loss and HuberLoss against the float64 formulas and finite differences.</summary>
public class RegressionLossTests
{
    public static TheoryData<string, double, bool> Cases => new()
    {
        { "l1", 0.0, true },
        { "l1", 0.0, false },
        { "smooth", 1.0, true },
        { "smooth", 0.5, false },
        { "smooth", 0.0, true },
        { "huber", 1.0, true },
        { "huber", 2.5, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Loss_and_gradient_match_the_float64_formula(string kind, double parameter, bool mean)
    {
        Func<double, double> f = Formula(kind, parameter);
        for (int n = 1; n <= 40; n += 3)
        {
            var random = new Random(n);
            float[] p = RandomData.Normal(random, n, std: 2.0);
            float[] t = RandomData.Normal(random, n, mean: 0.5);
            var grad = new float[n];
            float value = Compute(kind, parameter, mean, p, t, grad);
            double[] td = LossReference.Widen(t);
            double expected = LossReference.Elementwise(LossReference.Widen(p), td, f, mean);
            Assert.True(Math.Abs(value - expected) <= 1e-6 * Math.Abs(expected), $"{kind} n = {n}: loss {value}, expected {expected}");
            Assert.Equal(value, Compute(kind, parameter, mean, p, t, null));
            Compare.Close(
                $"{kind} n = {n}: dPrediction vs finite differences",
                LossReference.FiniteDifferences(x => LossReference.Elementwise(x, td, f, mean), LossReference.Widen(p), h: 1e-6),
                grad);
        }
    }

    [Fact]
    public void Gradients_at_and_around_the_thresholds_follow_pytorch()
    {
        float[] p = [0f, 1f, -1f, 0.5f, 3f, -3f];
        var t = new float[6];
        var grad = new float[6];
        new L1Loss(Reduction.Sum).Compute(p, t, grad);
        Assert.Equal([0f, 1f, -1f, 1f, 1f, -1f], grad);
        new SmoothL1Loss(Reduction.Sum, beta: 1.0).Compute(p, t, grad);
        Assert.Equal([0f, 1f, -1f, 0.5f, 1f, -1f], grad);
        new HuberLoss(Reduction.Sum, delta: 2.0).Compute(p, t, grad);
        Assert.Equal([0f, 1f, -1f, 0.5f, 2f, -2f], grad);
        Assert.Equal(2f * (3f - 1f), new HuberLoss(Reduction.Sum, delta: 2.0).Compute([3f], [0f]));

        // NaN: PyTorch's CPU sign gives 0 (L1, and smooth L1 with beta = 0, which is l1_loss); the smooth L1
        // and Huber kernels keep NaN. The loss is NaN in every case.
        float[] nan = [float.NaN];
        var g = new float[1];
        Assert.True(float.IsNaN(new L1Loss().Compute(nan, [0f], g)));
        Assert.Equal(0f, g[0]);
        Assert.True(float.IsNaN(new SmoothL1Loss(beta: 0).Compute(nan, [0f], g)));
        Assert.Equal(0f, g[0]);
        Assert.True(float.IsNaN(new SmoothL1Loss(beta: 1).Compute(nan, [0f], g)));
        Assert.True(float.IsNaN(g[0]));
        Assert.True(float.IsNaN(new HuberLoss().Compute(nan, [0f], g)));
        Assert.True(float.IsNaN(g[0]));
    }

    [Fact]
    public void Invalid_arguments_and_allocation()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmoothL1Loss(beta: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmoothL1Loss(beta: double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HuberLoss(delta: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HuberLoss(delta: double.PositiveInfinity));
        Assert.Throws<ArgumentOutOfRangeException>(() => new L1Loss((Reduction)2));
        foreach (string kind in new[] { "l1", "smooth", "huber" })
        {
            Assert.Throws<ArgumentException>(() => Compute(kind, 1.0, true, new float[3], new float[4], null));
            Assert.Throws<ArgumentException>(() => Compute(kind, 1.0, true, [], [], null));
            Assert.Throws<ArgumentException>(() => Compute(kind, 1.0, true, new float[3], new float[3], new float[2]));
        }

        var l1 = new L1Loss();
        var smooth = new SmoothL1Loss();
        var huber = new HuberLoss();
        float[] x = RandomData.Normal(new Random(1), 50);
        var y = new float[50];
        var g = new float[50];
        l1.Compute(x, y, g);
        smooth.Compute(x, y, g);
        huber.Compute(x, y, g);
        AllocationAssert.SteadyStateAllocatesNothing(() =>
        {
            l1.Compute(x, y, g);
            smooth.Compute(x, y, g);
            huber.Compute(x, y, g);
            l1.Compute(x, y);
            smooth.Compute(x, y);
            huber.Compute(x, y);
        });
    }

    private static Func<double, double> Formula(string kind, double parameter) => kind switch
    {
        "l1" => Math.Abs,
        "smooth" => parameter == 0 ? Math.Abs : d => LossReference.SmoothL1(d, parameter),
        _ => d => LossReference.Huber(d, parameter),
    };

    private static float Compute(string kind, double parameter, bool mean, float[] p, float[] t, float[]? grad)
    {
        Reduction reduction = mean ? Reduction.Mean : Reduction.Sum;
        return (kind, grad) switch
        {
            ("l1", null) => new L1Loss(reduction).Compute(p, t),
            ("l1", _) => new L1Loss(reduction).Compute(p, t, grad),
            ("smooth", null) => new SmoothL1Loss(reduction, parameter).Compute(p, t),
            ("smooth", _) => new SmoothL1Loss(reduction, parameter).Compute(p, t, grad),
            (_, null) => new HuberLoss(reduction, parameter).Compute(p, t),
            _ => new HuberLoss(reduction, parameter).Compute(p, t, grad),
        };
    }
}
