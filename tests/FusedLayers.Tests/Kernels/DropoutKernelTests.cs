using System;
using FusedLayers.Execution;
using FusedLayers.Kernels;
using FusedLayers.Reference;
using FusedLayers.Tests.Numerics;

namespace FusedLayers.Tests.Kernels;

/// <summary>
/// <see cref="DropoutKernels"/> on every instruction-set path and 1 and 2 threads: the mask is bit-identical on every
/// path and thread count and equals <see cref="ReferenceDropout"/>'s for the same (seed, step); the output matches
/// the float64 reference within <c>1e-6</c> relative to the scale (one float32 multiply by a float32 scale: observed
/// ~6e-8); backward applies the same mask; the kept fraction is within 5 binomial sigmas of <c>1 - p</c>.
/// Length 3 * 4096 + 1237: several parallel chunks and a vector remainder.
/// </summary>
public sealed class DropoutKernelTests
{
    private const int Length = (3 * 4096) + 1237;
    private const double Tolerance = 1e-6;

    /// <summary>Theory rows: path x threads x drop probability index.</summary>
    public static TheoryData<KernelIsa, int, int> Grid => KernelPaths.Grid(Probabilities.Length);

    private static readonly double[] Probabilities = [0.5, 0.1, 0.9, 0.0, 1.0];

    [Theory]
    [MemberData(nameof(Grid))]
    public void Forward_and_backward_match_the_reference_mask_on_every_path(KernelIsa isa, int threads, int index)
    {
        double p = Probabilities[index];
        var random = new Random(60 + index);
        float[] x = RandomData.Uniform(random, Length);
        float[] dy = RandomData.Uniform(random, Length);
        var reference = new ReferenceDropout("Drop", p, seed: 99) { Step = 12 };
        ReferenceTensor y = reference.Forward(ReferenceTensor.FromFloats(x, 1, Length));
        ReferenceTensor dx = reference.Backward(ReferenceTensor.FromFloats(dy, 1, Length));
        var expectedMask = new float[Length];
        for (int i = 0; i < Length; i++)
        {
            expectedMask[i] = (float)reference.MaskScale![i];
        }

        foreach (KernelRun run in KernelPaths.Runs(isa, threads, out KernelContext context))
        {
            (float[] output, float[] mask, float[] gradInput) = Run(run, context, p, 99, 12, x, dy);
            Assert.Equal(expectedMask, mask);
            Compare.Close($"{run.Label} p={p}: output", y.Data, output, Tolerance);
            Compare.Close($"{run.Label} p={p}: grad input", dx.Data, gradInput, Tolerance);
            for (int i = 0; i < Length; i++)
            {
                // Forward and backward apply the very mask that was written: exactly one multiply each.
                Assert.Equal(x[i] * mask[i], output[i]);
                Assert.Equal(dy[i] * mask[i], gradInput[i]);
            }
        }
    }

    [Fact]
    public void The_mask_is_bit_identical_on_every_path_and_thread_count_and_changes_with_the_step()
    {
        float[] x = RandomData.Uniform(new Random(70), Length);
        (_, float[] baseline, _) = Run(new KernelRun("scalar", KernelIsa.Scalar, Forced: true), KernelContext.Portable, 0.3, 5, 8, x, x);
        foreach (KernelIsa isa in KernelPaths.All)
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                foreach (KernelRun run in KernelPaths.Runs(isa, threads, out KernelContext context))
                {
                    (_, float[] mask, _) = Run(run, context, 0.3, 5, 8, x, x);
                    Assert.Equal(baseline, mask);
                }
            }
        }

        (_, float[] nextStep, _) = Run(new KernelRun("scalar", KernelIsa.Scalar, Forced: true), KernelContext.Portable, 0.3, 5, 9, x, x);
        Assert.NotEqual(baseline, nextStep);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.8)]
    public void Kept_fraction_is_within_five_sigma_and_kept_values_are_scaled_by_one_over_one_minus_p(double p)
    {
        const int count = 100_003;
        var x = new float[count];
        x.AsSpan().Fill(1f);
        var y = new float[count];
        var mask = new float[count];
        DropoutKernels.Forward(KernelContext.Create(KernelIsa.Avx512, 2), p, 1234, 0, x, y, mask);
        int kept = 0;
        float scale = (float)(1 / (1 - p));
        foreach (float v in y)
        {
            Assert.True(v == 0f || v == scale, $"unexpected value {v}");
            kept += v == 0f ? 0 : 1;
        }

        double expected = count * (1 - p), sigma = Math.Sqrt(count * p * (1 - p));
        Assert.InRange(kept, expected - (5 * sigma), expected + (5 * sigma));
    }

    [Fact]
    public void Output_may_overwrite_the_input_and_p_one_multiplies_by_zero()
    {
        float[] x = RandomData.Uniform(new Random(71), 37);
        float[] original = (float[])x.Clone();
        var mask = new float[37];
        DropoutKernels.Forward(KernelContext.Default, 0.5, 3, 4, x, x, mask);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(original[i] * mask[i], x[i]);
        }

        float[] special = [1f, float.PositiveInfinity, -2f];
        var y = new float[3];
        DropoutKernels.Forward(KernelContext.Default, 1.0, 3, 4, special, y, mask);
        Assert.Equal(new[] { 0f, float.NaN, -0f }, y); // input * 0, as PyTorch
    }

    [Fact]
    public void Bad_probability_and_short_spans_are_rejected()
    {
        var x = new float[8];
        var y = new float[8];
        var m = new float[8];
        KernelContext context = KernelContext.Portable;
        Assert.Throws<ArgumentOutOfRangeException>(() => DropoutKernels.Forward(context, 1.5, 0, 0, x, y, m));
        Assert.Throws<ArgumentOutOfRangeException>(() => DropoutKernels.Forward(context, -0.5, 0, 0, x, y, m));
        Assert.Throws<ArgumentOutOfRangeException>(() => DropoutKernels.Forward(context, double.NaN, 0, 0, x, y, m));
        Assert.Throws<ArgumentException>(() => DropoutKernels.Forward(context, 0.5, 0, 0, x, y.AsSpan(1), m));
        Assert.Throws<ArgumentException>(() => DropoutKernels.Forward(context, 0.5, 0, 0, x, y, m.AsSpan(1)));
        Assert.Throws<ArgumentException>(() => DropoutKernels.Backward(context, x, m.AsSpan(1), y));
        Assert.Throws<ArgumentException>(() => DropoutKernels.Backward(context, x, m, y.AsSpan(1)));
    }

    private static (float[] Output, float[] Mask, float[] GradInput) Run(
        KernelRun run, KernelContext context, double p, ulong seed, ulong step, float[] x, float[] dy)
    {
        var output = new float[x.Length];
        var mask = new float[x.Length];
        var gradInput = new float[x.Length];
        output.AsSpan().Fill(float.NaN);
        mask.AsSpan().Fill(float.NaN);
        gradInput.AsSpan().Fill(float.NaN);
        if (run.Forced)
        {
            DropoutKernels.ForwardOn(run.Isa, context.Threads, p, seed, step, x, output, mask);
            DropoutKernels.BackwardOn(run.Isa, context.Threads, dy, mask, gradInput);
        }
        else
        {
            DropoutKernels.Forward(context, p, seed, step, x, output, mask);
            DropoutKernels.Backward(context, dy, mask, gradInput);
        }

        return (output, mask, gradInput);
    }
}
