using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedLayers.Kernels.Gemm;

/// <summary>
/// Out-of-place transpose used to pack operands (<c>W^T</c> of a linear layer, the output gradient of a
/// convolution laid out position-major): 8 x 8 blocks transposed in registers with AVX (unpack, shuffle,
/// 128-bit permute: 24 shuffles per 64 floats, about 3x faster than scalar strided stores), scalar edges.
/// </summary>
internal static unsafe class Transposer
{
    /// <summary>
    /// <c>dst[j * dstStride + i] = src[i * srcStride + j]</c> for <c>i &lt; rows</c>, <c>j &lt; columns</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose(float* src, nint srcStride, float* dst, nint dstStride, int rows, int columns)
    {
        int i = 0;
        if (Avx.IsSupported)
        {
            for (; i <= rows - 8; i += 8)
            {
                int j = 0;
                for (; j <= columns - 8; j += 8)
                {
                    Block8x8(src + (i * srcStride) + j, srcStride, dst + (j * dstStride) + i, dstStride);
                }

                Scalar(src + (i * srcStride), srcStride, dst + i, dstStride, 8, j, columns);
            }
        }

        if (i < rows)
        {
            Scalar(src + (i * srcStride), srcStride, dst + i, dstStride, rows - i, 0, columns);
        }
    }

    private static void Scalar(float* src, nint srcStride, float* dst, nint dstStride, int rows, int columnStart, int columnEnd)
    {
        for (int j = columnStart; j < columnEnd; j++)
        {
            float* d = dst + (j * dstStride);
            for (int r = 0; r < rows; r++)
            {
                d[r] = src[(r * srcStride) + j];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block8x8(float* src, nint srcStride, float* dst, nint dstStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(src);
        Vector256<float> r1 = Avx.LoadVector256(src + srcStride);
        Vector256<float> r2 = Avx.LoadVector256(src + (2 * srcStride));
        Vector256<float> r3 = Avx.LoadVector256(src + (3 * srcStride));
        Vector256<float> r4 = Avx.LoadVector256(src + (4 * srcStride));
        Vector256<float> r5 = Avx.LoadVector256(src + (5 * srcStride));
        Vector256<float> r6 = Avx.LoadVector256(src + (6 * srcStride));
        Vector256<float> r7 = Avx.LoadVector256(src + (7 * srcStride));

        Vector256<float> t0 = Avx.UnpackLow(r0, r1);
        Vector256<float> t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3);
        Vector256<float> t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5);
        Vector256<float> t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7);
        Vector256<float> t7 = Avx.UnpackHigh(r6, r7);

        Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44);
        Vector256<float> s1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> s2 = Avx.Shuffle(t1, t3, 0x44);
        Vector256<float> s3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44);
        Vector256<float> s5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> s6 = Avx.Shuffle(t5, t7, 0x44);
        Vector256<float> s7 = Avx.Shuffle(t5, t7, 0xEE);

        Avx.Store(dst, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(dst + (2 * dstStride), Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(dst + (3 * dstStride), Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(dst + (4 * dstStride), Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(dst + (5 * dstStride), Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(dst + (6 * dstStride), Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(dst + (7 * dstStride), Avx.Permute2x128(s3, s7, 0x31));
    }
}
