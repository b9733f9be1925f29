using System;
using System.Collections.Generic;
using FusedLayers.Kernels;
using FusedLayers.Reference;

namespace FusedLayers.Tests.Reference;

/// <summary>
/// <see cref="ReferenceDropout"/> and the counter-based <see cref="DropoutMask"/> it shares with the kernels:
/// finite differences at a fixed step, PyTorch's special cases (p = 0, p = 1, inference), the mask formula,
/// step handling, density within binomial bounds, and argument errors.
/// </summary>
public class ReferenceDropoutTests
{
    [Theory]
    [InlineData(0.5)]
    [InlineData(0.2)]
    [InlineData(0.0)]
    public void Gradients_match_finite_differences_at_a_fixed_step(double p)
    {
        // Every forward pass of the check must draw the same mask, so the step is pinned before each one.
        var random = new Random(31);
        var dropout = new ReferenceDropout("Drop", p, seed: 77);
        GradientCheck.Check(new PinnedStep(dropout, step: 3), TestData.Tensor(random, 2, 3, 4, 5), seed: 32);
    }

    [Fact]
    public void Training_output_is_input_times_mask_over_one_minus_p()
    {
        const double p = 0.3;
        var random = new Random(33);
        ReferenceTensor x = TestData.Tensor(random, 2, 3, 5, 7);
        var dropout = new ReferenceDropout("Drop", p, seed: 12345) { Step = 41 };
        ReferenceTensor y = dropout.Forward(x);

        int kept = 0;
        for (int i = 0; i < x.Length; i++)
        {
            bool keep = DropoutMask.Uniform(12345, 41, i) >= p;
            Assert.Equal(keep, DropoutMask.Keep(12345, 41, i, p));
            Assert.Equal(keep ? x.Data[i] / (1 - p) : 0.0, y.Data[i], 1e-15);
            kept += keep ? 1 : 0;
        }

        Assert.InRange(kept, 1, x.Length - 1); // the mask is not trivial
        Assert.Equal(42UL, dropout.Step);
    }

    [Fact]
    public void Backward_uses_the_mask_of_the_last_forward_pass()
    {
        var random = new Random(34);
        ReferenceTensor x = TestData.Tensor(random, 4, 50);
        var dropout = new ReferenceDropout("Drop", 0.4, seed: 5);
        ReferenceTensor y = dropout.Forward(x);
        ReferenceTensor dy = TestData.Tensor(random, 4, 50);
        ReferenceTensor dx = dropout.Backward(dy);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(dy.Data[i] * dropout.MaskScale![i], dx.Data[i]);
            Assert.Equal(y.Data[i] == 0.0, dx.Data[i] == 0.0);
        }
    }

    [Fact]
    public void Each_training_forward_advances_the_step_and_redraws_the_mask()
    {
        var x = new ReferenceTensor(1, 1000);
        Array.Fill(x.Data, 1.0);
        var dropout = new ReferenceDropout("Drop", 0.5, seed: 9);
        double[] first = dropout.Forward(x).Data;
        double[] second = dropout.Forward(x).Data;
        Assert.Equal(2UL, dropout.Step);
        Assert.NotEqual(first, second);

        dropout.Step = 0;
        Assert.Equal(first, dropout.Forward(x).Data); // (seed, step) reproduces the mask
        Assert.NotEqual(first, new ReferenceDropout("Drop", 0.5, seed: 10).Forward(x).Data);
    }

    [Fact]
    public void Inference_is_the_identity_and_does_not_advance_the_step()
    {
        var x = new ReferenceTensor([1.0, -2.0, double.NaN, 4.0], 1, 4);
        var dropout = new ReferenceDropout("Drop", 0.9, seed: 1) { Training = false };
        ReferenceTensor y = dropout.Forward(x);
        Assert.Equal(x.Data, y.Data);
        Assert.Equal(0UL, dropout.Step);
        Assert.Equal(new[] { 5.0, 6.0, 7.0, 8.0 }, dropout.Backward(new ReferenceTensor([5.0, 6.0, 7.0, 8.0], 1, 4)).Data);
    }

    [Fact]
    public void P_zero_is_the_identity_and_p_one_multiplies_by_zero_as_PyTorch()
    {
        var x = new ReferenceTensor([1.0, -2.0, double.PositiveInfinity, 4.0], 1, 4);
        Assert.Equal(x.Data, new ReferenceDropout("Drop", 0.0).Forward(x).Data);

        var all = new ReferenceDropout("Drop", 1.0);
        double[] y = all.Forward(x).Data;
        Assert.Equal(new[] { 0.0, -0.0, double.NaN, 0.0 }, y); // PyTorch: input * 0 (inf * 0 = NaN)
        Assert.Equal(new[] { 0.0, 0.0, 0.0, 0.0 }, all.Backward(new ReferenceTensor([5.0, 6.0, 7.0, 8.0], 1, 4)).Data);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void Mask_density_is_within_five_sigma_of_one_minus_p(double p)
    {
        const int count = 200_000;
        int kept = 0;
        for (long i = 0; i < count; i++)
        {
            kept += DropoutMask.Keep(2024, 7, i, p) ? 1 : 0;
        }

        double expected = count * (1 - p), sigma = Math.Sqrt(count * p * (1 - p));
        Assert.InRange(kept, expected - (5 * sigma), expected + (5 * sigma));
    }

    [Fact]
    public void Uniform_draws_fill_the_unit_interval_evenly_across_steps_and_indices()
    {
        // 16 equal bins over 64 steps x 4096 indices: chi-square with 15 degrees of freedom, whose
        // 99.99th percentile is 44.3; a broken hash (e.g. a step that does not change the stream) fails.
        var bins = new int[16];
        var perStepFirst = new HashSet<double>();
        for (ulong step = 0; step < 64; step++)
        {
            perStepFirst.Add(DropoutMask.Uniform(1, step, 0));
            for (long i = 0; i < 4096; i++)
            {
                double u = DropoutMask.Uniform(1, step, i);
                Assert.InRange(u, 0.0, Math.BitDecrement(1.0));
                bins[(int)(u * 16)]++;
            }
        }

        double expected = 64 * 4096 / 16.0, chiSquare = 0;
        foreach (int b in bins)
        {
            chiSquare += (b - expected) * (b - expected) / expected;
        }

        Assert.True(chiSquare < 44.3, $"chi-square {chiSquare}");
        Assert.Equal(64, perStepFirst.Count);
    }

    [Fact]
    public void Probabilities_outside_zero_to_one_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReferenceDropout("Drop", -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReferenceDropout("Drop", 1.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReferenceDropout("Drop", double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => DropoutMask.Keep(0, 0, 0, 2.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => DropoutMask.Scale(-1.0));
        Assert.Throws<InvalidOperationException>(() => new ReferenceDropout("Drop").Backward(new ReferenceTensor(1, 2)));
        Assert.Equal(2f, DropoutMask.Scale(0.5));
        Assert.Equal(0f, DropoutMask.Scale(1.0));
    }

    /// <summary>Runs a dropout layer with its step reset before every forward pass, so the mask is fixed.</summary>
    private sealed class PinnedStep(ReferenceDropout inner, ulong step) : IReferenceLayer
    {
        public string Name => inner.Name;

        public bool Training
        {
            get => inner.Training;
            set => inner.Training = value;
        }

        public IReadOnlyList<ReferenceParameter> Parameters => inner.Parameters;

        public ReferenceTensor Forward(ReferenceTensor input)
        {
            inner.Step = step;
            return inner.Forward(input);
        }

        public ReferenceTensor Backward(ReferenceTensor gradOutput) => inner.Backward(gradOutput);
    }
}
