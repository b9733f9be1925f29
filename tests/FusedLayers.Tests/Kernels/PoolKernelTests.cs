using System;
using FusedLayers.Execution;
using FusedLayers.Kernels;
using FusedLayers.Reference;
using FusedLayers.Tests.Numerics;

namespace FusedLayers.Tests.Kernels;

/// <summary>
/// <see cref="PoolKernels"/> on every instruction-set path (public API and forced) with 1 and 2 threads against the
/// float64 references, on odd planes whose widths leave vector remainders (and widths above 16 for Vector512).
/// Tolerances: max pooling forward is exact (values and arg-max indices; a maximum is not rounded); max-pooling
/// backward and average pooling <c>max|a - r| / max|r| &lt;= 1e-5</c> (float32 window sums of at most 25 terms and a
/// division: observed ~1e-7); global average pooling 1e-5 (float32 vector partial sums of up to 3136 terms
/// combined in float64: observed ~1e-7). Across paths, max and average pooling (both directions) are
/// bit-identical by construction, and that is asserted too.
/// </summary>
public sealed class PoolKernelTests
{
    private const double WindowTolerance = 1e-5;

    private static readonly (int N, int C, int H, int W, int K, int S, int P)[] Cases =
    [
        (2, 3, 9, 11, 2, 2, 0),   // the usual 2x2/2, odd plane: a floor-mode leftover row and column
        (1, 2, 13, 37, 3, 2, 1),  // ResNet stem 3x3/2 pad 1, overlapping windows
        (2, 3, 7, 21, 3, 1, 1),   // stride 1: dense outputs, 16 + 5 columns
        (1, 2, 8, 38, 4, 3, 2),   // even kernel, largest padding, stride 3
        (3, 1, 5, 19, 1, 1, 0),   // 1x1 window (a copy)
        (1, 2, 6, 40, 2, 1, 1),   // even kernel with padding, stride 1
        (2, 2, 17, 33, 5, 2, 2),  // 5x5 / 2, padding 2
        (1, 1, 4, 5, 2, 3, 0),    // stride > kernel: skipped columns, narrower than a vector
    ];

    /// <summary>Theory rows: path x threads x case.</summary>
    public static TheoryData<KernelIsa, int, int> Grid => KernelPaths.Grid(Cases.Length);

