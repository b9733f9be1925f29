using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FusedLayers.Kernels.Activations;

namespace FusedLayers.Kernels;

/// <summary>
/// One span of the residual epilogue: the pre-activation <c>a = (x * s + t) + (k * ss + st)</c>, where
/// <c>x</c> is the main path (a convolution or linear output, with BatchNorm's scale and shift) and
/// <c>k</c> the skip path (the identity, or a projection's output with its BatchNorm's scale and shift);
/// then <c>f(a)</c> in forward or <c>dy * f'(a)</c> in backward, <c>f</c> an operator struct picked once per call
/// (<see cref="ActivationDispatch"/>), the loop generic over it. Scales and shifts are one value per span
/// (a channel plane) or, when <see cref="Affine.Row"/> is set, one per element (a row after a linear layer).
/// </summary>
internal static class ResidualMath
{
    /// <summary>An affine map applied to one operand: absent, one (s, t) per span, or one per element.</summary>
    internal readonly ref struct Affine
    {
        public Affine(float s, float t)
        {
            S = s;
            T = t;
            Present = true;
        }

        public Affine(ReadOnlySpan<float> s, ReadOnlySpan<float> t)
        {
            SRow = s;
            TRow = t;
            Present = !s.IsEmpty;
            Row = !s.IsEmpty;
        }

        public bool Present { get; }

        public bool Row { get; }

        public float S { get; }

        public float T { get; }

        public ReadOnlySpan<float> SRow { get; }

        public ReadOnlySpan<float> TRow { get; }
    }

    /// <summary>Forward (<paramref name="dy"/> empty) or gradient of one span.</summary>
    public static void Run(
        KernelIsa isa, in Activation activation, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, in Affine main,
        ReadOnlySpan<float> skip, in Affine projection, Span<float> result)
    {
        var loop = new SpanLoop(isa, activation.NegativeSlope, dy, x, main, skip, projection, result);
        ActivationDispatch.Run(activation.Kind, ref loop);
    }

    /// <summary>The operands of one call, handed to the generic loop.</summary>
    private readonly ref struct SpanLoop : IActivationLoop
    {
        private readonly KernelIsa isa;
        private readonly float alpha;
        private readonly ReadOnlySpan<float> dy;
        private readonly ReadOnlySpan<float> x;
        private readonly Affine main;
        private readonly ReadOnlySpan<float> skip;
        private readonly Affine projection;
        private readonly Span<float> result;

        public SpanLoop(
            KernelIsa isa, float alpha, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, in Affine main,
            ReadOnlySpan<float> skip, in Affine projection, Span<float> result)
        {
            this.isa = isa;
            this.alpha = alpha;
            this.dy = dy;
            this.x = x;
            this.main = main;
            this.skip = skip;
            this.projection = projection;
            this.result = result;
        }

        public void Run<TOp>()
            where TOp : struct, IActivationOperator =>
            Loop<TOp>(isa, alpha, dy, x, main, skip, projection, result);
    }

    private static void Loop<TOp>(
        KernelIsa isa, float alpha, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, in Affine main,
        ReadOnlySpan<float> skip, in Affine projection, Span<float> result)
        where TOp : struct, IActivationOperator
    {
        bool gradient = !dy.IsEmpty;
        int n = x.Length;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float kr = ref MemoryMarshal.GetReference(skip);
        ref float dyr = ref MemoryMarshal.GetReference(gradient ? dy : x);
        ref float rr = ref MemoryMarshal.GetReference(result);
        ref float msr = ref MemoryMarshal.GetReference(main.Row ? main.SRow : x);
        ref float mtr = ref MemoryMarshal.GetReference(main.Row ? main.TRow : x);
        ref float psr = ref MemoryMarshal.GetReference(projection.Row ? projection.SRow : x);
        ref float ptr = ref MemoryMarshal.GetReference(projection.Row ? projection.TRow : x);
        int i = 0;
        if (isa == KernelIsa.Avx512)
        {
            Vector512<float> ms = Vector512.Create(main.S), mt = Vector512.Create(main.T);
            Vector512<float> ps = Vector512.Create(projection.S), pt = Vector512.Create(projection.T), va = Vector512.Create(alpha);
            for (; i <= n - 16; i += 16)
            {
                Vector512<float> a = Vector512.LoadUnsafe(ref xr, (nuint)i);
                if (main.Present)
                {
                    a = main.Row
                        ? Vector512.FusedMultiplyAdd(a, Vector512.LoadUnsafe(ref msr, (nuint)i), Vector512.LoadUnsafe(ref mtr, (nuint)i))
                        : Vector512.FusedMultiplyAdd(a, ms, mt);
                }

                Vector512<float> k = Vector512.LoadUnsafe(ref kr, (nuint)i);
                if (projection.Present)
                {
                    k = projection.Row
                        ? Vector512.FusedMultiplyAdd(k, Vector512.LoadUnsafe(ref psr, (nuint)i), Vector512.LoadUnsafe(ref ptr, (nuint)i))
                        : Vector512.FusedMultiplyAdd(k, ps, pt);
                }

                a += k;
                (gradient ? Vector512.LoadUnsafe(ref dyr, (nuint)i) * TOp.Derivative(a, va) : TOp.Value(a, va))
                    .StoreUnsafe(ref rr, (nuint)i);
            }
        }
        else if (isa == KernelIsa.Avx2)
        {
            Vector256<float> ms = Vector256.Create(main.S), mt = Vector256.Create(main.T);
            Vector256<float> ps = Vector256.Create(projection.S), pt = Vector256.Create(projection.T), va = Vector256.Create(alpha);
            for (; i <= n - 8; i += 8)
            {
                Vector256<float> a = Vector256.LoadUnsafe(ref xr, (nuint)i);
                if (main.Present)
                {
                    a = main.Row
                        ? Vector256.FusedMultiplyAdd(a, Vector256.LoadUnsafe(ref msr, (nuint)i), Vector256.LoadUnsafe(ref mtr, (nuint)i))
                        : Vector256.FusedMultiplyAdd(a, ms, mt);
                }

                Vector256<float> k = Vector256.LoadUnsafe(ref kr, (nuint)i);
                if (projection.Present)
                {
                    k = projection.Row
                        ? Vector256.FusedMultiplyAdd(k, Vector256.LoadUnsafe(ref psr, (nuint)i), Vector256.LoadUnsafe(ref ptr, (nuint)i))
                        : Vector256.FusedMultiplyAdd(k, ps, pt);
                }

                a += k;
                (gradient ? Vector256.LoadUnsafe(ref dyr, (nuint)i) * TOp.Derivative(a, va) : TOp.Value(a, va))
                    .StoreUnsafe(ref rr, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            float a = Unsafe.Add(ref xr, i);
            if (main.Present)
            {
                a = main.Row ? MathF.FusedMultiplyAdd(a, Unsafe.Add(ref msr, i), Unsafe.Add(ref mtr, i)) : MathF.FusedMultiplyAdd(a, main.S, main.T);
            }

            float k = Unsafe.Add(ref kr, i);
            if (projection.Present)
            {
                k = projection.Row ? MathF.FusedMultiplyAdd(k, Unsafe.Add(ref psr, i), Unsafe.Add(ref ptr, i)) : MathF.FusedMultiplyAdd(k, projection.S, projection.T);
            }

            a += k;
            Unsafe.Add(ref rr, i) = gradient ? Unsafe.Add(ref dyr, i) * TOp.Derivative(a, alpha) : TOp.Value(a, alpha);
        }
    }
}
