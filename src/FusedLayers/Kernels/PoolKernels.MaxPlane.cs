using System;
using System.Runtime.Intrinsics;

namespace FusedLayers.Kernels;

/// <summary>Max pooling of one plane, per ISA path.</summary>
public static unsafe partial class PoolKernels
{
    /// <summary>
    /// Max pooling of one plane into <paramref name="y"/> and <paramref name="idx"/> (null: values only, for inference,
    /// which skips the arg-max bookkeeping). <paramref name="denseMax"/> and <paramref name="denseIdx"/> are scratch rows
    /// of at least <c>W</c> elements, used by the vector paths when the stride exceeds 1.
    /// </summary>
    private static void MaxPlane(KernelIsa isa, in Pool2dGeometry g, float* x, float* y, int* idx, float* denseMax, int* denseIdx)
    {
        if (idx == null && isa != KernelIsa.Scalar)
        {
            MaxPlaneValues(isa, g, x, y, denseMax, (float*)denseIdx);
            return;
        }

        int width = g.InWidth, k = g.KernelSize, s = g.Stride, p = g.Padding, outWidth = g.OutWidth;
        (int oxLo, int oxHi) = isa == KernelIsa.Scalar ? (0, 0) : InteriorColumns(g);
        for (int oy = 0; oy < g.OutHeight; oy++)
        {
            int y0 = (oy * s) - p;
            int yStart = Math.Max(y0, 0), yEnd = Math.Min(y0 + k, g.InHeight);
            float* yRow = y + ((long)oy * outWidth);
            int* iRow = idx == null ? null : idx + ((long)oy * outWidth);
            if (oxHi > oxLo)
            {
                int cLo = (oxLo * s) - p, count = ((oxHi - 1 - oxLo) * s) + 1;
                if (s == 1)
                {
                    DenseMax(isa, x, width, yStart, yEnd, k, cLo, count, yRow + oxLo, iRow == null ? null : iRow + oxLo);
                }
                else
                {
                    DenseMax(isa, x, width, yStart, yEnd, k, cLo, count, denseMax, iRow == null ? null : denseIdx);
                    for (int ox = oxLo; ox < oxHi; ox++)
                    {
                        yRow[ox] = denseMax[(ox - oxLo) * s];
                    }

                    if (iRow != null)
                    {
                        for (int ox = oxLo; ox < oxHi; ox++)
                        {
                            iRow[ox] = denseIdx[(ox - oxLo) * s];
                        }
                    }
                }
            }

            for (int ox = 0; ox < outWidth; ox++)
            {
                if (ox == oxLo && oxHi > oxLo)
                {
                    ox = oxHi - 1; // the interior columns are done
                    continue;
                }

                int x0 = (ox * s) - p;
                MaxWindow(x, width, yStart, yEnd, Math.Max(x0, 0), Math.Min(x0 + k, width), out yRow[ox], out int best);
                if (iRow != null)
                {
                    iRow[ox] = best;
                }
            }
        }
    }

    /// <summary>
    /// Values-only max pooling of one plane on a vector path, separably: per output row, the maximum down the window's
    /// rows for every column (<paramref name="columnMax"/>, one pass over the rows), then across each window's columns
    /// (<paramref name="windowMax"/> for strides above 1, picked every <c>s</c>-th). A window of <c>k x k</c> costs
    /// <c>2 (k - 1)</c> vector maxima per vector of outputs instead of <c>k^2</c> compare-and-selects with arg-max
    /// bookkeeping. The maximum is the same as the row-major scan's (a NaN still wins), except that when +0 and -0 tie
    /// for it either may be returned.
    /// </summary>
    private static void MaxPlaneValues(KernelIsa isa, in Pool2dGeometry g, float* x, float* y, float* columnMax, float* windowMax)
    {
        int width = g.InWidth, k = g.KernelSize, s = g.Stride, p = g.Padding, outWidth = g.OutWidth;
        (int oxLo, int oxHi) = InteriorColumns(g);
        for (int oy = 0; oy < g.OutHeight; oy++)
        {
            int y0 = (oy * s) - p;
            int yStart = Math.Max(y0, 0), yEnd = Math.Min(y0 + k, g.InHeight);
            ColumnMax(isa, x + ((long)yStart * width), width, yEnd - yStart, columnMax);
            float* yRow = y + ((long)oy * outWidth);
            if (oxHi > oxLo)
            {
                int cLo = (oxLo * s) - p, count = ((oxHi - 1 - oxLo) * s) + 1;
                if (s == 1)
                {
                    WindowMax(isa, columnMax + cLo, k, count, yRow + oxLo);
                }
                else
                {
                    WindowMax(isa, columnMax + cLo, k, count, windowMax);
                    for (int ox = oxLo; ox < oxHi; ox++)
                    {
                        yRow[ox] = windowMax[(ox - oxLo) * s];
                    }
                }
            }

            for (int ox = 0; ox < outWidth; ox++)
            {
                if (ox == oxLo && oxHi > oxLo)
                {
                    ox = oxHi - 1; // the interior columns are done
                    continue;
                }

                int x0 = (ox * s) - p;
                float m = float.NegativeInfinity;
                for (int c = Math.Max(x0, 0), end = Math.Min(x0 + k, width); c < end; c++)
                {
                    float v = columnMax[c];
                    m = v > m || float.IsNaN(v) ? v : m;
                }

                yRow[ox] = m;
            }
        }
    }

