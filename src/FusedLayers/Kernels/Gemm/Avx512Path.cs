using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FusedLayers.Execution;

namespace FusedLayers.Kernels.Gemm;

/// <summary>
/// The AVX-512 path: 512-bit vectors, an 8 x 48 micro-tile (24 accumulators + 3 rows of B + 1 broadcast =
/// 28 of the 32 zmm registers). Per step <c>k</c>: 3 loads of B, 8 broadcasts, 24 FMAs, so a core that
/// issues one 512-bit FMA per cycle is FMA-bound with 0.46 loads per FMA; 8 x 32 and 8 x 16 tiles cover
/// the last columns.
/// </summary>
/// <remarks>
/// Written with the cross-platform <see cref="Vector512"/> API only (no <c>Avx512F</c> class), so that
/// the same code also runs, slowly but exactly, where Vector512 is not hardware accelerated: the tests use
/// that to check this path on machines without AVX-512. Production dispatch only selects it when
/// <see cref="KernelContext.BestSupported"/> is <see cref="KernelIsa.Avx512"/>.
/// </remarks>
internal readonly unsafe struct Avx512Path : IGemmPath
{
    /// <inheritdoc />
    public static KernelIsa Isa => KernelIsa.Avx512;

    /// <inheritdoc />
    public static int Rows => 8;

    /// <inheritdoc />
    public static int Width => 16;

    /// <inheritdoc />
    public static int MaxVectors => 3;

    /// <inheritdoc />
    public static void MicroTile(
        int vectors, int tiles, float* a, nint* rowOffsets, nint columnStride, float* b, int* bOffsets, int depth, float* c, nint ldc, bool accumulate)
    {
        switch (vectors)
        {
            case 3:
                Tile8x48(tiles, a, rowOffsets, columnStride, b, bOffsets, depth, c, ldc, accumulate);
                break;
            case 2:
                Tile8x32(tiles, a, rowOffsets, columnStride, b, bOffsets, depth, c, ldc, accumulate);
                break;
            default:
                Tile8x16(tiles, a, rowOffsets, columnStride, b, bOffsets, depth, c, ldc, accumulate);
                break;
        }
    }

    /// <inheritdoc />
    public static void StoreRows(float* src, nint srcStride, float* dst, nint dstStride, int rows, int length, float bias, bool relu)
    {
        Vector512<float> vb = Vector512.Create(bias);
        if (length < 16)
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

        // Overlapping last vector per row: recomputed from src (never aliasing dst), so nothing is applied twice.
        int last = length - 16;
        for (int r = 0; r < rows; r++, src += srcStride, dst += dstStride)
        {
            for (int i = 0; ; i += 16)
            {
                int at = i < last ? i : last;
                Vector512<float> v = Vector512.Load(src + at) + vb;
                Vector512.Store(relu ? Relu(v) : v, dst + at);
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
        Vector512<float> vb = Vector512.Create(bias);
        Vector512<double> s0 = Vector512<double>.Zero, s1 = s0;
        double tail = 0;
        for (int r = 0; r < rows; r++, src += srcStride, dst += dstStride)
        {
            int i = 0;
            for (; i <= length - 16; i += 16)
            {
                Vector512<float> v = Vector512.Load(src + i) + vb;
                Vector512.Store(v, dst + i);
                s0 += Vector512.WidenLower(v);
                s1 += Vector512.WidenUpper(v);
            }

            for (; i < length; i++)
            {
                float v = src[i] + bias;
                dst[i] = v;
                tail += v;
            }
        }

        return SumLanes(s0 + s1) + tail;
    }

    /// <inheritdoc />
    public static void StoreRowWithBiasVector(float* src, float* dst, int length, float* bias, bool relu)
    {
        int i = 0;
        for (; i <= length - 16; i += 16)
        {
            Vector512<float> v = Vector512.Load(src + i);
            if (bias != null)
            {
                v += Vector512.Load(bias + i);
            }

            Vector512.Store(relu ? Relu(v) : v, dst + i);
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
        for (; i <= length - 16; i += 16)
        {
            Vector512.Store(Vector512.Load(dst + i) + Vector512.Load(src + i), dst + i);
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
        for (; i <= length - 16; i += 16)
        {
            Vector512<float> v = Vector512.Load(src + i);
            Vector512.Store(Vector512.Load(dst + i) + Vector512.WidenLower(v), dst + i);
            Vector512.Store(Vector512.Load(dst + i + 8) + Vector512.WidenUpper(v), dst + i + 8);
        }

        for (; i < length; i++)
        {
            dst[i] += src[i];
        }
    }

    /// <inheritdoc />
    public static double Sum(float* p, int length)
    {
        Vector512<double> s0 = Vector512<double>.Zero, s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i <= length - 32; i += 32)
        {
            Vector512<float> v = Vector512.Load(p + i);
            Vector512<float> w = Vector512.Load(p + i + 16);
            s0 += Vector512.WidenLower(v);
            s1 += Vector512.WidenUpper(v);
            s2 += Vector512.WidenLower(w);
            s3 += Vector512.WidenUpper(w);
        }

        double sum = SumLanes((s0 + s1) + (s2 + s3));
        for (; i < length; i++)
        {
            sum += p[i];
        }

        return sum;
    }

    /// <inheritdoc />
    public static double SquaredDeviations(float* p, int length, double mean)
    {
        Vector512<double> m = Vector512.Create(mean);
        Vector512<double> s0 = Vector512<double>.Zero, s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i <= length - 32; i += 32)
        {
            Vector512<float> v = Vector512.Load(p + i);
            Vector512<float> w = Vector512.Load(p + i + 16);
            Vector512<double> d0 = Vector512.WidenLower(v) - m;
            Vector512<double> d1 = Vector512.WidenUpper(v) - m;
            Vector512<double> d2 = Vector512.WidenLower(w) - m;
            Vector512<double> d3 = Vector512.WidenUpper(w) - m;
            s0 = Vector512.FusedMultiplyAdd(d0, d0, s0);
            s1 = Vector512.FusedMultiplyAdd(d1, d1, s1);
            s2 = Vector512.FusedMultiplyAdd(d2, d2, s2);
            s3 = Vector512.FusedMultiplyAdd(d3, d3, s3);
        }

        double sum = SumLanes((s0 + s1) + (s2 + s3));
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
        for (; i <= length - 16; i += 16)
        {
            Vector512<float> v = Vector512.Load(row + i);
            Vector512<double> d0 = Vector512.WidenLower(v) - Vector512.Load(mean + i);
            Vector512<double> d1 = Vector512.WidenUpper(v) - Vector512.Load(mean + i + 8);
            Vector512.Store(Vector512.FusedMultiplyAdd(d0, d0, Vector512.Load(m2 + i)), m2 + i);
            Vector512.Store(Vector512.FusedMultiplyAdd(d1, d1, Vector512.Load(m2 + i + 8)), m2 + i + 8);
        }

        for (; i < length; i++)
        {
            double d = row[i] - mean[i];
            m2[i] += d * d;
        }
    }

    /// <summary><c>v &lt; 0 ? 0 : v</c> per lane: NaN stays NaN, as in PyTorch and the scalar path.</summary>
    private static Vector512<float> Relu(Vector512<float> v) =>
        Vector512.ConditionalSelect(Vector512.LessThan(v, Vector512<float>.Zero), Vector512<float>.Zero, v);

    /// <summary>Lanes added pairwise in a fixed order.</summary>
    private static double SumLanes(Vector512<double> s) =>
        ((s.GetElement(0) + s.GetElement(1)) + (s.GetElement(2) + s.GetElement(3)))
        + ((s.GetElement(4) + s.GetElement(5)) + (s.GetElement(6) + s.GetElement(7)));

    /// <summary>8 x 16 micro-tiles, <paramref name="tiles"/> of them side by side (see <see cref="IGemmPath.MicroTile"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile8x16(int tiles, float* a, nint* rowOffsets, nint columnStride, float* b, int* bOffsets, int depth, float* c, nint ldc, bool accumulate)
    {
        float* p0 = a + rowOffsets[0];
        float* p1 = a + rowOffsets[1];
        float* p2 = a + rowOffsets[2];
        float* p3 = a + rowOffsets[3];
        float* p4 = a + rowOffsets[4];
        float* p5 = a + rowOffsets[5];
        float* p6 = a + rowOffsets[6];
        float* p7 = a + rowOffsets[7];
        for (int t = 0; t < tiles; t++, b += 16, c += 16)
        {
            Vector512<float> c00, c10, c20, c30, c40, c50, c60, c70;
            if (accumulate)
            {
                c00 = Vector512.Load(c);
                c10 = Vector512.Load(c + (1 * ldc));
                c20 = Vector512.Load(c + (2 * ldc));
                c30 = Vector512.Load(c + (3 * ldc));
                c40 = Vector512.Load(c + (4 * ldc));
                c50 = Vector512.Load(c + (5 * ldc));
                c60 = Vector512.Load(c + (6 * ldc));
                c70 = Vector512.Load(c + (7 * ldc));
            }
            else
            {
                c00 = c10 = c20 = c30 = c40 = c50 = c60 = c70 = Vector512<float>.Zero;
            }

            nint kk = 0;
            for (int k = 0; k < depth; k++, kk += columnStride)
            {
                float* bp = b + bOffsets[k];
                Vector512<float> b0 = Vector512.Load(bp);
                Vector512<float> av = Vector512.Create(p0[kk]);
                c00 = Vector512.FusedMultiplyAdd(av, b0, c00);
                av = Vector512.Create(p1[kk]);
                c10 = Vector512.FusedMultiplyAdd(av, b0, c10);
                av = Vector512.Create(p2[kk]);
                c20 = Vector512.FusedMultiplyAdd(av, b0, c20);
                av = Vector512.Create(p3[kk]);
                c30 = Vector512.FusedMultiplyAdd(av, b0, c30);
                av = Vector512.Create(p4[kk]);
                c40 = Vector512.FusedMultiplyAdd(av, b0, c40);
                av = Vector512.Create(p5[kk]);
                c50 = Vector512.FusedMultiplyAdd(av, b0, c50);
                av = Vector512.Create(p6[kk]);
                c60 = Vector512.FusedMultiplyAdd(av, b0, c60);
                av = Vector512.Create(p7[kk]);
                c70 = Vector512.FusedMultiplyAdd(av, b0, c70);
            }

            float* cr = c;
            Vector512.Store(c00, cr);
            cr += ldc;
            Vector512.Store(c10, cr);
            cr += ldc;
            Vector512.Store(c20, cr);
            cr += ldc;
            Vector512.Store(c30, cr);
            cr += ldc;
            Vector512.Store(c40, cr);
            cr += ldc;
            Vector512.Store(c50, cr);
            cr += ldc;
            Vector512.Store(c60, cr);
            cr += ldc;
            Vector512.Store(c70, cr);
        }
    }

    /// <summary>8 x 32 micro-tiles, <paramref name="tiles"/> of them side by side (see <see cref="IGemmPath.MicroTile"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile8x32(int tiles, float* a, nint* rowOffsets, nint columnStride, float* b, int* bOffsets, int depth, float* c, nint ldc, bool accumulate)
    {
        float* p0 = a + rowOffsets[0];
        float* p1 = a + rowOffsets[1];
        float* p2 = a + rowOffsets[2];
        float* p3 = a + rowOffsets[3];
        float* p4 = a + rowOffsets[4];
        float* p5 = a + rowOffsets[5];
        float* p6 = a + rowOffsets[6];
        float* p7 = a + rowOffsets[7];
        for (int t = 0; t < tiles; t++, b += 32, c += 32)
        {
            Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
            if (accumulate)
            {
                c00 = Vector512.Load(c);
                c01 = Vector512.Load(c + 16);
                c10 = Vector512.Load(c + (1 * ldc));
                c11 = Vector512.Load(c + (1 * ldc) + 16);
                c20 = Vector512.Load(c + (2 * ldc));
                c21 = Vector512.Load(c + (2 * ldc) + 16);
                c30 = Vector512.Load(c + (3 * ldc));
                c31 = Vector512.Load(c + (3 * ldc) + 16);
                c40 = Vector512.Load(c + (4 * ldc));
                c41 = Vector512.Load(c + (4 * ldc) + 16);
                c50 = Vector512.Load(c + (5 * ldc));
                c51 = Vector512.Load(c + (5 * ldc) + 16);
                c60 = Vector512.Load(c + (6 * ldc));
                c61 = Vector512.Load(c + (6 * ldc) + 16);
                c70 = Vector512.Load(c + (7 * ldc));
                c71 = Vector512.Load(c + (7 * ldc) + 16);
            }
            else
            {
                c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = Vector512<float>.Zero;
            }

            nint kk = 0;
            for (int k = 0; k < depth; k++, kk += columnStride)
            {
                float* bp = b + bOffsets[k];
                Vector512<float> b0 = Vector512.Load(bp);
                Vector512<float> b1 = Vector512.Load(bp + 16);
                Vector512<float> av = Vector512.Create(p0[kk]);
                c00 = Vector512.FusedMultiplyAdd(av, b0, c00); c01 = Vector512.FusedMultiplyAdd(av, b1, c01);
                av = Vector512.Create(p1[kk]);
                c10 = Vector512.FusedMultiplyAdd(av, b0, c10); c11 = Vector512.FusedMultiplyAdd(av, b1, c11);
                av = Vector512.Create(p2[kk]);
                c20 = Vector512.FusedMultiplyAdd(av, b0, c20); c21 = Vector512.FusedMultiplyAdd(av, b1, c21);
                av = Vector512.Create(p3[kk]);
                c30 = Vector512.FusedMultiplyAdd(av, b0, c30); c31 = Vector512.FusedMultiplyAdd(av, b1, c31);
                av = Vector512.Create(p4[kk]);
                c40 = Vector512.FusedMultiplyAdd(av, b0, c40); c41 = Vector512.FusedMultiplyAdd(av, b1, c41);
                av = Vector512.Create(p5[kk]);
                c50 = Vector512.FusedMultiplyAdd(av, b0, c50); c51 = Vector512.FusedMultiplyAdd(av, b1, c51);
                av = Vector512.Create(p6[kk]);
                c60 = Vector512.FusedMultiplyAdd(av, b0, c60); c61 = Vector512.FusedMultiplyAdd(av, b1, c61);
                av = Vector512.Create(p7[kk]);
                c70 = Vector512.FusedMultiplyAdd(av, b0, c70); c71 = Vector512.FusedMultiplyAdd(av, b1, c71);
            }

            float* cr = c;
            Vector512.Store(c00, cr);
            Vector512.Store(c01, cr + 16);
            cr += ldc;
            Vector512.Store(c10, cr);
            Vector512.Store(c11, cr + 16);
            cr += ldc;
            Vector512.Store(c20, cr);
            Vector512.Store(c21, cr + 16);
            cr += ldc;
            Vector512.Store(c30, cr);
            Vector512.Store(c31, cr + 16);
            cr += ldc;
            Vector512.Store(c40, cr);
            Vector512.Store(c41, cr + 16);
            cr += ldc;
            Vector512.Store(c50, cr);
            Vector512.Store(c51, cr + 16);
            cr += ldc;
            Vector512.Store(c60, cr);
            Vector512.Store(c61, cr + 16);
            cr += ldc;
            Vector512.Store(c70, cr);
            Vector512.Store(c71, cr + 16);
        }
    }

    /// <summary>8 x 48 micro-tiles, <paramref name="tiles"/> of them side by side (see <see cref="IGemmPath.MicroTile"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile8x48(int tiles, float* a, nint* rowOffsets, nint columnStride, float* b, int* bOffsets, int depth, float* c, nint ldc, bool accumulate)
    {
        float* p0 = a + rowOffsets[0];
        float* p1 = a + rowOffsets[1];
        float* p2 = a + rowOffsets[2];
        float* p3 = a + rowOffsets[3];
        float* p4 = a + rowOffsets[4];
        float* p5 = a + rowOffsets[5];
        float* p6 = a + rowOffsets[6];
        float* p7 = a + rowOffsets[7];
        for (int t = 0; t < tiles; t++, b += 48, c += 48)
        {
            Vector512<float> c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32, c40, c41, c42, c50, c51, c52, c60, c61, c62, c70, c71, c72;
            if (accumulate)
            {
                c00 = Vector512.Load(c);
                c01 = Vector512.Load(c + 16);
                c02 = Vector512.Load(c + 32);
                c10 = Vector512.Load(c + (1 * ldc));
                c11 = Vector512.Load(c + (1 * ldc) + 16);
                c12 = Vector512.Load(c + (1 * ldc) + 32);
                c20 = Vector512.Load(c + (2 * ldc));
                c21 = Vector512.Load(c + (2 * ldc) + 16);
                c22 = Vector512.Load(c + (2 * ldc) + 32);
                c30 = Vector512.Load(c + (3 * ldc));
                c31 = Vector512.Load(c + (3 * ldc) + 16);
                c32 = Vector512.Load(c + (3 * ldc) + 32);
                c40 = Vector512.Load(c + (4 * ldc));
                c41 = Vector512.Load(c + (4 * ldc) + 16);
                c42 = Vector512.Load(c + (4 * ldc) + 32);
                c50 = Vector512.Load(c + (5 * ldc));
                c51 = Vector512.Load(c + (5 * ldc) + 16);
                c52 = Vector512.Load(c + (5 * ldc) + 32);
                c60 = Vector512.Load(c + (6 * ldc));
                c61 = Vector512.Load(c + (6 * ldc) + 16);
                c62 = Vector512.Load(c + (6 * ldc) + 32);
                c70 = Vector512.Load(c + (7 * ldc));
                c71 = Vector512.Load(c + (7 * ldc) + 16);
                c72 = Vector512.Load(c + (7 * ldc) + 32);
            }
            else
            {
                c00 = c01 = c02 = c10 = c11 = c12 = c20 = c21 = c22 = c30 = c31 = c32 = c40 = c41 = c42 = c50 = c51 = c52 = c60 = c61 = c62 = c70 = c71 = c72 = Vector512<float>.Zero;
            }

            nint kk = 0;
            for (int k = 0; k < depth; k++, kk += columnStride)
            {
                float* bp = b + bOffsets[k];
                Vector512<float> b0 = Vector512.Load(bp);
                Vector512<float> b1 = Vector512.Load(bp + 16);
                Vector512<float> b2 = Vector512.Load(bp + 32);
                Vector512<float> av = Vector512.Create(p0[kk]);
                c00 = Vector512.FusedMultiplyAdd(av, b0, c00); c01 = Vector512.FusedMultiplyAdd(av, b1, c01); c02 = Vector512.FusedMultiplyAdd(av, b2, c02);
                av = Vector512.Create(p1[kk]);
                c10 = Vector512.FusedMultiplyAdd(av, b0, c10); c11 = Vector512.FusedMultiplyAdd(av, b1, c11); c12 = Vector512.FusedMultiplyAdd(av, b2, c12);
                av = Vector512.Create(p2[kk]);
                c20 = Vector512.FusedMultiplyAdd(av, b0, c20); c21 = Vector512.FusedMultiplyAdd(av, b1, c21); c22 = Vector512.FusedMultiplyAdd(av, b2, c22);
                av = Vector512.Create(p3[kk]);
                c30 = Vector512.FusedMultiplyAdd(av, b0, c30); c31 = Vector512.FusedMultiplyAdd(av, b1, c31); c32 = Vector512.FusedMultiplyAdd(av, b2, c32);
                av = Vector512.Create(p4[kk]);
                c40 = Vector512.FusedMultiplyAdd(av, b0, c40); c41 = Vector512.FusedMultiplyAdd(av, b1, c41); c42 = Vector512.FusedMultiplyAdd(av, b2, c42);
                av = Vector512.Create(p5[kk]);
                c50 = Vector512.FusedMultiplyAdd(av, b0, c50); c51 = Vector512.FusedMultiplyAdd(av, b1, c51); c52 = Vector512.FusedMultiplyAdd(av, b2, c52);
                av = Vector512.Create(p6[kk]);
                c60 = Vector512.FusedMultiplyAdd(av, b0, c60); c61 = Vector512.FusedMultiplyAdd(av, b1, c61); c62 = Vector512.FusedMultiplyAdd(av, b2, c62);
                av = Vector512.Create(p7[kk]);
                c70 = Vector512.FusedMultiplyAdd(av, b0, c70); c71 = Vector512.FusedMultiplyAdd(av, b1, c71); c72 = Vector512.FusedMultiplyAdd(av, b2, c72);
            }

            float* cr = c;
            Vector512.Store(c00, cr);
            Vector512.Store(c01, cr + 16);
            Vector512.Store(c02, cr + 32);
            cr += ldc;
            Vector512.Store(c10, cr);
            Vector512.Store(c11, cr + 16);
            Vector512.Store(c12, cr + 32);
            cr += ldc;
            Vector512.Store(c20, cr);
            Vector512.Store(c21, cr + 16);
            Vector512.Store(c22, cr + 32);
            cr += ldc;
            Vector512.Store(c30, cr);
            Vector512.Store(c31, cr + 16);
            Vector512.Store(c32, cr + 32);
            cr += ldc;
            Vector512.Store(c40, cr);
            Vector512.Store(c41, cr + 16);
            Vector512.Store(c42, cr + 32);
            cr += ldc;
            Vector512.Store(c50, cr);
            Vector512.Store(c51, cr + 16);
            Vector512.Store(c52, cr + 32);
            cr += ldc;
            Vector512.Store(c60, cr);
            Vector512.Store(c61, cr + 16);
            Vector512.Store(c62, cr + 32);
            cr += ldc;
            Vector512.Store(c70, cr);
            Vector512.Store(c71, cr + 16);
            Vector512.Store(c72, cr + 32);
        }
    }
}
