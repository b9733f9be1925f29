using System;
using FusedLayers.Execution;
using FusedLayers.Kernels;
using FusedLayers.Reference;

namespace FusedLayers.Tests.Kernels;

/// <summary>
/// <see cref="ActivationKernels.Forward"/> and <see cref="ActivationKernels.Backward"/> on every ISA path
/// against the float64 <see cref="ReferenceActivation"/>: alone, with a per-channel BatchNorm scale/shift
/// (planes) and after a linear layer (one value per channel), odd lengths for the vector tails.
/// Tolerance: 2e-6 absolute plus 2e-6 relative. float32 rounding of the pre-activation and of exp gives
/// ~1e-7 relative; the vector tanh loses digits near 0 (absolute ~1e-7) and the A&amp;S erf is good to 1.5e-7.
/// </summary>
public class ActivationKernelTests
{
    private const double Tolerance = 2e-6;

    public static TheoryData<ActivationKind, KernelIsa, int> Grid()
    {
        var data = new TheoryData<ActivationKind, KernelIsa, int>();
        foreach (ActivationKind kind in Enum.GetValues<ActivationKind>())
        {
            foreach (KernelIsa isa in KernelPaths.All)
            {
                data.Add(kind, isa, 1);
                data.Add(kind, isa, 2);
            }
        }

        return data;
    }

    private static Activation Make(ActivationKind kind) => kind == ActivationKind.LeakyReLU ? Activation.LeakyReLU(0.15f) : new Activation(kind);