    [Theory]
    [MemberData(nameof(Grid))]
    public void MaxPool_forward_and_backward_match_the_reference(KernelIsa isa, int threads, int index)
    {
        (Pool2dGeometry g, int batch, float[] x, float[] dy) = Data(index);
        var reference = new ReferenceMaxPool2d("Pool", g.KernelSize, g.Stride, g.Padding);
        ReferenceTensor y = reference.Forward(ReferenceTensor.FromFloats(x, batch, g.Channels, g.InHeight, g.InWidth));
        ReferenceTensor dx = reference.Backward(ReferenceTensor.FromFloats(dy, y.Shape));

        foreach (KernelRun run in KernelPaths.Runs(isa, threads, out KernelContext context))
        {
            (float[] output, int[] indices) = MaxForward(run, context, g, batch, x);
            Assert.Equal(y.ToFloats(), output);
            Assert.Equal(reference.Indices!, indices);

            var gradInput = new float[x.Length];
            gradInput.AsSpan().Fill(float.NaN); // overwritten, not accumulated
            PoolKernels.MaxBackward(context, g, batch, dy, indices, gradInput);
            Compare.Close($"{run.Label} case {index}: max grad input", dx.Data, gradInput, WindowTolerance);
        }
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void AvgPool_forward_and_backward_match_the_reference_with_and_without_padding_in_the_count(KernelIsa isa, int threads, int index)
    {
        (Pool2dGeometry g, int batch, float[] x, float[] dy) = Data(index);
        foreach (bool countIncludePad in new[] { true, false })
        {
            var reference = new ReferenceAvgPool2d("Pool", g.KernelSize, g.Stride, g.Padding, countIncludePad);
            ReferenceTensor y = reference.Forward(ReferenceTensor.FromFloats(x, batch, g.Channels, g.InHeight, g.InWidth));
            ReferenceTensor dx = reference.Backward(ReferenceTensor.FromFloats(dy, y.Shape));
            foreach (KernelRun run in KernelPaths.Runs(isa, threads, out KernelContext context))
            {
                string label = $"{run.Label} case {index} count_include_pad={countIncludePad}";
                (float[] output, float[] gradInput) = Avg(run, context, g, batch, countIncludePad, x, dy);
                Compare.Close(label + ": output", y.Data, output, WindowTolerance);
                Compare.Close(label + ": grad input", dx.Data, gradInput, WindowTolerance);
            }
        }
    }

    [Theory]
    [InlineData(KernelIsa.Scalar, 1)]
    [InlineData(KernelIsa.Avx2, 1)]
    [InlineData(KernelIsa.Avx2, 2)]
    [InlineData(KernelIsa.Avx512, 2)]
    public void Global_average_pool_matches_the_reference(KernelIsa isa, int threads)
    {
        foreach ((int n, int c, int h, int w) in new[] { (2, 3, 1, 1), (3, 5, 7, 7), (2, 3, 5, 13), (2, 4, 56, 56), (1, 1, 3, 11) })
        {
            var random = new Random((h * 100) + w);
            float[] x = RandomData.Uniform(random, n * c * h * w, offset: 0.25);
            float[] dy = RandomData.Uniform(random, n * c);
            var reference = new ReferenceAdaptiveAvgPool2d("Gap");
            ReferenceTensor y = reference.Forward(ReferenceTensor.FromFloats(x, n, c, h, w));
            ReferenceTensor dx = reference.Backward(ReferenceTensor.FromFloats(dy, y.Shape));
            foreach (KernelRun run in KernelPaths.Runs(isa, threads, out KernelContext context))
            {
                var output = new float[n * c];
                var gradInput = new float[x.Length];
                gradInput.AsSpan().Fill(float.NaN);
                if (run.Forced)
                {
                    PoolKernels.GlobalAvgForwardOn(run.Isa, threads, n, c, h * w, x, output);
                    PoolKernels.GlobalAvgBackwardOn(run.Isa, threads, n, c, h * w, dy, gradInput);
                }
                else
                {
                    PoolKernels.GlobalAvgForward(context, n, c, h * w, x, output);
                    PoolKernels.GlobalAvgBackward(context, n, c, h * w, dy, gradInput);
                }

                Compare.Close($"{run.Label} {n}x{c}x{h}x{w}: output", y.Data, output, WindowTolerance);
                Compare.Close($"{run.Label} {n}x{c}x{h}x{w}: grad input", dx.Data, gradInput, WindowTolerance);
            }
        }
    }

    [Theory]
    [InlineData(KernelIsa.Avx2)]
    [InlineData(KernelIsa.Avx512)]
    public void Vector_paths_are_bit_identical_to_the_scalar_path(KernelIsa isa)
    {
        if (!KernelPaths.CanForce(isa))
        {
            isa = KernelPaths.Expected(isa);
        }

        var scalarRun = new KernelRun("scalar", KernelIsa.Scalar, Forced: true);
        var vectorRun = new KernelRun(isa.ToString(), isa, Forced: true);
        for (int index = 0; index < Cases.Length; index++)
        {
            (Pool2dGeometry g, int batch, float[] x, float[] dy) = Data(index);
            KernelContext context = KernelContext.Create(isa, 2);
            (float[] scalarMax, int[] scalarIndices) = MaxForward(scalarRun, context, g, batch, x);
            (float[] vectorMax, int[] vectorIndices) = MaxForward(vectorRun, context, g, batch, x);
            Assert.Equal(scalarMax, vectorMax);
            Assert.Equal(scalarIndices, vectorIndices);
            foreach (bool countIncludePad in new[] { true, false })
            {
                (float[] scalarY, float[] scalarDx) = Avg(scalarRun, context, g, batch, countIncludePad, x, dy);
                (float[] vectorY, float[] vectorDx) = Avg(vectorRun, context, g, batch, countIncludePad, x, dy);
                Assert.Equal(scalarY, vectorY);
                Assert.Equal(scalarDx, vectorDx);
            }
        }
    }

    [Theory]
    [InlineData(KernelIsa.Scalar)]
    [InlineData(KernelIsa.Avx2)]
    [InlineData(KernelIsa.Avx512)]
    public void MaxPool_ties_NaN_and_negative_infinity_follow_PyTorch_on_every_path(KernelIsa isa)
    {
        // 3 x 40 plane, k = 2, s = 1, p = 1: many ties (values from {-1, 0, 1}), some NaN and -inf, in vector lanes and borders.
        var g = new Pool2dGeometry(1, 3, 40, 2, 1, 1);
        var random = new Random(17);
        var x = new float[3 * 40];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = random.Next(10) switch { 0 => float.NaN, 1 => float.NegativeInfinity, int r => (r % 3) - 1 };
        }

        var reference = new ReferenceMaxPool2d("Pool", 2, 1, 1);
        ReferenceTensor y = reference.Forward(ReferenceTensor.FromFloats(x, 1, 1, 3, 40));
        foreach (KernelRun run in KernelPaths.Runs(isa, 1, out KernelContext context))
        {
            (float[] output, int[] indices) = MaxForward(run, context, g, 1, x);
            Assert.Equal(y.ToFloats(), output);
            Assert.Equal(reference.Indices!, indices);
        }
    }

