using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FusedLayers.Kernels;

/// <summary>The element-wise and reduction loops of <see cref="RowNormKernels"/>, one per ISA path.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // for generated code; out of IntelliSense
public static partial class RowNormKernels
{
    /// <summary>
    /// Loops over one row or plane with a Vector512 path, a Vector256 + FMA path and a scalar path; vector
    /// loops stop at the last full vector and the rest runs in scalar code, so every element is handled once.
    /// Reductions keep float32 vector partial sums, combined (and the tail added) in float64.
    /// </summary>
    private static class RowOps
    {
        /// <summary><c>y = (x - mu) * s + t</c>. <paramref name="y"/> may alias <paramref name="x"/>.</summary>
        public static void NormalizePlane(KernelIsa isa, ReadOnlySpan<float> x, float mu, float s, float t, Span<float> y)
        {
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float yr = ref MemoryMarshal.GetReference(y);
            int n = x.Length;
            int i = 0;
            if (isa == KernelIsa.Avx512)
            {
                Vector512<float> vmu = Vector512.Create(mu), vs = Vector512.Create(s), vt = Vector512.Create(t);
                for (; i <= n - 16; i += 16)
                {
                    Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xr, (nuint)i) - vmu, vs, vt).StoreUnsafe(ref yr, (nuint)i);
                }
            }
            else if (isa == KernelIsa.Avx2)
            {
                Vector256<float> vmu = Vector256.Create(mu), vs = Vector256.Create(s), vt = Vector256.Create(t);
                for (; i <= n - 8; i += 8)
                {
                    Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)i) - vmu, vs, vt).StoreUnsafe(ref yr, (nuint)i);
                }
            }

            for (; i < n; i++)
            {
                Unsafe.Add(ref yr, i) = MathF.FusedMultiplyAdd(Unsafe.Add(ref xr, i) - mu, s, t);
            }
        }

        /// <summary>
        /// <c>y = (x - mu) * inv * gamma + beta</c> element-wise over a row (gamma empty: 1, beta empty: 0).
        /// <paramref name="y"/> may alias <paramref name="x"/>.
        /// </summary>
        public static void NormalizeRow(
            KernelIsa isa, ReadOnlySpan<float> x, float mu, float inv, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y)
        {
            if (gamma.IsEmpty)
            {
                NormalizePlane(isa, x, mu, inv, 0f, y);
                return;
            }

            bool withBeta = !beta.IsEmpty;
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float gr = ref MemoryMarshal.GetReference(gamma);
            ref float br = ref MemoryMarshal.GetReference(withBeta ? beta : gamma);
            ref float yr = ref MemoryMarshal.GetReference(y);
            int n = x.Length;
            int i = 0;
            if (isa == KernelIsa.Avx512)
            {
                Vector512<float> vmu = Vector512.Create(mu), vinv = Vector512.Create(inv);
                for (; i <= n - 16; i += 16)
                {
                    Vector512<float> xhat = (Vector512.LoadUnsafe(ref xr, (nuint)i) - vmu) * vinv;
                    Vector512<float> g = Vector512.LoadUnsafe(ref gr, (nuint)i);
                    (withBeta ? Vector512.FusedMultiplyAdd(xhat, g, Vector512.LoadUnsafe(ref br, (nuint)i)) : xhat * g).StoreUnsafe(ref yr, (nuint)i);
                }
            }
            else if (isa == KernelIsa.Avx2)
            {
                Vector256<float> vmu = Vector256.Create(mu), vinv = Vector256.Create(inv);
                for (; i <= n - 8; i += 8)
                {
                    Vector256<float> xhat = (Vector256.LoadUnsafe(ref xr, (nuint)i) - vmu) * vinv;
                    Vector256<float> g = Vector256.LoadUnsafe(ref gr, (nuint)i);
                    (withBeta ? Vector256.FusedMultiplyAdd(xhat, g, Vector256.LoadUnsafe(ref br, (nuint)i)) : xhat * g).StoreUnsafe(ref yr, (nuint)i);
                }
            }

            for (; i < n; i++)
            {
                float xhat = (Unsafe.Add(ref xr, i) - mu) * inv;
                float g = Unsafe.Add(ref gr, i);
                Unsafe.Add(ref yr, i) = withBeta ? MathF.FusedMultiplyAdd(xhat, g, Unsafe.Add(ref br, i)) : xhat * g;
            }
        }

        /// <summary><c>(sum gamma * dy, sum gamma * dy * (x - mu))</c> over a row.</summary>
        public static (double SumGDy, double SumGDyCentered) WeightedSums(
            KernelIsa isa, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float mu, ReadOnlySpan<float> gamma)
        {
            ref float dyr = ref MemoryMarshal.GetReference(dy);
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float gr = ref MemoryMarshal.GetReference(gamma);
            int n = dy.Length;
            int i = 0;
            double sum = 0, sumCentered = 0;
            if (isa == KernelIsa.Avx512)
            {
                Vector512<float> vmu = Vector512.Create(mu), a = Vector512<float>.Zero, b = Vector512<float>.Zero;
                for (; i <= n - 16; i += 16)
                {
                    Vector512<float> g = Vector512.LoadUnsafe(ref gr, (nuint)i) * Vector512.LoadUnsafe(ref dyr, (nuint)i);
                    a += g;
                    b = Vector512.FusedMultiplyAdd(g, Vector512.LoadUnsafe(ref xr, (nuint)i) - vmu, b);
                }

                sum = SumLanes(a);
                sumCentered = SumLanes(b);
            }
            else if (isa == KernelIsa.Avx2)
            {
                Vector256<float> vmu = Vector256.Create(mu), a = Vector256<float>.Zero, b = Vector256<float>.Zero;
                for (; i <= n - 8; i += 8)
                {
                    Vector256<float> g = Vector256.LoadUnsafe(ref gr, (nuint)i) * Vector256.LoadUnsafe(ref dyr, (nuint)i);
                    a += g;
                    b = Vector256.FusedMultiplyAdd(g, Vector256.LoadUnsafe(ref xr, (nuint)i) - vmu, b);
                }

                sum = SumLanes(a);
                sumCentered = SumLanes(b);
            }

            for (; i < n; i++)
            {
                double g = (double)Unsafe.Add(ref gr, i) * Unsafe.Add(ref dyr, i);
                sum += g;
                sumCentered += g * (Unsafe.Add(ref xr, i) - mu);
            }

            return (sum, sumCentered);
        }

        /// <summary><c>dx = a * gamma * dy + b + c * (x - mu)</c> over a row.</summary>
        public static void WeightedInputGradient(
            KernelIsa isa, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float mu, ReadOnlySpan<float> gamma, float a, float b, float c, Span<float> dx)
        {
            ref float dyr = ref MemoryMarshal.GetReference(dy);
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float gr = ref MemoryMarshal.GetReference(gamma);
            ref float dxr = ref MemoryMarshal.GetReference(dx);
            int n = dy.Length;
            int i = 0;
            if (isa == KernelIsa.Avx512)
            {
                Vector512<float> vmu = Vector512.Create(mu), va = Vector512.Create(a), vb = Vector512.Create(b), vc = Vector512.Create(c);
                for (; i <= n - 16; i += 16)
                {
                    Vector512<float> g = Vector512.LoadUnsafe(ref gr, (nuint)i) * Vector512.LoadUnsafe(ref dyr, (nuint)i);
                    Vector512<float> centered = Vector512.LoadUnsafe(ref xr, (nuint)i) - vmu;
                    Vector512.FusedMultiplyAdd(g, va, Vector512.FusedMultiplyAdd(centered, vc, vb)).StoreUnsafe(ref dxr, (nuint)i);
                }
            }
            else if (isa == KernelIsa.Avx2)
            {
                Vector256<float> vmu = Vector256.Create(mu), va = Vector256.Create(a), vb = Vector256.Create(b), vc = Vector256.Create(c);
                for (; i <= n - 8; i += 8)
                {
                    Vector256<float> g = Vector256.LoadUnsafe(ref gr, (nuint)i) * Vector256.LoadUnsafe(ref dyr, (nuint)i);
                    Vector256<float> centered = Vector256.LoadUnsafe(ref xr, (nuint)i) - vmu;
                    Vector256.FusedMultiplyAdd(g, va, Vector256.FusedMultiplyAdd(centered, vc, vb)).StoreUnsafe(ref dxr, (nuint)i);
                }
            }

            for (; i < n; i++)
            {
                float g = Unsafe.Add(ref gr, i) * Unsafe.Add(ref dyr, i);
                Unsafe.Add(ref dxr, i) = MathF.FusedMultiplyAdd(g, a, MathF.FusedMultiplyAdd(Unsafe.Add(ref xr, i) - mu, c, b));
            }
        }

        /// <summary>
        /// Column accumulation for one row stretch: <c>sumDyXhat += dy * (x - mu) * inv</c> and, when
        /// <paramref name="sumDy"/> is not empty, <c>sumDy += dy</c>.
        /// </summary>
        public static void AccumulateColumns(
            KernelIsa isa, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float mu, float inv, Span<float> sumDyXhat, Span<float> sumDy)
        {
            bool withSumDy = !sumDy.IsEmpty;
            ref float dyr = ref MemoryMarshal.GetReference(dy);
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float sxr = ref MemoryMarshal.GetReference(sumDyXhat);
            ref float sdr = ref MemoryMarshal.GetReference(withSumDy ? sumDy : sumDyXhat);
            int n = dy.Length;
            int i = 0;
            if (isa == KernelIsa.Avx512)
            {
                Vector512<float> vmu = Vector512.Create(mu), vinv = Vector512.Create(inv);
                for (; i <= n - 16; i += 16)
                {
                    Vector512<float> g = Vector512.LoadUnsafe(ref dyr, (nuint)i);
                    Vector512<float> xhat = (Vector512.LoadUnsafe(ref xr, (nuint)i) - vmu) * vinv;
                    Vector512.FusedMultiplyAdd(g, xhat, Vector512.LoadUnsafe(ref sxr, (nuint)i)).StoreUnsafe(ref sxr, (nuint)i);
                    if (withSumDy)
                    {
                        (Vector512.LoadUnsafe(ref sdr, (nuint)i) + g).StoreUnsafe(ref sdr, (nuint)i);
                    }
                }
            }
            else if (isa == KernelIsa.Avx2)
            {
                Vector256<float> vmu = Vector256.Create(mu), vinv = Vector256.Create(inv);
                for (; i <= n - 8; i += 8)
                {
                    Vector256<float> g = Vector256.LoadUnsafe(ref dyr, (nuint)i);
                    Vector256<float> xhat = (Vector256.LoadUnsafe(ref xr, (nuint)i) - vmu) * vinv;
                    Vector256.FusedMultiplyAdd(g, xhat, Vector256.LoadUnsafe(ref sxr, (nuint)i)).StoreUnsafe(ref sxr, (nuint)i);
                    if (withSumDy)
                    {
                        (Vector256.LoadUnsafe(ref sdr, (nuint)i) + g).StoreUnsafe(ref sdr, (nuint)i);
                    }
                }
            }

            for (; i < n; i++)
            {
                float g = Unsafe.Add(ref dyr, i);
                float xhat = (Unsafe.Add(ref xr, i) - mu) * inv;
                Unsafe.Add(ref sxr, i) = MathF.FusedMultiplyAdd(g, xhat, Unsafe.Add(ref sxr, i));
                if (withSumDy)
                {
                    Unsafe.Add(ref sdr, i) += g;
                }
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
}
