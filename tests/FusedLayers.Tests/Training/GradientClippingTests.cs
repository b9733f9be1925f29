using System;
using System.Linq;
using FusedLayers.Tests.Numerics;
using FusedLayers.Training;

namespace FusedLayers.Tests.Training;

/// <summary>
/// <see cref="GradientClipping"/> against a float64 reference of <c>torch.nn.utils.clip_grad_norm_</c> /
/// <c>clip_grad_value_</c>: the total norm, when the gradients are scaled, NaN / infinity handling.
/// </summary>
public class GradientClippingTests
{
    public static TheoryData<double, double> Cases() => new()
    {
        { 2.0, 0.5 },    // clipped
        { 2.0, 1e3 },    // left alone
        { 1.0, 0.5 },
        { 3.0, 0.5 },
        { double.PositiveInfinity, 0.1 },
        { double.PositiveInfinity, 1e3 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ClipGradNorm_matches_the_float64_formula(double normType, double maxNorm)
    {
        Parameter[] ps = Parameters(new Random(3));
        float[][] before = [.. ps.Select(p => (float[])p.Grad.Clone())];
        double[] all = [.. before.SelectMany(g => g).Select(v => (double)v)];
        double expected = double.IsPositiveInfinity(normType)
            ? all.Max(Math.Abs)
            : Math.Pow(all.Sum(v => Math.Pow(Math.Abs(v), normType)), 1 / normType);

        double total = GradientClipping.ClipGradNorm(ps, maxNorm, normType);

        Assert.Equal(expected, total, expected * 1e-12);
        double scale = maxNorm / (expected + 1e-6);
        for (int i = 0; i < ps.Length; i++)
        {
            for (int j = 0; j < ps[i].Length; j++)
            {
                float want = scale < 1 ? (float)(before[i][j] * scale) : before[i][j];
                Assert.Equal(want, ps[i].Grad[j], Math.Abs(want) * 1e-6f);
            }
        }

        if (scale < 1)
        {
            // The clipped gradients have (about) the maximum norm.
            Assert.Equal(maxNorm, GradientClipping.ClipGradNorm(ps, double.MaxValue, normType), maxNorm * 1e-5);
        }
    }

    [Fact]
    public void Empty_parameter_list_has_norm_zero()
    {
        Assert.Equal(0.0, GradientClipping.ClipGradNorm([], 1.0));
    }

    [Fact]
    public void Non_finite_norm_throws_when_asked_and_changes_nothing()
    {
        Parameter[] ps = Parameters(new Random(4));
        ps[1].Grad[2] = float.PositiveInfinity;
        float[][] before = [.. ps.Select(p => (float[])p.Grad.Clone())];
        var e = Assert.Throws<InvalidOperationException>(() => GradientClipping.ClipGradNorm(ps, 1.0, errorIfNonfinite: true));
        Assert.Contains("non-finite", e.Message, StringComparison.Ordinal);
        Assert.Contains("errorIfNonfinite", e.Message, StringComparison.Ordinal);
        for (int i = 0; i < ps.Length; i++)
        {
            Assert.Equal(before[i], ps[i].Grad);
        }

        ps[1].Grad[2] = float.NaN;
        Assert.Throws<InvalidOperationException>(() => GradientClipping.ClipGradNorm(ps, 1.0, normType: double.PositiveInfinity, errorIfNonfinite: true));
    }

    [Fact]
    public void Non_finite_norm_scales_as_PyTorch_without_the_check()
    {
        // Infinite norm: scale = max_norm / inf = 0, so finite gradients become 0 and the infinite one NaN.
        Parameter[] ps = Parameters(new Random(5));
        ps[0].Grad[0] = float.PositiveInfinity;
        Assert.Equal(double.PositiveInfinity, GradientClipping.ClipGradNorm(ps, 1.0));
        Assert.True(float.IsNaN(ps[0].Grad[0]));
        Assert.All(ps[1].Grad, g => Assert.Equal(0f, g));

        // NaN norm: the scale is NaN, and every gradient becomes NaN (PyTorch's clamp keeps NaN).
        ps = Parameters(new Random(6));
        ps[2].Grad[1] = float.NaN;
        Assert.True(double.IsNaN(GradientClipping.ClipGradNorm(ps, 1.0)));
        Assert.All(ps.SelectMany(p => p.Grad), g => Assert.True(float.IsNaN(g)));
    }

    [Fact]
    public void ClipGradValue_clamps_and_keeps_NaN()
    {
        var p = new Parameter("w", 6);
        float[] values = [-3f, -0.5f, 0f, 0.25f, 2f, float.NaN];
        values.CopyTo(p.Grad, 0);
        GradientClipping.ClipGradValue([p], 0.5);
        Assert.Equal([-0.5f, -0.5f, 0f, 0.25f, 0.5f], p.Grad.Take(5));
        Assert.True(float.IsNaN(p.Grad[5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipGradValue([p], double.NaN));
    }

    private static Parameter[] Parameters(Random random)
    {
        int[][] shapes = [[7], [3, 5], [33], [2, 3, 2]];
        return [.. shapes.Select((shape, i) =>
        {
            var p = new Parameter($"p{i}", shape);
            RandomData.Normal(random, p.Length).CopyTo(p.Grad, 0);
            return p;
        })];
    }
}