    [Theory]
    [InlineData(KernelIsa.Scalar, 1)]
    [InlineData(KernelIsa.Avx2, 2)]
    [InlineData(KernelIsa.Avx512, 1)]
    [InlineData(KernelIsa.Avx512, 2)]
    public void Fused_max_pool_values_only_equals_the_indexed_form_and_the_unfused_kernels(KernelIsa isa, int threads)
    {
        // The ResNet stem's pool (3x3 / 2, pad 1) on 37 x 45 planes with a BatchNorm-apply + ReLU prologue: ReLU's
        // zeros make ties everywhere. The values-only form (inference) must give the indexed form's maxima, and both
        // must equal the activation pass followed by the plain pool.
        var g = new Pool2dGeometry(3, 37, 45, 3, 2, 1);
        const int batch = 2;
        var random = new Random(5);
        float[] x = RandomData.Uniform(random, batch * 3 * 37 * 45);
        float[] scale = [2f, -0.5f, 1f], shift = [0.1f, 0.2f, -0.3f]; // powers of two: x * scale is exact, so FMA or not rounds alike
        int outputs = batch * 3 * g.OutputPlaneLength;
        float[] indexed = new float[outputs], valuesOnly = new float[outputs];
        int[] indices = new int[outputs];
        PoolKernels.FusedForwardOn(isa, threads, true, g, batch, false, x, scale, shift, Activation.ReLU, indexed, indices);
        PoolKernels.FusedForwardOn(isa, threads, true, g, batch, false, x, scale, shift, Activation.ReLU, valuesOnly, default);
        Assert.Equal(indexed, valuesOnly);

        float[] activated = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int c = (i / (37 * 45)) % 3;
            activated[i] = MathF.Max((x[i] * scale[c]) + shift[c], 0f);
        }