    /// <summary><c>max[c] = max over r &lt; rows of x[r * width + c]</c> for every column (a NaN wins), vectorised over columns.</summary>
    private static void ColumnMax(KernelIsa isa, float* x, int width, int rows, float* max)
    {
        int c = 0;
        if (isa == KernelIsa.Avx512 && width >= Vector512<float>.Count)
        {
            for (; c < width; c += Vector512<float>.Count)
            {
                c = Math.Min(c, width - Vector512<float>.Count); // the tail overlaps the last full vector
                Vector512<float> m = Vector512.Load(x + c);
                for (int r = 1; r < rows; r++)
                {
                    Vector512<float> v = Vector512.Load(x + ((long)r * width) + c);
                    m = Vector512.ConditionalSelect(Vector512.GreaterThan(v, m) | ~Vector512.Equals(v, v), v, m);
                }

                m.Store(max + c);
            }

            return;
        }

        if (isa == KernelIsa.Avx2 && width >= Vector256<float>.Count)
        {
            for (; c < width; c += Vector256<float>.Count)
            {
                c = Math.Min(c, width - Vector256<float>.Count);
                Vector256<float> m = Vector256.Load(x + c);
                for (int r = 1; r < rows; r++)
                {
                    Vector256<float> v = Vector256.Load(x + ((long)r * width) + c);
                    m = Vector256.ConditionalSelect(Vector256.GreaterThan(v, m) | ~Vector256.Equals(v, v), v, m);
                }

                m.Store(max + c);
            }

            return;
        }

        for (; c < width; c++)
        {
            float m = x[c];
            for (int r = 1; r < rows; r++)
            {
                float v = x[((long)r * width) + c];
                m = v > m || float.IsNaN(v) ? v : m;
            }

            max[c] = m;
        }
    }

    /// <summary><c>max[j] = max over kx &lt; k of x[j + kx]</c> for <c>j &lt; count</c> (a NaN wins), vectorised over <c>j</c>.</summary>
    private static void WindowMax(KernelIsa isa, float* x, int k, int count, float* max)
    {
        int j = 0;
        if (isa == KernelIsa.Avx512 && count >= Vector512<float>.Count)
        {
            for (; j < count; j += Vector512<float>.Count)
            {
                j = Math.Min(j, count - Vector512<float>.Count);
                Vector512<float> m = Vector512.Load(x + j);
                for (int kx = 1; kx < k; kx++)
                {
                    Vector512<float> v = Vector512.Load(x + j + kx);
                    m = Vector512.ConditionalSelect(Vector512.GreaterThan(v, m) | ~Vector512.Equals(v, v), v, m);
                }

                m.Store(max + j);
            }

            return;
        }

        if (isa == KernelIsa.Avx2 && count >= Vector256<float>.Count)
        {
            for (; j < count; j += Vector256<float>.Count)
            {
                j = Math.Min(j, count - Vector256<float>.Count);
                Vector256<float> m = Vector256.Load(x + j);
                for (int kx = 1; kx < k; kx++)
                {
                    Vector256<float> v = Vector256.Load(x + j + kx);
                    m = Vector256.ConditionalSelect(Vector256.GreaterThan(v, m) | ~Vector256.Equals(v, v), v, m);
                }

                m.Store(max + j);
            }

            return;
        }

        for (; j < count; j++)
        {
            float m = x[j];
            for (int kx = 1; kx < k; kx++)
            {
                float v = x[j + kx];
                m = v > m || float.IsNaN(v) ? v : m;
            }

            max[j] = m;
        }
    }

