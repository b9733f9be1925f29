using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FusedLayers.Kernels;

/// <summary>
/// Per-plane element-wise operations behind the BatchNorm and ReLU kernels, one method per ISA path
/// (Vector512, Vector256, scalar). Element-wise ops finish with a scalar tail; reductions keep vector
/// partial sums and add the tail in scalar code, so no element is counted twice.
/// </summary>
internal static class PlaneOps
{
    /// <summary><c>y = x * s + t</c>, then ReLU when asked. <paramref name="y"/> may alias <paramref name="x"/>.</summary>
    public static void Affine(KernelIsa isa, ReadOnlySpan<float> x, float s, float t, bool relu, Span<float> y)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int n = x.Length;
        int i = 0;
        if (isa == KernelIsa.Avx512)
        {
            Vector512<float> vs = Vector512.Create(s), vt = Vector512.Create(t);
            for (; i <= n - 16; i += 16)
            {
                Vector512<float> v = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xr, (nuint)i), vs, vt);
                (relu ? Vector512.Max(v, Vector512<float>.Zero) : v).StoreUnsafe(ref yr, (nuint)i);
            }
        }
        else if (isa == KernelIsa.Avx2)
        {
            Vector256<float> vs = Vector256.Create(s), vt = Vector256.Create(t);
            for (; i <= n - 8; i += 8)
            {
                Vector256<float> v = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)i), vs, vt);
                (relu ? Vector256.Max(v, Vector256<float>.Zero) : v).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            float v = MathF.FusedMultiplyAdd(Unsafe.Add(ref xr, i), s, t);
            Unsafe.Add(ref yr, i) = relu && v < 0f ? 0f : v;
        }
    }

    /// <summary>
    /// <c>y[c] = x[c] * scale[c] + shift[c]</c> (+ ReLU) across the channels of one row (one value per
    /// channel, as after a linear layer).
    /// </summary>
    public static void AffineRow(KernelIsa isa, ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, bool relu, Span<float> y)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float sr = ref MemoryMarshal.GetReference(scale);
        ref float tr = ref MemoryMarshal.GetReference(shift);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int n = x.Length;
        int i = 0;
        if (isa == KernelIsa.Avx512)
        {
            for (; i <= n - 16; i += 16)
            {
                Vector512<float> v = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xr, (nuint)i), Vector512.LoadUnsafe(ref sr, (nuint)i), Vector512.LoadUnsafe(ref tr, (nuint)i));
                (relu ? Vector512.Max(v, Vector512<float>.Zero) : v).StoreUnsafe(ref yr, (nuint)i);
            }
        }
        else if (isa == KernelIsa.Avx2)
        {
            for (; i <= n - 8; i += 8)
            {
                Vector256<float> v = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)i), Vector256.LoadUnsafe(ref sr, (nuint)i), Vector256.LoadUnsafe(ref tr, (nuint)i));
                (relu ? Vector256.Max(v, Vector256<float>.Zero) : v).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            float v = MathF.FusedMultiplyAdd(Unsafe.Add(ref xr, i), Unsafe.Add(ref sr, i), Unsafe.Add(ref tr, i));
            Unsafe.Add(ref yr, i) = relu && v < 0f ? 0f : v;
        }
    }

    /// <summary>
    /// Mean and sum of squared deviations of one plane, stable: the first pass sums <c>x - pivot</c>
    /// (pivot = first element), so a large common offset does not cost digits; the second pass sums
    /// <c>(x - mean)^2</c>. Vector lanes are combined in float64.
    /// </summary>
    public static (double Mean, double M2) Moments(KernelIsa isa, ReadOnlySpan<float> x)
    {
        int n = x.Length;
        if (n == 0)
        {
            return (0, 0);
        }

        float pivot = x[0];
        double shifted = SumShifted(isa, x, pivot, square: false);
        double mean = pivot + (shifted / n);
        double m2 = SumShifted(isa, x, (float)mean, square: true);

        // Deviations were taken from (float)mean, which differs from mean by delta < 1 ulp:
        // sum (x - mean + delta)^2 = M2 + n * delta^2, because sum (x - mean) = 0.
        double delta = mean - (float)mean;
        return (mean, Math.Max(m2 - (n * delta * delta), 0));
    }

    private static double SumShifted(KernelIsa isa, ReadOnlySpan<float> x, float shift, bool square)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        int n = x.Length;
        int i = 0;
        double total = 0;
        if (isa == KernelIsa.Avx512 && n >= 16)
        {
            Vector512<float> vShift = Vector512.Create(shift), acc0 = Vector512<float>.Zero, acc1 = Vector512<float>.Zero;
            for (; i <= n - 32; i += 32)
            {
                Vector512<float> d0 = Vector512.LoadUnsafe(ref xr, (nuint)i) - vShift;
                Vector512<float> d1 = Vector512.LoadUnsafe(ref xr, (nuint)(i + 16)) - vShift;
                acc0 = square ? Vector512.FusedMultiplyAdd(d0, d0, acc0) : acc0 + d0;
                acc1 = square ? Vector512.FusedMultiplyAdd(d1, d1, acc1) : acc1 + d1;
            }

            for (; i <= n - 16; i += 16)
            {
                Vector512<float> d0 = Vector512.LoadUnsafe(ref xr, (nuint)i) - vShift;
                acc0 = square ? Vector512.FusedMultiplyAdd(d0, d0, acc0) : acc0 + d0;
            }

            total = SumLanes(acc0 + acc1);
        }
        else if (isa >= KernelIsa.Avx2 && n >= 8)
        {
            Vector256<float> vShift = Vector256.Create(shift), acc0 = Vector256<float>.Zero, acc1 = Vector256<float>.Zero;
            for (; i <= n - 16; i += 16)
            {
                Vector256<float> d0 = Vector256.LoadUnsafe(ref xr, (nuint)i) - vShift;
                Vector256<float> d1 = Vector256.LoadUnsafe(ref xr, (nuint)(i + 8)) - vShift;
                acc0 = square ? Vector256.FusedMultiplyAdd(d0, d0, acc0) : acc0 + d0;
                acc1 = square ? Vector256.FusedMultiplyAdd(d1, d1, acc1) : acc1 + d1;
            }

            for (; i <= n - 8; i += 8)
            {
                Vector256<float> d0 = Vector256.LoadUnsafe(ref xr, (nuint)i) - vShift;
                acc0 = square ? Vector256.FusedMultiplyAdd(d0, d0, acc0) : acc0 + d0;
            }

            total = SumLanes(acc0 + acc1);
        }

        for (; i < n; i++)
        {
            double d = Unsafe.Add(ref xr, i) - (double)shift;
            total += square ? d * d : d;
        }

        return total;
    }

    /// <summary>
    /// The fused first BatchNorm backward pass over one plane: with the ReLU mask (<c>y &gt; 0</c>, when
    /// <paramref name="y"/> is not empty) applied to <paramref name="dy"/>, returns
    /// <c>(sum dy, sum dy * (x - mu))</c>.
    /// </summary>
    public static (double SumDy, double SumDyCentered) MaskedSums(
        KernelIsa isa, ReadOnlySpan<float> dy, ReadOnlySpan<float> y, ReadOnlySpan<float> x, float mu)
    {
        bool mask = !y.IsEmpty;
        ref float dyr = ref MemoryMarshal.GetReference(dy);
        ref float yr = ref MemoryMarshal.GetReference(mask ? y : dy);
        ref float xr = ref MemoryMarshal.GetReference(x);
        int n = dy.Length;
        int i = 0;
        double sd = 0, sdx = 0;
        if (isa == KernelIsa.Avx512)
        {
            Vector512<float> vmu = Vector512.Create(mu), a0 = Vector512<float>.Zero, b0 = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16)
            {
                Vector512<float> g = Vector512.LoadUnsafe(ref dyr, (nuint)i);
                if (mask)
                {
                    g = Vector512.ConditionalSelect(Vector512.LessThanOrEqual(Vector512.LoadUnsafe(ref yr, (nuint)i), Vector512<float>.Zero), Vector512<float>.Zero, g);
                }

                a0 += g;
                b0 = Vector512.FusedMultiplyAdd(g, Vector512.LoadUnsafe(ref xr, (nuint)i) - vmu, b0);
            }

            sd = SumLanes(a0);
            sdx = SumLanes(b0);
        }
        else if (isa == KernelIsa.Avx2)
        {
            Vector256<float> vmu = Vector256.Create(mu), a0 = Vector256<float>.Zero, b0 = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
            {
                Vector256<float> g = Vector256.LoadUnsafe(ref dyr, (nuint)i);
                if (mask)
                {
                    g = Vector256.ConditionalSelect(Vector256.LessThanOrEqual(Vector256.LoadUnsafe(ref yr, (nuint)i), Vector256<float>.Zero), Vector256<float>.Zero, g);
                }

                a0 += g;
                b0 = Vector256.FusedMultiplyAdd(g, Vector256.LoadUnsafe(ref xr, (nuint)i) - vmu, b0);
            }

            sd = SumLanes(a0);
            sdx = SumLanes(b0);
        }

        for (; i < n; i++)
        {
            float g = mask && Unsafe.Add(ref yr, i) <= 0f ? 0f : Unsafe.Add(ref dyr, i);
            sd += g;
            sdx += g * (double)(Unsafe.Add(ref xr, i) - mu);
        }

        return (sd, sdx);
    }

    /// <summary>
    /// The fused second BatchNorm backward pass over one plane:
    /// <c>dx = a * dy_masked + b + c * (x - mu)</c>.
    /// </summary>
    public static void InputGradient(
        KernelIsa isa, ReadOnlySpan<float> dy, ReadOnlySpan<float> y, ReadOnlySpan<float> x, float mu, float a, float b, float c, Span<float> dx)
    {
        bool mask = !y.IsEmpty;
        ref float dyr = ref MemoryMarshal.GetReference(dy);
        ref float yr = ref MemoryMarshal.GetReference(mask ? y : dy);
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float dxr = ref MemoryMarshal.GetReference(dx);
        int n = dy.Length;
        int i = 0;
        if (isa == KernelIsa.Avx512)
        {
            Vector512<float> vmu = Vector512.Create(mu), va = Vector512.Create(a), vb = Vector512.Create(b), vc = Vector512.Create(c);
            for (; i <= n - 16; i += 16)
            {
                Vector512<float> g = Vector512.LoadUnsafe(ref dyr, (nuint)i);
                if (mask)
                {
                    g = Vector512.ConditionalSelect(Vector512.LessThanOrEqual(Vector512.LoadUnsafe(ref yr, (nuint)i), Vector512<float>.Zero), Vector512<float>.Zero, g);
                }

                Vector512<float> centered = Vector512.LoadUnsafe(ref xr, (nuint)i) - vmu;
                Vector512.FusedMultiplyAdd(g, va, Vector512.FusedMultiplyAdd(centered, vc, vb)).StoreUnsafe(ref dxr, (nuint)i);
            }
        }
        else if (isa == KernelIsa.Avx2)
        {
            Vector256<float> vmu = Vector256.Create(mu), va = Vector256.Create(a), vb = Vector256.Create(b), vc = Vector256.Create(c);
            for (; i <= n - 8; i += 8)
            {
                Vector256<float> g = Vector256.LoadUnsafe(ref dyr, (nuint)i);
                if (mask)
                {
                    g = Vector256.ConditionalSelect(Vector256.LessThanOrEqual(Vector256.LoadUnsafe(ref yr, (nuint)i), Vector256<float>.Zero), Vector256<float>.Zero, g);
                }

                Vector256<float> centered = Vector256.LoadUnsafe(ref xr, (nuint)i) - vmu;
                Vector256.FusedMultiplyAdd(g, va, Vector256.FusedMultiplyAdd(centered, vc, vb)).StoreUnsafe(ref dxr, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            float g = mask && Unsafe.Add(ref yr, i) <= 0f ? 0f : Unsafe.Add(ref dyr, i);
            Unsafe.Add(ref dxr, i) = (g * a) + ((Unsafe.Add(ref xr, i) - mu) * c) + b;
        }
    }

    /// <summary><c>y = max(0, x)</c>.</summary>
    public static void Relu(KernelIsa isa, ReadOnlySpan<float> x, Span<float> y) => Affine(isa, x, 1f, 0f, relu: true, y);

    /// <summary><c>dx = y &gt; 0 ? dy : 0</c>.</summary>
    public static void ReluBackward(KernelIsa isa, ReadOnlySpan<float> dy, ReadOnlySpan<float> y, Span<float> dx)
    {
        ref float dyr = ref MemoryMarshal.GetReference(dy);
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float dxr = ref MemoryMarshal.GetReference(dx);
        int n = dy.Length;
        int i = 0;
        if (isa == KernelIsa.Avx512)
        {
            for (; i <= n - 16; i += 16)
            {
                Vector512<float> g = Vector512.LoadUnsafe(ref dyr, (nuint)i);
                Vector512.ConditionalSelect(Vector512.LessThanOrEqual(Vector512.LoadUnsafe(ref yr, (nuint)i), Vector512<float>.Zero), Vector512<float>.Zero, g)
                    .StoreUnsafe(ref dxr, (nuint)i);
            }
        }
        else if (isa == KernelIsa.Avx2)
        {
            for (; i <= n - 8; i += 8)
            {
                Vector256<float> g = Vector256.LoadUnsafe(ref dyr, (nuint)i);
                Vector256.ConditionalSelect(Vector256.LessThanOrEqual(Vector256.LoadUnsafe(ref yr, (nuint)i), Vector256<float>.Zero), Vector256<float>.Zero, g)
                    .StoreUnsafe(ref dxr, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref dxr, i) = Unsafe.Add(ref yr, i) <= 0f ? 0f : Unsafe.Add(ref dyr, i);
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