    [Theory]
    [MemberData(nameof(Grid))]
    public void Planes_with_scale_and_shift_match_the_reference(ActivationKind kind, KernelIsa isa, int threads)
    {
        // N = 3, C = 5, S = 37: 37 = 2*16 + 5 = 4*8 + 5 exercises both vector widths and the scalar tail.
        Check(kind, isa, threads, batch: 3, channels: 5, spatial: 37, affine: true, seed: 1);
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void Rows_after_a_linear_layer_and_plain_spans_match_the_reference(ActivationKind kind, KernelIsa isa, int threads)
    {
        Check(kind, isa, threads, batch: 4, channels: 23, spatial: 1, affine: true, seed: 2);
        Check(kind, isa, threads, batch: 2, channels: 3, spatial: 4099, affine: false, seed: 3);
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void Extreme_inputs_saturate_without_overflow_or_nan(ActivationKind kind, KernelIsa isa, int threads)
    {
        float[] x = [-1e30f, -500f, -90f, -30f, -10f, -6f, -1e-3f, -1e-30f, 0f, 1e-30f, 1e-3f, 6f, 10f, 30f, 90f, 500f, 1e30f, 3f];
        foreach (KernelRun run in KernelPaths.Runs(isa, threads, out KernelContext context))
        {
            KernelContext use = run.Forced ? new KernelContext(run.Isa, threads) : context;
            var y = new float[x.Length];
            var dx = new float[x.Length];
            float[] dy = [.. x];
            Array.Fill(dy, 1f);
            ActivationKernels.Forward(use, Make(kind), 1, 1, x.Length, x, default, default, y);
            ActivationKernels.Backward(use, Make(kind), 1, 1, x.Length, dy, x, default, default, dx);
            for (int i = 0; i < x.Length; i++)
            {
                Assert.False(float.IsNaN(y[i]) || float.IsNaN(dx[i]), $"{run.Label} {kind}: NaN at x = {x[i]}");
                double expected = ReferenceActivation.Value(Make(kind), x[i]);
                Assert.True(Math.Abs(y[i] - expected) <= Tolerance * (1 + Math.Abs(expected)), $"{run.Label} {kind}: f({x[i]}) = {y[i]}, expected {expected}");
                double slope = ReferenceActivation.Derivative(Make(kind), x[i]);
                Assert.True(Math.Abs(dx[i] - slope) <= Tolerance * (1 + Math.Abs(slope)), $"{run.Label} {kind}: f'({x[i]}) = {dx[i]}, expected {slope}");
            }
        }
    }

    [Fact]
    public void NaN_propagates_through_every_activation()
    {
        foreach (ActivationKind kind in Enum.GetValues<ActivationKind>())
        {
            foreach (KernelIsa isa in KernelPaths.All)
            {
                float[] x = new float[19];
                x[3] = float.NaN;
                x[17] = float.NaN;
                var y = new float[x.Length];
                ActivationKernels.Forward(new KernelContext(isa, 1), Make(kind), 1, 1, x.Length, x, default, default, y);
                Assert.True(float.IsNaN(y[3]) && float.IsNaN(y[17]), $"{isa} {kind}: NaN did not propagate ({y[3]}, {y[17]})");
            }
        }
    }

    [Fact]
    public void Mish_is_accurate_relative_to_float64_over_its_whole_range()
    {
        // [-100, 100] in steps of 1/128 (both sides of softplus's threshold at 20, and e^x underflowing to subnormal
        // and 0 far left), on every path. The value has no root but 0, where x tanh(softplus x) is 0.6 x, so it is
        // compared relatively; the derivative crosses 0 near x = -1.19 and is compared relatively above a floor of 0.1.
        float[] x = new float[(2 * 12800) + 1];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (i - 12800) / 128f;
        }

        float[] dy = new float[x.Length];
        Array.Fill(dy, 1f);
        foreach (KernelIsa isa in KernelPaths.All)
        {
            var y = new float[x.Length];
            var dx = new float[x.Length];
            ActivationKernels.Forward(new KernelContext(isa, 1), Activation.Mish, 1, 1, x.Length, x, default, default, y);
            ActivationKernels.Backward(new KernelContext(isa, 1), Activation.Mish, 1, 1, x.Length, dy, x, default, default, dx);
            for (int i = 0; i < x.Length; i++)
            {
                double value = ReferenceActivation.Value(Activation.Mish, x[i]);
                double slope = ReferenceActivation.Derivative(Activation.Mish, x[i]);
                double floor = Math.Abs(value) < 1e-30 ? 1e-37 : 0; // subnormal values lose relative precision
                Assert.True(Math.Abs(y[i] - value) <= (1e-6 * Math.Abs(value)) + floor, $"{isa}: Mish({x[i]}) = {y[i]:R}, expected {value:R}");
                Assert.True(Math.Abs(dx[i] - slope) <= 1e-6 * Math.Max(Math.Abs(slope), 0.1), $"{isa}: Mish'({x[i]}) = {dx[i]:R}, expected {slope:R}");
            }
        }
    }

    [Fact]
    public void Bad_lengths_throw_and_write_nothing()
    {
        var x = new float[12];
        var y = new float[12];
        Array.Fill(y, 7f);
        Assert.Throws<ArgumentException>(() => ActivationKernels.Forward(KernelContext.Portable, Activation.SiLU, 2, 3, 3, x, default, default, y));
        Assert.Throws<ArgumentException>(() => ActivationKernels.Forward(KernelContext.Portable, Activation.SiLU, 2, 3, 2, x, new float[3], default, y));
        Assert.Throws<ArgumentException>(() => ActivationKernels.Backward(KernelContext.Portable, Activation.SiLU, 2, 3, 2, new float[11], x, default, default, y));
        Assert.All(y, v => Assert.Equal(7f, v));
    }

    private static void Check(ActivationKind kind, KernelIsa isa, int threads, int batch, int channels, int spatial, bool affine, int seed)
    {
        var random = new Random(seed);
        int length = batch * channels * spatial;
        float[] x = Fill(random, length, 4);
        float[] dy = Fill(random, length, 1);
        float[] scale = affine ? Fill(random, channels, 1.5f) : [];
        float[] shift = affine ? Fill(random, channels, 1) : [];
        Activation activation = Make(kind);

        // Reference: the pre-activation a = x * scale + shift in float64 from the float32 inputs.
        var expectedY = new double[length];
        var expectedDx = new double[length];
        for (int i = 0; i < length; i++)
        {
            int c = i / spatial % channels;
            double a = affine ? ((double)x[i] * scale[c]) + shift[c] : x[i];
            expectedY[i] = ReferenceActivation.Value(activation, a);
            expectedDx[i] = dy[i] * ReferenceActivation.Derivative(activation, a);
        }

        foreach (KernelRun run in KernelPaths.Runs(isa, threads, out KernelContext context))
        {
            KernelContext use = run.Forced ? new KernelContext(run.Isa, threads) : context;
            var y = new float[length];
            var dx = new float[length];
            ActivationKernels.Forward(use, activation, batch, channels, spatial, x, scale, shift, y);
            ActivationKernels.Backward(use, activation, batch, channels, spatial, dy, x, scale, shift, dx);
            AssertClose($"{run.Label} {kind} forward", expectedY, y);
            AssertClose($"{run.Label} {kind} backward", expectedDx, dx);

            // In place, as the generated code uses it (dx over dy).
            float[] inPlace = [.. dy];
            ActivationKernels.Backward(use, activation, batch, channels, spatial, inPlace, x, scale, shift, inPlace);
            Assert.Equal(dx, inPlace);
        }
    }

    private static float[] Fill(Random random, int length, float scale)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)(((random.NextDouble() * 2) - 1) * scale);
        }

        return values;
    }

    private static void AssertClose(string label, double[] expected, float[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            Assert.True(error <= Tolerance * (1 + Math.Abs(expected[i])), $"{label}: element {i} is {actual[i]}, expected {expected[i]} (error {error:E2})");
        }
    }
}