        float[] plain = new float[outputs];
        int[] plainIndices = new int[outputs];
        PoolKernels.MaxForwardOn(isa, threads, g, batch, activated, plain, plainIndices);
        Assert.Equal(plain, valuesOnly);
        Assert.Equal(plainIndices, indices);
    }

    [Fact]
    public void Invalid_geometry_and_short_spans_are_rejected()
    {
        KernelContext context = KernelContext.Portable;
        var g = new Pool2dGeometry(2, 6, 6, 2, 2, 0);
        var x = new float[2 * 36];
        var y = new float[2 * 9];
        var indices = new int[2 * 9];
        Assert.Throws<ArgumentException>(() => PoolKernels.MaxForward(context, g with { Padding = 2 }, 1, x, y, indices)); // padding > k / 2
        Assert.Throws<ArgumentException>(() => PoolKernels.MaxForward(context, g with { KernelSize = 7 }, 1, x, y, indices)); // empty output
        Assert.Throws<ArgumentException>(() => PoolKernels.MaxForward(context, g, 1, x.AsSpan(1), y, indices));
        Assert.Throws<ArgumentException>(() => PoolKernels.MaxForward(context, g, 1, x, y, indices.AsSpan(1)));
        Assert.Throws<ArgumentException>(() => PoolKernels.AvgForward(context, g, 1, true, x, y.AsSpan(1)));
        Assert.Throws<ArgumentException>(() => PoolKernels.AvgBackward(context, g, 1, true, y, x.AsSpan(1)));
        Assert.Throws<ArgumentException>(() => PoolKernels.MaxBackward(context, g, 1, y, indices, x.AsSpan(1)));
        Assert.Throws<ArgumentException>(() => PoolKernels.GlobalAvgForward(context, 2, 2, 9, x, y.AsSpan(0, 3)));
        Assert.Throws<ArgumentOutOfRangeException>(() => PoolKernels.GlobalAvgBackward(context, 2, 2, 0, y, x));

        indices[3] = 36; // outside its plane
        Assert.Throws<IndexOutOfRangeException>(() => PoolKernels.MaxBackward(context, g, 1, y, indices, x));
    }

    private static (Pool2dGeometry Geometry, int Batch, float[] Input, float[] GradOutput) Data(int index)
    {
        (int n, int c, int h, int w, int k, int s, int p) = Cases[index];
        var g = new Pool2dGeometry(c, h, w, k, s, p);
        var random = new Random(500 + index);
        return (g, n, RandomData.Uniform(random, n * c * h * w), RandomData.Uniform(random, n * c * g.OutputPlaneLength));
    }

    private static (float[] Output, int[] Indices) MaxForward(KernelRun run, KernelContext context, Pool2dGeometry g, int batch, float[] x)
    {
        var output = new float[batch * g.Channels * g.OutputPlaneLength];
        var indices = new int[output.Length];
        output.AsSpan().Fill(float.NaN);
        indices.AsSpan().Fill(-1);
        if (run.Forced)
        {
            PoolKernels.MaxForwardOn(run.Isa, context.Threads, g, batch, x, output, indices);
        }
        else
        {
            PoolKernels.MaxForward(context, g, batch, x, output, indices);
        }

        // Values only (empty indices, the inference form): the same maxima, bit for bit.
        var valuesOnly = new float[output.Length];
        valuesOnly.AsSpan().Fill(float.NaN);
        if (run.Forced)
        {
            PoolKernels.MaxForwardOn(run.Isa, context.Threads, g, batch, x, valuesOnly, default);
        }
        else
        {
            PoolKernels.MaxForward(context, g, batch, x, valuesOnly, default);
        }

        Assert.Equal(output, valuesOnly);
        return (output, indices);
    }

    private static (float[] Output, float[] GradInput) Avg(
        KernelRun run, KernelContext context, Pool2dGeometry g, int batch, bool countIncludePad, float[] x, float[] dy)
    {
        var output = new float[batch * g.Channels * g.OutputPlaneLength];
        var gradInput = new float[x.Length];
        output.AsSpan().Fill(float.NaN);
        gradInput.AsSpan().Fill(float.NaN); // overwritten, not accumulated
        if (run.Forced)
        {
            PoolKernels.AvgForwardOn(run.Isa, context.Threads, g, batch, countIncludePad, x, output);
            PoolKernels.AvgBackwardOn(run.Isa, context.Threads, g, batch, countIncludePad, dy, gradInput);
        }
        else
        {
            PoolKernels.AvgForward(context, g, batch, countIncludePad, x, output);
            PoolKernels.AvgBackward(context, g, batch, countIncludePad, dy, gradInput);
        }

        return (output, gradInput);
    }
}