    /// <summary>
    /// The output columns whose window lies horizontally inside the input: <c>[ceil(p / s), floor((W + p - k) / s) + 1)</c>,
    /// empty (<c>lo == hi</c>) when there are none.
    /// </summary>
    private static (int Lo, int Hi) InteriorColumns(in Pool2dGeometry g)
    {
        int lo = (g.Padding + g.Stride - 1) / g.Stride;
        int last = g.InWidth - g.KernelSize + g.Padding;
        int hi = last < 0 ? 0 : Math.Min(g.OutWidth, (last / g.Stride) + 1);
        return (lo, Math.Max(lo, hi));
    }

    /// <summary>
    /// One window, scanned row by row from its first real position: a value replaces the maximum when
    /// <c>v &gt; max || isnan(v)</c> (PyTorch's CPU kernel).
    /// </summary>
    private static void MaxWindow(float* x, int width, int yStart, int yEnd, int xStart, int xEnd, out float max, out int best)
    {
        max = float.NegativeInfinity;
        best = (yStart * width) + xStart;
        for (int iy = yStart; iy < yEnd; iy++)
        {
            for (int ix = xStart; ix < xEnd; ix++)
            {
                float v = x[((long)iy * width) + ix];
                if (v > max || float.IsNaN(v))
                {
                    max = v;
                    best = (iy * width) + ix;
                }
            }
        }
    }

    /// <summary>
    /// Window maxima at the <paramref name="count"/> consecutive column starts <c>cLo, cLo + 1, ...</c> (all inside the
    /// input), vectorised over the starts with the same per-element scan as <see cref="MaxWindow"/>; the arg-maxes go to
    /// <paramref name="best"/> unless it is null. A tail shorter than a vector is done by one more vector ending at
    /// <paramref name="count"/>, overlapping the last full one: each lane depends only on its own start, so the lanes
    /// computed twice get the same values.
    /// </summary>
    private static void DenseMax(KernelIsa isa, float* x, int width, int yStart, int yEnd, int k, int cLo, int count, float* max, int* best)
    {
        int j = 0;
        if (isa == KernelIsa.Avx512 && count >= Vector512<float>.Count)
        {
            for (; j < count; j += Vector512<float>.Count)
            {
                j = Math.Min(j, count - Vector512<float>.Count);
                int c = cLo + j;
                Vector512<float> m = Vector512.Create(float.NegativeInfinity);
                Vector512<int> b = Vector512.Create((yStart * width) + c) + Vector512<int>.Indices;
                for (int iy = yStart; iy < yEnd; iy++)
                {
                    int rowBase = (iy * width) + c;
                    for (int kx = 0; kx < k; kx++)
                    {
                        Vector512<float> v = Vector512.Load(x + rowBase + kx);
                        Vector512<float> take = Vector512.GreaterThan(v, m) | ~Vector512.Equals(v, v);
                        m = Vector512.ConditionalSelect(take, v, m);
                        b = Vector512.ConditionalSelect(take.AsInt32(), Vector512.Create(rowBase + kx) + Vector512<int>.Indices, b);
                    }
                }

                m.Store(max + j);
                b.Store(best + j);
            }
        }
        else if (isa == KernelIsa.Avx2 && count >= Vector256<float>.Count)
        {
            for (; j < count; j += Vector256<float>.Count)
            {
                j = Math.Min(j, count - Vector256<float>.Count);
                int c = cLo + j;
                Vector256<float> m = Vector256.Create(float.NegativeInfinity);
                Vector256<int> b = Vector256.Create((yStart * width) + c) + Vector256<int>.Indices;
                for (int iy = yStart; iy < yEnd; iy++)
                {
                    int rowBase = (iy * width) + c;
                    for (int kx = 0; kx < k; kx++)
                    {
                        Vector256<float> v = Vector256.Load(x + rowBase + kx);
                        Vector256<float> take = Vector256.GreaterThan(v, m) | ~Vector256.Equals(v, v);
                        m = Vector256.ConditionalSelect(take, v, m);
                        b = Vector256.ConditionalSelect(take.AsInt32(), Vector256.Create(rowBase + kx) + Vector256<int>.Indices, b);
                    }
                }

                m.Store(max + j);
                b.Store(best + j);
            }
        }

        for (; j < count; j++)
        {
            int c = cLo + j;
            MaxWindow(x, width, yStart, yEnd, c, c + k, out max[j], out int arg);
            if (best != null)
            {
                best[j] = arg;
            }
        }
    }

    /// <summary>Scatters one plane's output gradient to its arg-max positions (bounds-checked).</summary>
    private static void MaxBackwardPlane(ReadOnlySpan<float> dy, ReadOnlySpan<int> idx, Span<float> dx)
    {
        dx.Clear();
        for (int o = 0; o < dy.Length; o++)
        {
            dx[idx[o]] += dy[o];
        }
    }
}
