using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FusedLayers.Execution;

namespace FusedLayers.Kernels.Gemm;

/// <summary>
/// The AVX2 + FMA path: 256-bit vectors and a 4 x 24 micro-tile. 12 accumulators + 3 rows of B + 1 broadcast
/// use exactly the 16 ymm registers (checked in the JIT's disassembly: no spills). Per step <c>k</c> it issues
/// 3 loads of B, 4 broadcasts and 12 FMAs: 6 cycles on two 256-bit FMA pipes (Zen 2/3, Intel since Haswell)
/// with 1.2 loads per cycle, and 12 independent chains cover the 4-cycle FMA latency on both pipes.
/// 4 x 24 rather than 6 x 16 (also 12 accumulators) because 4 rows divide the usual channel counts (64 output
/// channels would be padded to 66 with 6 rows) and it needs fewer loads per FMA (7/12 against 8/12).
/// 4 x 16 and 4 x 8 tiles cover the last columns.
/// </summary>
/// <remarks>
/// The loops here are only reached when <see cref="KernelContext"/> says AVX2 and FMA are available.
/// </remarks>
internal readonly unsafe struct Avx2Path : IGemmPath
{
    /// <inheritdoc />
    public static KernelIsa Isa => KernelIsa.Avx2;

    /// <inheritdoc />
    public static int Rows => 4;

    /// <inheritdoc />
    public static int Width => 8;

    /// <inheritdoc />
    public static int MaxVectors => 3;

    /// <inheritdoc />
    public static void MicroTile(
        int vectors, int tiles, float* a, nint* rowOffsets, nint columnStride, float* b, int* bOffsets, int depth, float* c, nint ldc, bool accumulate)
    {
        switch (vectors)
        {
            case 3:
                Tile4x24(tiles, a, rowOffsets, columnStride, b, bOffsets, depth, c, ldc, accumulate);
                break;
            case 2:
                Tile4x16(tiles, a, rowOffsets, columnStride, b, bOffsets, depth, c, ldc, accumulate);
                break;
            default:
                Tile4x8(tiles, a, rowOffsets, columnStride, b, bOffsets, depth, c, ldc, accumulate);
                break;
        }
    }

    /// <inheritdoc />
    public static void StoreRows(float* src, nint srcStride, float* dst, nint dstStride, int rows, int length, float bias, bool relu)
    {
        Vector256<float> vb = Vector256.Create(bias);
        Vector256<float> zero = Vector256<float>.Zero;
        if (length < 8)
        {
            for (int r = 0; r < rows; r++, src += srcStride, dst += dstStride)
            {
                for (int t = 0; t < length; t++)
                {
                    float v = src[t] + bias;
                    dst[t] = relu && v < 0f ? 0f : v; // NaN stays NaN
                }
            }

            return;
        }

        // max(v, 0) returns 0 for NaN, as the scalar path. The last vector of a row overlaps the previous one;
        // it recomputes the same values from src, so nothing is applied twice.
        int last = length - 8;
        for (int r = 0; r < rows; r++, src += srcStride, dst += dstStride)
        {
            for (int i = 0; ; i += 8)
            {
                int at = i < last ? i : last;
                Vector256<float> v = Avx.Add(Avx.LoadVector256(src + at), vb);
                Avx.Store(dst + at, relu ? Avx.Max(zero, v) : v);
                if (at == last)
                {
                    break;
                }
            }
        }
    }

    /// <inheritdoc />
    public static double StoreRowsAndSum(float* src, nint srcStride, float* dst, nint dstStride, int rows, int length, float bias)
    {
        Vector256<float> vb = Vector256.Create(bias);
        Vector256<double> s0 = Vector256<double>.Zero, s1 = s0, s2 = s0, s3 = s0;
        double tail = 0;
        for (int r = 0; r < rows; r++, src += srcStride, dst += dstStride)
        {
            int i = 0;
            for (; i <= length - 16; i += 16)
            {
                Vector256<float> v0 = Avx.Add(Avx.LoadVector256(src + i), vb);
                Vector256<float> v1 = Avx.Add(Avx.LoadVector256(src + i + 8), vb);
                Avx.Store(dst + i, v0);
                Avx.Store(dst + i + 8, v1);
                s0 = Avx.Add(s0, Avx.ConvertToVector256Double(v0.GetLower()));
                s1 = Avx.Add(s1, Avx.ConvertToVector256Double(v0.GetUpper()));
                s2 = Avx.Add(s2, Avx.ConvertToVector256Double(v1.GetLower()));
                s3 = Avx.Add(s3, Avx.ConvertToVector256Double(v1.GetUpper()));
            }

            if (i <= length - 8)
            {
                Vector256<float> v0 = Avx.Add(Avx.LoadVector256(src + i), vb);
                Avx.Store(dst + i, v0);
                s0 = Avx.Add(s0, Avx.ConvertToVector256Double(v0.GetLower()));
                s1 = Avx.Add(s1, Avx.ConvertToVector256Double(v0.GetUpper()));
                i += 8;
            }

            for (; i < length; i++)
            {
                float v = src[i] + bias;
                dst[i] = v;
                tail += v;
            }
        }

        return SumLanes(Avx.Add(Avx.Add(s0, s1), Avx.Add(s2, s3))) + tail;
    }

    /// <inheritdoc />
    public static void StoreRowWithBiasVector(float* src, float* dst, int length, float* bias, bool relu)
    {
        Vector256<float> zero = Vector256<float>.Zero;
        int i = 0;
        for (; i <= length - 8; i += 8)
        {
            Vector256<float> v = Avx.LoadVector256(src + i);
            if (bias != null)
            {
                v = Avx.Add(v, Avx.LoadVector256(bias + i));
            }

            Avx.Store(dst + i, relu ? Avx.Max(zero, v) : v);
        }

        for (; i < length; i++)
        {
            float v = bias != null ? src[i] + bias[i] : src[i];
            dst[i] = relu && v < 0f ? 0f : v; // NaN stays NaN
        }
    }

    /// <inheritdoc />
    public static void AddRow(float* src, float* dst, int length)
    {
        int i = 0;
        for (; i <= length - 8; i += 8)
        {
            Avx.Store(dst + i, Avx.Add(Avx.LoadVector256(dst + i), Avx.LoadVector256(src + i)));
        }

        for (; i < length; i++)
        {
            dst[i] += src[i];
        }
    }

    /// <inheritdoc />
    public static void AddRowToDouble(float* src, double* dst, int length)
    {
        int i = 0;
        for (; i <= length - 4; i += 4)
        {
            Avx.Store(dst + i, Avx.Add(Avx.LoadVector256(dst + i), Avx.ConvertToVector256Double(Sse.LoadVector128(src + i))));
        }

        for (; i < length; i++)
        {
            dst[i] += src[i];
        }
    }

    /// <inheritdoc />
    public static double Sum(float* p, int length)
    {
        Vector256<double> s0 = Vector256<double>.Zero, s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i <= length - 16; i += 16)
        {
            s0 = Avx.Add(s0, Avx.ConvertToVector256Double(Sse.LoadVector128(p + i)));
            s1 = Avx.Add(s1, Avx.ConvertToVector256Double(Sse.LoadVector128(p + i + 4)));
            s2 = Avx.Add(s2, Avx.ConvertToVector256Double(Sse.LoadVector128(p + i + 8)));
            s3 = Avx.Add(s3, Avx.ConvertToVector256Double(Sse.LoadVector128(p + i + 12)));
        }

        double sum = SumLanes(Avx.Add(Avx.Add(s0, s1), Avx.Add(s2, s3)));
        for (; i < length; i++)
        {
            sum += p[i];
        }

        return sum;
    }

    /// <inheritdoc />
    public static double SquaredDeviations(float* p, int length, double mean)
    {
        Vector256<double> m = Vector256.Create(mean);
        Vector256<double> s0 = Vector256<double>.Zero, s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i <= length - 16; i += 16)
        {
            Vector256<double> d0 = Avx.Subtract(Avx.ConvertToVector256Double(Sse.LoadVector128(p + i)), m);
            Vector256<double> d1 = Avx.Subtract(Avx.ConvertToVector256Double(Sse.LoadVector128(p + i + 4)), m);
            Vector256<double> d2 = Avx.Subtract(Avx.ConvertToVector256Double(Sse.LoadVector128(p + i + 8)), m);
            Vector256<double> d3 = Avx.Subtract(Avx.ConvertToVector256Double(Sse.LoadVector128(p + i + 12)), m);
            s0 = Fma.MultiplyAdd(d0, d0, s0);
            s1 = Fma.MultiplyAdd(d1, d1, s1);
            s2 = Fma.MultiplyAdd(d2, d2, s2);
            s3 = Fma.MultiplyAdd(d3, d3, s3);
        }

        double sum = SumLanes(Avx.Add(Avx.Add(s0, s1), Avx.Add(s2, s3)));
        for (; i < length; i++)
        {
            double d = p[i] - mean;
            sum += d * d;
        }

        return sum;
    }

    /// <inheritdoc />
    public static void AccumulateColumns(float* row, double* sums, int length)
    {
        AddRowToDouble(row, sums, length);
    }

    /// <inheritdoc />
    public static void AccumulateSquaredDeviations(float* row, double* mean, double* m2, int length)
    {
        int i = 0;
        for (; i <= length - 4; i += 4)
        {
            Vector256<double> d = Avx.Subtract(Avx.ConvertToVector256Double(Sse.LoadVector128(row + i)), Avx.LoadVector256(mean + i));
            Avx.Store(m2 + i, Fma.MultiplyAdd(d, d, Avx.LoadVector256(m2 + i)));
        }

        for (; i < length; i++)
        {
            double d = row[i] - mean[i];
            m2[i] += d * d;
        }
    }

    /// <summary>Lanes added pairwise in a fixed order.</summary>
    private static double SumLanes(Vector256<double> s) =>
        (s.GetElement(0) + s.GetElement(1)) + (s.GetElement(2) + s.GetElement(3));

    /// <summary>4 x 8 micro-tiles, <paramref name="tiles"/> of them side by side (see <see cref="IGemmPath.MicroTile"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x8(int tiles, float* a, nint* rowOffsets, nint columnStride, float* b, int* bOffsets, int depth, float* c, nint ldc, bool accumulate)
    {
        float* p0 = a + rowOffsets[0];
        float* p1 = a + rowOffsets[1];
        float* p2 = a + rowOffsets[2];
        float* p3 = a + rowOffsets[3];
        for (int t = 0; t < tiles; t++, b += 8, c += 8)
        {
            Vector256<float> c00, c10, c20, c30;
            if (accumulate)
            {
                c00 = Avx.LoadVector256(c);
                c10 = Avx.LoadVector256(c + (1 * ldc));
                c20 = Avx.LoadVector256(c + (2 * ldc));
                c30 = Avx.LoadVector256(c + (3 * ldc));
            }
            else
            {
                c00 = c10 = c20 = c30 = Vector256<float>.Zero;
            }

            nint kk = 0;
            for (int k = 0; k < depth; k++, kk += columnStride)
            {
                float* bp = b + bOffsets[k];
                Vector256<float> b0 = Avx.LoadVector256(bp);
                Vector256<float> av = Vector256.Create(p0[kk]);
                c00 = Fma.MultiplyAdd(av, b0, c00);
                av = Vector256.Create(p1[kk]);
                c10 = Fma.MultiplyAdd(av, b0, c10);
                av = Vector256.Create(p2[kk]);
                c20 = Fma.MultiplyAdd(av, b0, c20);
                av = Vector256.Create(p3[kk]);
                c30 = Fma.MultiplyAdd(av, b0, c30);
            }

            float* cr = c;
            Avx.Store(cr, c00);
            cr += ldc;
            Avx.Store(cr, c10);
            cr += ldc;
            Avx.Store(cr, c20);
            cr += ldc;
            Avx.Store(cr, c30);
        }
    }

    /// <summary>4 x 16 micro-tiles, <paramref name="tiles"/> of them side by side (see <see cref="IGemmPath.MicroTile"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x16(int tiles, float* a, nint* rowOffsets, nint columnStride, float* b, int* bOffsets, int depth, float* c, nint ldc, bool accumulate)
    {
        float* p0 = a + rowOffsets[0];
        float* p1 = a + rowOffsets[1];
        float* p2 = a + rowOffsets[2];
        float* p3 = a + rowOffsets[3];
        for (int t = 0; t < tiles; t++, b += 16, c += 16)
        {
            Vector256<float> c00, c01, c10, c11, c20, c21, c30, c31;
            if (accumulate)
            {
                c00 = Avx.LoadVector256(c);
                c01 = Avx.LoadVector256(c + 8);
                c10 = Avx.LoadVector256(c + (1 * ldc));
                c11 = Avx.LoadVector256(c + (1 * ldc) + 8);
                c20 = Avx.LoadVector256(c + (2 * ldc));
                c21 = Avx.LoadVector256(c + (2 * ldc) + 8);
                c30 = Avx.LoadVector256(c + (3 * ldc));
                c31 = Avx.LoadVector256(c + (3 * ldc) + 8);
            }
            else
            {
                c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = Vector256<float>.Zero;
            }

            nint kk = 0;
            for (int k = 0; k < depth; k++, kk += columnStride)
            {
                float* bp = b + bOffsets[k];
                Vector256<float> b0 = Avx.LoadVector256(bp);
                Vector256<float> b1 = Avx.LoadVector256(bp + 8);
                Vector256<float> av = Vector256.Create(p0[kk]);
                c00 = Fma.MultiplyAdd(av, b0, c00); c01 = Fma.MultiplyAdd(av, b1, c01);
                av = Vector256.Create(p1[kk]);
                c10 = Fma.MultiplyAdd(av, b0, c10); c11 = Fma.MultiplyAdd(av, b1, c11);
                av = Vector256.Create(p2[kk]);
                c20 = Fma.MultiplyAdd(av, b0, c20); c21 = Fma.MultiplyAdd(av, b1, c21);
                av = Vector256.Create(p3[kk]);
                c30 = Fma.MultiplyAdd(av, b0, c30); c31 = Fma.MultiplyAdd(av, b1, c31);
            }

            float* cr = c;
            Avx.Store(cr, c00);
            Avx.Store(cr + 8, c01);
            cr += ldc;
            Avx.Store(cr, c10);
            Avx.Store(cr + 8, c11);
            cr += ldc;
            Avx.Store(cr, c20);
            Avx.Store(cr + 8, c21);
            cr += ldc;
            Avx.Store(cr, c30);
            Avx.Store(cr + 8, c31);
        }
    }

    /// <summary>4 x 24 micro-tiles, <paramref name="tiles"/> of them side by side (see <see cref="IGemmPath.MicroTile"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x24(int tiles, float* a, nint* rowOffsets, nint columnStride, float* b, int* bOffsets, int depth, float* c, nint ldc, bool accumulate)
    {
        float* p0 = a + rowOffsets[0];
        float* p1 = a + rowOffsets[1];
        float* p2 = a + rowOffsets[2];
        float* p3 = a + rowOffsets[3];
        for (int t = 0; t < tiles; t++, b += 24, c += 24)
        {
            Vector256<float> c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32;
            if (accumulate)
            {
                c00 = Avx.LoadVector256(c);
                c01 = Avx.LoadVector256(c + 8);
                c02 = Avx.LoadVector256(c + 16);
                c10 = Avx.LoadVector256(c + (1 * ldc));
                c11 = Avx.LoadVector256(c + (1 * ldc) + 8);
                c12 = Avx.LoadVector256(c + (1 * ldc) + 16);
                c20 = Avx.LoadVector256(c + (2 * ldc));
                c21 = Avx.LoadVector256(c + (2 * ldc) + 8);
                c22 = Avx.LoadVector256(c + (2 * ldc) + 16);
                c30 = Avx.LoadVector256(c + (3 * ldc));
                c31 = Avx.LoadVector256(c + (3 * ldc) + 8);
                c32 = Avx.LoadVector256(c + (3 * ldc) + 16);
            }
            else
            {
                c00 = c01 = c02 = c10 = c11 = c12 = c20 = c21 = c22 = c30 = c31 = c32 = Vector256<float>.Zero;
            }

            nint kk = 0;
            for (int k = 0; k < depth; k++, kk += columnStride)
            {
                float* bp = b + bOffsets[k];
                Vector256<float> b0 = Avx.LoadVector256(bp);
                Vector256<float> b1 = Avx.LoadVector256(bp + 8);
                Vector256<float> b2 = Avx.LoadVector256(bp + 16);
                Vector256<float> av = Vector256.Create(p0[kk]);
                c00 = Fma.MultiplyAdd(av, b0, c00); c01 = Fma.MultiplyAdd(av, b1, c01); c02 = Fma.MultiplyAdd(av, b2, c02);
                av = Vector256.Create(p1[kk]);
                c10 = Fma.MultiplyAdd(av, b0, c10); c11 = Fma.MultiplyAdd(av, b1, c11); c12 = Fma.MultiplyAdd(av, b2, c12);
                av = Vector256.Create(p2[kk]);
                c20 = Fma.MultiplyAdd(av, b0, c20); c21 = Fma.MultiplyAdd(av, b1, c21); c22 = Fma.MultiplyAdd(av, b2, c22);
                av = Vector256.Create(p3[kk]);
                c30 = Fma.MultiplyAdd(av, b0, c30); c31 = Fma.MultiplyAdd(av, b1, c31); c32 = Fma.MultiplyAdd(av, b2, c32);
            }

            float* cr = c;
            Avx.Store(cr, c00);
            Avx.Store(cr + 8, c01);
            Avx.Store(cr + 16, c02);
            cr += ldc;
            Avx.Store(cr, c10);
            Avx.Store(cr + 8, c11);
            Avx.Store(cr + 16, c12);
            cr += ldc;
            Avx.Store(cr, c20);
            Avx.Store(cr + 8, c21);
            Avx.Store(cr + 16, c22);
            cr += ldc;
            Avx.Store(cr, c30);
            Avx.Store(cr + 8, c31);
            Avx.Store(cr + 16, c32);
        }
    }
}
