using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FusedLayers.Kernels.Activations;

namespace FusedLayers.Kernels;

/// <summary>
/// The plane/row driver of the activations: <c>f(x * s + t)</c> (or <c>dy * f'(x * s + t)</c>), where
/// <c>s, t</c> are either one pair for the whole span (a channel plane; BatchNorm's scale and shift
/// recomputing the pre-activation, or 1 and 0) or one pair per element (a row of a linear layer's output,
/// one value per channel). The activation is an operator struct (<see cref="IActivationOperator"/>) picked once
/// per call by <see cref="ActivationDispatch"/>; the loop is generic over it, so the JIT compiles one loop per
/// activation with no switch inside.
/// </summary>
internal static class ActivationMath
{
    /// <summary><c>y = f(x * s + t)</c> with one <c>(s, t)</c> per span, or per element when <paramref name="scaleRow"/> is not empty.</summary>
    public static void Forward(
        KernelIsa isa, in Activation activation, ReadOnlySpan<float> x, float s, float t, ReadOnlySpan<float> scaleRow, ReadOnlySpan<float> shiftRow, Span<float> y)
    {
        var loop = new PlaneLoop(isa, activation.NegativeSlope, gradient: false, default, x, s, t, scaleRow, shiftRow, y);
        ActivationDispatch.Run(activation.Kind, ref loop);
    }

    /// <summary><c>dx = dy * f'(x * s + t)</c>, the pre-activation recomputed as in <see cref="Forward"/>.</summary>
    public static void Gradient(
        KernelIsa isa, in Activation activation, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float s, float t,
        ReadOnlySpan<float> scaleRow, ReadOnlySpan<float> shiftRow, Span<float> dx)
    {
        var loop = new PlaneLoop(isa, activation.NegativeSlope, gradient: true, dy, x, s, t, scaleRow, shiftRow, dx);
        ActivationDispatch.Run(activation.Kind, ref loop);
    }

    /// <summary>The operands of one call, handed to the generic loop.</summary>
    private readonly ref struct PlaneLoop : IActivationLoop
    {
        private readonly KernelIsa isa;
        private readonly float alpha;
        private readonly bool gradient;
        private readonly float s;
        private readonly float t;
        private readonly ReadOnlySpan<float> dy;
        private readonly ReadOnlySpan<float> x;
        private readonly ReadOnlySpan<float> scaleRow;
        private readonly ReadOnlySpan<float> shiftRow;
        private readonly Span<float> result;

        public PlaneLoop(
            KernelIsa isa, float alpha, bool gradient, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float s, float t,
            ReadOnlySpan<float> scaleRow, ReadOnlySpan<float> shiftRow, Span<float> result)
        {
            this.isa = isa;
            this.alpha = alpha;
            this.gradient = gradient;
            this.dy = dy;
            this.x = x;
            this.s = s;
            this.t = t;
            this.scaleRow = scaleRow;
            this.shiftRow = shiftRow;
            this.result = result;
        }

        public void Run<TOp>()
            where TOp : struct, IActivationOperator =>
            Loop<TOp>(isa, alpha, gradient, dy, x, s, t, scaleRow, shiftRow, result);
    }

    private static void Loop<TOp>(
        KernelIsa isa, float alpha, bool gradient, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float s, float t,
        ReadOnlySpan<float> scaleRow, ReadOnlySpan<float> shiftRow, Span<float> result)
        where TOp : struct, IActivationOperator
    {
        bool row = !scaleRow.IsEmpty;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float dyr = ref MemoryMarshal.GetReference(gradient ? dy : x);
        ref float sr = ref MemoryMarshal.GetReference(row ? scaleRow : x);
        ref float tr = ref MemoryMarshal.GetReference(row ? shiftRow : x);
        ref float rr = ref MemoryMarshal.GetReference(result);
        int n = x.Length;
        int i = 0;
        if (isa == KernelIsa.Avx512)
        {
            Vector512<float> vs = Vector512.Create(s), vt = Vector512.Create(t), va = Vector512.Create(alpha);
            for (; i <= n - 16; i += 16)
            {
                Vector512<float> a = row
                    ? Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xr, (nuint)i), Vector512.LoadUnsafe(ref sr, (nuint)i), Vector512.LoadUnsafe(ref tr, (nuint)i))
                    : Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xr, (nuint)i), vs, vt);
                Vector512<float> r = gradient
                    ? Vector512.LoadUnsafe(ref dyr, (nuint)i) * TOp.Derivative(a, va)
                    : TOp.Value(a, va);
                r.StoreUnsafe(ref rr, (nuint)i);
            }
        }
        else if (isa == KernelIsa.Avx2)
        {
            Vector256<float> vs = Vector256.Create(s), vt = Vector256.Create(t), va = Vector256.Create(alpha);
            for (; i <= n - 8; i += 8)
            {
                Vector256<float> a = row
                    ? Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)i), Vector256.LoadUnsafe(ref sr, (nuint)i), Vector256.LoadUnsafe(ref tr, (nuint)i))
                    : Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)i), vs, vt);
                Vector256<float> r = gradient
                    ? Vector256.LoadUnsafe(ref dyr, (nuint)i) * TOp.Derivative(a, va)
                    : TOp.Value(a, va);
                r.StoreUnsafe(ref rr, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            float a = row
                ? MathF.FusedMultiplyAdd(Unsafe.Add(ref xr, i), Unsafe.Add(ref sr, i), Unsafe.Add(ref tr, i))
                : MathF.FusedMultiplyAdd(Unsafe.Add(ref xr, i), s, t);
            Unsafe.Add(ref rr, i) = gradient ? Unsafe.Add(ref dyr, i) * TOp.Derivative(a, alpha) : TOp.Value(a, alpha);
        }
    }
}
