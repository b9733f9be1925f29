using System.Runtime.Intrinsics;

namespace FusedLayers.Kernels;

/// <summary>Global average pooling of one plane, per ISA path.</summary>
public static unsafe partial class PoolKernels
{
    /// <summary>
    /// Sum of one plane: two float32 vector accumulators on the vector paths (lanes combined in float64, tail in
    /// float64), float64 on the scalar path.
    /// </summary>
    private static double PlaneSum(KernelIsa isa, float* x, int length)
    {
        int i = 0;
        double total = 0;
        if (isa == KernelIsa.Avx512)
        {
            Vector512<float> a0 = Vector512<float>.Zero, a1 = Vector512<float>.Zero;
            for (; i <= length - 32; i += 32)
            {
                a0 += Vector512.Load(x + i);
                a1 += Vector512.Load(x + i + 16);
            }

            for (; i <= length - 16; i += 16)
            {
                a0 += Vector512.Load(x + i);
            }

            total = SumLanes(a0) + SumLanes(a1);
        }
        else if (isa == KernelIsa.Avx2)
        {
            Vector256<float> a0 = Vector256<float>.Zero, a1 = Vector256<float>.Zero;
            for (; i <= length - 16; i += 16)
            {
                a0 += Vector256.Load(x + i);
                a1 += Vector256.Load(x + i + 8);
            }

            for (; i <= length - 8; i += 8)
            {
                a0 += Vector256.Load(x + i);
            }

            total = SumLanes(a0) + SumLanes(a1);
        }

        for (; i < length; i++)
        {
            total += x[i];
        }

        return total;
    }

    /// <summary>Writes <paramref name="value"/> to every element of one plane.</summary>
    private static void FillPlane(KernelIsa isa, float* x, int length, float value)
    {
        int i = 0;
        if (isa == KernelIsa.Avx512)
        {
            Vector512<float> v = Vector512.Create(value);
            for (; i <= length - 16; i += 16)
            {
                v.Store(x + i);
            }
        }
        else if (isa == KernelIsa.Avx2)
        {
            Vector256<float> v = Vector256.Create(value);
            for (; i <= length - 8; i += 8)
            {
                v.Store(x + i);
            }
        }

        for (; i < length; i++)
        {
            x[i] = value;
        }
    }

    private static double SumLanes(Vector512<float> v)
    {
        double total = 0;
        for (int i = 0; i < Vector512<float>.Count; i++)
        {
            total += v.GetElement(i);
        }

        return total;
    }

    private static double SumLanes(Vector256<float> v)
    {
        double total = 0;
        for (int i = 0; i < Vector256<float>.Count; i++)
        {
            total += v.GetElement(i);
        }

        return total;
    }
}
