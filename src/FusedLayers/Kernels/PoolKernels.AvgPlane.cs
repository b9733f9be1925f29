using System;
using System.Runtime.Intrinsics;

namespace FusedLayers.Kernels;

/// <summary>Average pooling of one plane, per ISA path.</summary>
public static unsafe partial class PoolKernels
{
    /// <summary>
    /// Average pooling of one plane. <paramref name="dense"/> is a scratch row of at least <c>W</c> floats, used by
    /// the vector paths when the stride exceeds 1.
    /// </summary>
    private static void AvgPlane(KernelIsa isa, in Pool2dGeometry g, bool countIncludePad, float* x, float* y, float* dense)
    {
        int width = g.InWidth, k = g.KernelSize, s = g.Stride, p = g.Padding, outWidth = g.OutWidth;
        (int oxLo, int oxHi) = isa == KernelIsa.Scalar ? (0, 0) : InteriorColumns(g);
        for (int oy = 0; oy < g.OutHeight; oy++)
        {
            int y0 = (oy * s) - p;
            int yStart = Math.Max(y0, 0), yEnd = Math.Min(y0 + k, g.InHeight);
            float* yRow = y + ((long)oy * outWidth);
            if (oxHi > oxLo)
            {
                int cLo = (oxLo * s) - p, count = ((oxHi - 1 - oxLo) * s) + 1;
                float* sums = s == 1 ? yRow + oxLo : dense;
                DenseSum(isa, x, width, yStart, yEnd, k, cLo, count, sums);
                for (int ox = oxLo; ox < oxHi; ox++)
                {
                    yRow[ox] = sums[(ox - oxLo) * s] / Divisor(g, countIncludePad, oy, ox);
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
                yRow[ox] = WindowSum(x, width, yStart, yEnd, Math.Max(x0, 0), Math.Min(x0 + k, width)) / Divisor(g, countIncludePad, oy, ox);
            }
        }
    }

    /// <summary>
    /// The divisor of output <c>(oy, ox)</c>, as PyTorch's <c>avg_pool2d</c> CPU kernel: the window clipped to the padded
    /// input <c>[-p, H + p)</c> with <paramref name="countIncludePad"/>, else the number of real positions it covers.
    /// </summary>
    private static int Divisor(in Pool2dGeometry g, bool countIncludePad, int oy, int ox)
    {
        int y0 = (oy * g.Stride) - g.Padding, x0 = (ox * g.Stride) - g.Padding;
        int y1 = Math.Min(y0 + g.KernelSize, g.InHeight + g.Padding), x1 = Math.Min(x0 + g.KernelSize, g.InWidth + g.Padding);
        if (countIncludePad)
        {
            return (y1 - y0) * (x1 - x0);
        }

        return (Math.Min(y1, g.InHeight) - Math.Max(y0, 0)) * (Math.Min(x1, g.InWidth) - Math.Max(x0, 0));
    }

    /// <summary>Sum of one window's real positions, row by row (the order the vector paths use too).</summary>
    private static float WindowSum(float* x, int width, int yStart, int yEnd, int xStart, int xEnd)
    {
        float sum = 0f;
        for (int iy = yStart; iy < yEnd; iy++)
        {
            for (int ix = xStart; ix < xEnd; ix++)
            {
                sum += x[((long)iy * width) + ix];
            }
        }

        return sum;
    }

    /// <summary>Window sums at <paramref name="count"/> consecutive column starts (all inside the input), vectorised over the starts.</summary>
    private static void DenseSum(KernelIsa isa, float* x, int width, int yStart, int yEnd, int k, int cLo, int count, float* sums)
    {
        int j = 0;
        if (isa == KernelIsa.Avx512)
        {
            for (; j <= count - 16; j += 16)
            {
                Vector512<float> acc = Vector512<float>.Zero;
                for (int iy = yStart; iy < yEnd; iy++)
                {
                    float* row = x + ((long)iy * width) + cLo + j;
                    for (int kx = 0; kx < k; kx++)
                    {
                        acc += Vector512.Load(row + kx);
                    }
                }

                acc.Store(sums + j);
            }
        }
        else if (isa == KernelIsa.Avx2)
        {
            for (; j <= count - 8; j += 8)
            {
                Vector256<float> acc = Vector256<float>.Zero;
                for (int iy = yStart; iy < yEnd; iy++)
                {
                    float* row = x + ((long)iy * width) + cLo + j;
                    for (int kx = 0; kx < k; kx++)
                    {
                        acc += Vector256.Load(row + kx);
                    }
                }

                acc.Store(sums + j);
            }
        }

        for (; j < count; j++)
        {
            sums[j] = WindowSum(x, width, yStart, yEnd, cLo + j, cLo + j + k);
        }
    }

    /// <summary>
    /// Average-pooling backward of one plane, the same on every path: per output row, each gradient divided by its
    /// divisor is placed at its window start in <paramref name="starts"/> (a scratch row of <c>W + k - 1</c> floats,
    /// shifted by <c>k - 1</c>), so that input column <c>ix</c> receives <c>sum_{j &lt; k} starts[ix + j]</c>, added
    /// to every input row of the window. Vectorised over input columns.
    /// </summary>
    private static void AvgBackwardPlane(KernelIsa isa, in Pool2dGeometry g, bool countIncludePad, float* dy, float* dx, float* starts)
    {
        int width = g.InWidth, k = g.KernelSize, s = g.Stride, p = g.Padding, outWidth = g.OutWidth;
        int startsLength = width + k - 1;
        new Span<float>(dx, g.InputPlaneLength).Clear();
        for (int oy = 0; oy < g.OutHeight; oy++)
        {
            int y0 = (oy * s) - p;
            int yStart = Math.Max(y0, 0), yEnd = Math.Min(y0 + k, g.InHeight);
            new Span<float>(starts, startsLength).Clear();
            for (int ox = 0; ox < outWidth; ox++)
            {
                // Window start x0 = ox*s - p lies in [-p, W) (floor mode, p <= k / 2), so x0 + k - 1 is in range.
                starts[(ox * s) - p + k - 1] = dy[((long)oy * outWidth) + ox] / Divisor(g, countIncludePad, oy, ox);
            }

            int ix = 0;
            if (isa == KernelIsa.Avx512)
            {
                for (; ix <= width - 16; ix += 16)
                {
                    Vector512<float> acc = Vector512<float>.Zero;
                    for (int j = 0; j < k; j++)
                    {
                        acc += Vector512.Load(starts + ix + j);
                    }

                    for (int iy = yStart; iy < yEnd; iy++)
                    {
                        float* row = dx + ((long)iy * width) + ix;
                        (Vector512.Load(row) + acc).Store(row);
                    }
                }
            }
            else if (isa == KernelIsa.Avx2)
            {
                for (; ix <= width - 8; ix += 8)
                {
                    Vector256<float> acc = Vector256<float>.Zero;
                    for (int j = 0; j < k; j++)
                    {
                        acc += Vector256.Load(starts + ix + j);
                    }

                    for (int iy = yStart; iy < yEnd; iy++)
                    {
                        float* row = dx + ((long)iy * width) + ix;
                        (Vector256.Load(row) + acc).Store(row);
                    }
                }
            }

            for (; ix < width; ix++)
            {
                float acc = 0f;
                for (int j = 0; j < k; j++)
                {
                    acc += starts[ix + j];
                }

                for (int iy = yStart; iy < yEnd; iy++)
                {
                    dx[((long)iy * width) + ix] += acc;
                }
            }
        }
    }
}
