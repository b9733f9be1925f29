using System;
using System.Collections.Generic;
using System.Linq;
using FusedLayers.Reference;

namespace FusedLayers.Tests.Reference;

/// <summary>
/// <see cref="ReferenceBatchRenorm"/> against the paper's formulas (Ioffe 2017, Algorithm 1): identical to
/// training-mode BatchNorm at <c>r_max = 1, d_max = 0</c>; hand-computed cases with <c>r</c> and <c>d</c>
/// inside and outside their clipping ranges; the moving averages; inference; finite differences with
/// <c>r</c> and <c>d</c> held fixed (they are stop-gradient constants).
/// </summary>
public class ReferenceRenormTests
{
    /// <summary>Shapes and affine flags shared by the BatchNorm-equivalence and gradient tests.</summary>
    public static TheoryData<int[], bool> Shapes => new()
    {
        { [6, 3], true },
        { [6, 3], false },
        { [3, 2, 5], true },
        { [2, 3, 3, 4], true },
        { [2, 3, 3, 4], false },
        { [1, 2, 3, 3], true },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void With_r_max_1_and_d_max_0_training_is_exactly_BatchNorm(int[] shape, bool affine)
    {
        var random = new Random(shape.Sum() + (affine ? 1 : 0));
        int channels = shape[1];
        var renorm = new ReferenceBatchRenorm("Bn", channels, affine: affine);
        var batchNorm = new ReferenceBatchNorm("Bn", channels, affine: affine);
        Assert.Equal(1.0, renorm.RMax);
        Assert.Equal(0.0, renorm.DMax);
        if (affine)
        {
            double[] gamma = TestData.Uniform(random, channels, 0.5, 1.5), beta = TestData.Uniform(random, channels);
            renorm.Weight!.CopyFrom(gamma);
            renorm.Bias!.CopyFrom(beta);
            batchNorm.Weight!.CopyFrom(gamma);
            batchNorm.Bias!.CopyFrom(beta);
        }

        // Several steps, so that the moving averages are far from (0, 1) and would change r and d if unclipped.
        for (int step = 0; step < 3; step++)
        {
            ReferenceTensor x = Offset(TestData.Tensor(random, shape), 2.0, 3.0);
            ReferenceTensor dy = TestData.Tensor(random, shape);
            double[] expectedY = batchNorm.Forward(x).Data, actualY = renorm.Forward(x).Data;
            double[] expectedDx = batchNorm.Backward(dy).Data, actualDx = renorm.Backward(dy).Data;
            AssertWithin(expectedY, actualY, 1e-15);
            AssertWithin(expectedDx, actualDx, 1e-15);
            Assert.All(renorm.LastR, r => Assert.Equal(1.0, r));
            Assert.All(renorm.LastD, d => Assert.Equal(0.0, d));
        }

        for (int k = 0; k < batchNorm.Parameters.Count; k++)
        {
            AssertWithin(batchNorm.Parameters[k].Grad, renorm.Parameters[k].Grad, 1e-15);
        }
    }

    [Fact]
    public void Unclipped_r_and_d_follow_the_paper()
    {
        // One channel, x = {1, 3}: mu_B = 2, sigma_B = sqrt(1 + eps). Moving averages mu = 1.5, sigma = 2:
        // r = sigma_B / 2 (inside [1/3, 3]), d = (2 - 1.5) / 2 = 0.25 (inside [-5, 5]).
        var renorm = new ReferenceBatchRenorm("Br", 1, eps: 1e-3, momentum: 0.1) { RMax = 3, DMax = 5 };
        renorm.Weight!.Data[0] = 2;
        renorm.Bias!.Data[0] = 0.5;
        renorm.RunningMean[0] = 1.5;
        renorm.RunningStd[0] = 2;
        ReferenceTensor y = renorm.Forward(new ReferenceTensor([1, 3], 2, 1));

        double sigmaB = Math.Sqrt(1 + 1e-3), r = sigmaB / 2, d = 0.25;
        Assert.Equal(r, renorm.LastR[0], 1e-15);
        Assert.Equal(d, renorm.LastD[0], 1e-15);
        AssertWithin([(2 * ((-1 / sigmaB * r) + d)) + 0.5, (2 * ((1 / sigmaB * r) + d)) + 0.5], y.Data, 1e-14);

        // mu += 0.1 (mu_B - mu);  sigma += 0.1 (sigma_B - sigma)
        Assert.Equal(1.5 + (0.1 * 0.5), renorm.RunningMean[0], 1e-15);
        Assert.Equal(2 + (0.1 * (sigmaB - 2)), renorm.RunningStd[0], 1e-15);
        Assert.Equal(1, renorm.NumBatchesTracked);
    }

    [Theory]
    //          mu     sigma  r_max d_max  expected r  expected d
    [InlineData(1.5, 4.0, 1.5, 0.1, 1 / 1.5, 0.1)]     // r below 1/r_max, d above d_max
    [InlineData(3.0, 0.25, 1.5, 0.1, 1.5, -0.1)]       // r above r_max, d below -d_max
    [InlineData(2.0, 1.0, 1.0, 0.0, 1.0, 0.0)]         // the start of training: BatchNorm
    public void Clipped_r_and_d_follow_the_paper(double mu, double sigma, double rMax, double dMax, double expectedR, double expectedD)
    {
        // x = {1, 3} per channel: mu_B = 2, sigma_B = sqrt(1 + eps) ~ 1.
        var renorm = new ReferenceBatchRenorm("Br", 1) { RMax = rMax, DMax = dMax };
        renorm.RunningMean[0] = mu;
        renorm.RunningStd[0] = sigma;
        ReferenceTensor y = renorm.Forward(new ReferenceTensor([1, 3], 2, 1));

        double sigmaB = Math.Sqrt(1 + 1e-5);
        Assert.Equal(expectedR, renorm.LastR[0], 1e-15);
        Assert.Equal(expectedD, renorm.LastD[0], 1e-15);
        AssertWithin([(-1 / sigmaB * expectedR) + expectedD, (1 / sigmaB * expectedR) + expectedD], y.Data, 1e-15);
    }

    [Fact]
    public void Inference_normalises_with_the_moving_averages()
    {
        var renorm = new ReferenceBatchRenorm("Br", 2) { Training = false };
        renorm.Weight!.CopyFrom(new double[] { 2, -1 });
        renorm.Bias!.CopyFrom(new double[] { 1, 0 });
        renorm.RunningMean[0] = 1;
        renorm.RunningMean[1] = -2;
        renorm.RunningStd[0] = 2;
        renorm.RunningStd[1] = 0.5;

        // y = gamma * (x - mu) / sigma + beta (no eps: it is inside sigma):  2 * 2 / 2 + 1 = 3;  -1 * 1 / 0.5 = -2
        ReferenceTensor y = renorm.Forward(new ReferenceTensor([3, -1], 1, 2));
        AssertWithin([3, -2], y.Data, 1e-15);
        Assert.Equal(0, renorm.NumBatchesTracked);
        Assert.Equal(new[] { 1.0, -2.0 }, renorm.RunningMean);
        Assert.Equal(new[] { 2.0, 0.5 }, renorm.RunningStd);

        // dx = dy * gamma / sigma
        AssertWithin([0.5 * 2 / 2, 0.5 * -1 / 0.5], renorm.Backward(new ReferenceTensor([0.5, 0.5], 1, 2)).Data, 1e-15);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Gradients_with_r_and_d_held_fixed_match_finite_differences(int[] shape, bool affine)
    {
        foreach (bool clipped in new[] { false, true })
        {
            var random = new Random(shape.Sum() + (affine ? 10 : 0) + (clipped ? 20 : 0));
            int channels = shape[1];
            ReferenceBatchRenorm renorm = Prepared(random, channels, affine, clipped);
            ReferenceTensor x = Offset(TestData.Tensor(random, shape), 0.3, 1.2);

            // One forward to compute r and d from these moving averages, then freeze them: the finite
            // differences then see exactly the function whose gradient Backward returns.
            renorm.Forward(x);
            double[] r = (double[])renorm.LastR.Clone(), d = (double[])renorm.LastD.Clone();
            AssertClipping(renorm, r, d, clipped);
            renorm.FreezeCorrection(r, d);
            GradientCheck.Check(renorm, x, seed: 71);
            renorm.ReleaseCorrection();
        }
    }

    [Fact]
    public void Inference_gradients_match_finite_differences()
    {
        var random = new Random(72);
        ReferenceBatchRenorm renorm = Prepared(random, 3, affine: true, clipped: false);
        renorm.Training = false;
        GradientCheck.Check(renorm, TestData.Tensor(random, 2, 3, 2, 2), seed: 73);
    }

    [Fact]
    public void Clipped_r_and_d_are_true_constants_so_plain_finite_differences_agree()
    {
        // With momentum 0 the moving averages stay put, and r, d sit at their clipping bounds for every
        // perturbed input: nothing needs freezing.
        var random = new Random(74);
        var renorm = new ReferenceBatchRenorm("Br", 2, momentum: 0.0) { RMax = 1.5, DMax = 0.2 };
        TestData.Fill(renorm.Weight, random, 0.5, 1.5);
        TestData.Fill(renorm.Bias, random);
        renorm.RunningMean[0] = 5;
        renorm.RunningMean[1] = -5;
        renorm.RunningStd[0] = 10;
        renorm.RunningStd[1] = 0.1;
        ReferenceTensor x = TestData.Tensor(random, 4, 2, 3);
        GradientCheck.Check(renorm, x, seed: 75);
        Assert.Equal(new[] { 1 / 1.5, 1.5 }, renorm.LastR);
        Assert.Equal(new[] { -0.2, 0.2 }, renorm.LastD);
    }

    [Fact]
    public void Unclipped_r_and_d_are_not_differentiated_through()
    {
        // Without freezing, r = sigma_B / sigma and d = (mu_B - mu) / sigma vary with x; Backward treats them
        // as constants (stop-gradient), so it must differ from the total derivative by their contribution.
        var random = new Random(76);
        var renorm = new ReferenceBatchRenorm("Br", 1, momentum: 0.0) { RMax = 10, DMax = 10 };
        renorm.RunningMean[0] = 0.5;
        renorm.RunningStd[0] = 2;
        ReferenceTensor x = TestData.Tensor(random, 5, 1);
        double[] weights = TestData.Uniform(random, 5);
        double Loss() => renorm.Forward(x).Data.Zip(weights, (y, w) => y * w).Sum();

        renorm.Forward(x);
        double[] analytic = renorm.Backward(new ReferenceTensor((double[])weights.Clone(), 5, 1)).Data;
        double largestDifference = 0;
        for (int i = 0; i < 5; i++)
        {
            double original = x.Data[i];
            x.Data[i] = original + 1e-6;
            double plus = Loss();
            x.Data[i] = original - 1e-6;
            double minus = Loss();
            x.Data[i] = original;
            largestDifference = Math.Max(largestDifference, Math.Abs(((plus - minus) / 2e-6) - analytic[i]));
        }

        Assert.True(largestDifference > 1e-2, $"the total derivative equals the stop-gradient one ({largestDifference:E2})");
    }

    [Fact]
    public void Defaults_and_argument_checks()
    {
        var renorm = new ReferenceBatchRenorm("Br", 2);
        Assert.Equal(1e-5, renorm.Eps);
        Assert.Equal(0.01, renorm.Momentum);
        Assert.Equal(new[] { "Br.weight", "Br.bias" }, renorm.Parameters.Select(p => p.Name));
        Assert.Equal(new[] { 0.0, 0.0 }, renorm.RunningMean);
        Assert.Equal(new[] { 1.0, 1.0 }, renorm.RunningStd);
        Assert.Empty(new ReferenceBatchRenorm("Br", 2, affine: false).Parameters);
        Assert.Throws<ArgumentOutOfRangeException>(() => renorm.RMax = 0.5);
        Assert.Throws<ArgumentOutOfRangeException>(() => renorm.RMax = double.NaN);
        Assert.Throws<ArgumentOutOfRangeException>(() => renorm.DMax = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => renorm.DMax = double.PositiveInfinity);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReferenceBatchRenorm("Br", 2, momentum: 1.5));
        Assert.Throws<ArgumentException>(() => renorm.Forward(new ReferenceTensor(4, 3)));
        var error = Assert.Throws<ArgumentException>(() => renorm.Forward(new ReferenceTensor(1, 2)));
        Assert.StartsWith("Expected more than 1 value per channel when training", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, renorm.NumBatchesTracked);
        renorm.RMax = 3;
        renorm.DMax = 5;
        Assert.Equal(3, renorm.RMax);
        Assert.Equal(5, renorm.DMax);
    }

    /// <summary>
    /// A layer with random gamma and beta whose moving averages put r and d inside their ranges
    /// (<paramref name="clipped"/> false) or outside (true) for inputs of mean ~0.3 and std ~0.7.
    /// </summary>
    private static ReferenceBatchRenorm Prepared(Random random, int channels, bool affine, bool clipped)
    {
        var renorm = new ReferenceBatchRenorm("Br", channels, affine: affine) { RMax = 3, DMax = 5 };
        TestData.Fill(renorm.Weight, random, 0.5, 1.5);
        TestData.Fill(renorm.Bias, random);
        for (int c = 0; c < channels; c++)
        {
            if (clipped)
            {
                // Alternate: sigma far above and far below sigma_B, mu far off on either side.
                renorm.RunningStd[c] = c % 2 == 0 ? 20.0 : 0.01;
                renorm.RunningMean[c] = c % 2 == 0 ? 200.0 : -1.0;
            }
            else
            {
                renorm.RunningStd[c] = 0.5 + random.NextDouble();
                renorm.RunningMean[c] = random.NextDouble() - 0.5;
            }
        }

        return renorm;
    }

    private static void AssertClipping(ReferenceBatchRenorm renorm, double[] r, double[] d, bool clipped)
    {
        for (int c = 0; c < r.Length; c++)
        {
            bool rClipped = Math.Abs(r[c] - renorm.RMax) < 1e-12 || Math.Abs(r[c] - (1 / renorm.RMax)) < 1e-12;
            bool dClipped = Math.Abs(Math.Abs(d[c]) - renorm.DMax) < 1e-12;
            Assert.Equal(clipped, rClipped);
            Assert.Equal(clipped, dClipped);
            Assert.NotEqual(1.0, r[c]);
            Assert.NotEqual(0.0, d[c]);
        }
    }

    private static ReferenceTensor Offset(ReferenceTensor x, double offset, double scale)
    {
        for (int i = 0; i < x.Length; i++)
        {
            x.Data[i] = offset + (scale * x.Data[i]);
        }

        return x;
    }

    private static void AssertWithin(IReadOnlyList<double> expected, IReadOnlyList<double> actual, double tolerance)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.True(
                Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1.0, Math.Abs(expected[i])),
                $"[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }
}
