using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FusedLayers.Kernels;

/// <summary>
/// The activations and their derivatives, element by element, on each ISA path. Every routine computes
/// <c>f(x * s + t)</c> (or <c>dy * f'(x * s + t)</c>), where <c>s, t</c> are either one pair for the whole
/// span (a channel plane; BatchNorm's scale and shift recomputing the pre-activation, or 1 and 0) or one
/// pair per element (a row of a linear layer's output, one value per channel).
/// <para>
/// Transcendentals: <c>exp</c> is .NET's vectorised <c>Vector256/512.Exp</c> (MathF.Exp on the scalar path);
/// <c>tanh(x) = sign(x) (1 - e) / (1 + e)</c> with <c>e = exp(-2|x|)</c>, absolute error about 1e-7 near 0;
/// <c>erf</c> is Abramowitz and Stegun 7.1.26, absolute error below 1.5e-7, the same formula on every path.
/// Written by hand: no maintained .NET library ships vectorised erf/tanh for Vector256/Vector512.
/// </para>
/// </summary>
internal static class ActivationMath
{
    private const float SqrtHalf = 0.70710678118654752f;
    private const float InvSqrtTwoPi = 0.39894228040143268f;
    private const float GeluBeta = 0.79788456080286536f; // sqrt(2 / pi)
    private const float GeluKappa = 0.044715f;
    private const float ErfP = 0.3275911f;
    private const float ErfA1 = 0.254829592f;
    private const float ErfA2 = -0.284496736f;
    private const float ErfA3 = 1.421413741f;
    private const float ErfA4 = -1.453152027f;
    private const float ErfA5 = 1.061405429f;

    /// <summary><c>y = f(x * s + t)</c> with one <c>(s, t)</c> per span, or per element when <paramref name="scaleRow"/> is not empty.</summary>
    public static void Forward(
        KernelIsa isa, in Activation activation, ReadOnlySpan<float> x, float s, float t, ReadOnlySpan<float> scaleRow, ReadOnlySpan<float> shiftRow, Span<float> y)
    {
        Run(isa, activation, gradient: false, default, x, s, t, scaleRow, shiftRow, y);
    }

    /// <summary><c>dx = dy * f'(x * s + t)</c>, the pre-activation recomputed as in <see cref="Forward"/>.</summary>
    public static void Gradient(
        KernelIsa isa, in Activation activation, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float s, float t,
        ReadOnlySpan<float> scaleRow, ReadOnlySpan<float> shiftRow, Span<float> dx)
    {
        Run(isa, activation, gradient: true, dy, x, s, t, scaleRow, shiftRow, dx);
    }

    private static void Run(
        KernelIsa isa, in Activation activation, bool gradient, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float s, float t,
        ReadOnlySpan<float> scaleRow, ReadOnlySpan<float> shiftRow, Span<float> result)
    {
        ActivationKind kind = activation.Kind;
        float slope = activation.NegativeSlope;
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
            Vector512<float> vs = Vector512.Create(s), vt = Vector512.Create(t), vslope = Vector512.Create(slope);
            for (; i <= n - 16; i += 16)
            {
                Vector512<float> a = row
                    ? Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xr, (nuint)i), Vector512.LoadUnsafe(ref sr, (nuint)i), Vector512.LoadUnsafe(ref tr, (nuint)i))
                    : Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xr, (nuint)i), vs, vt);
                Vector512<float> r = gradient
                    ? Vector512.LoadUnsafe(ref dyr, (nuint)i) * Derivative(a, kind, vslope)
                    : Value(a, kind, vslope);
                r.StoreUnsafe(ref rr, (nuint)i);
            }
        }
        else if (isa == KernelIsa.Avx2)
        {
            Vector256<float> vs = Vector256.Create(s), vt = Vector256.Create(t), vslope = Vector256.Create(slope);
            for (; i <= n - 8; i += 8)
            {
                Vector256<float> a = row
                    ? Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)i), Vector256.LoadUnsafe(ref sr, (nuint)i), Vector256.LoadUnsafe(ref tr, (nuint)i))
                    : Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)i), vs, vt);
                Vector256<float> r = gradient
                    ? Vector256.LoadUnsafe(ref dyr, (nuint)i) * Derivative(a, kind, vslope)
                    : Value(a, kind, vslope);
                r.StoreUnsafe(ref rr, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            float a = row
                ? MathF.FusedMultiplyAdd(Unsafe.Add(ref xr, i), Unsafe.Add(ref sr, i), Unsafe.Add(ref tr, i))
                : MathF.FusedMultiplyAdd(Unsafe.Add(ref xr, i), s, t);
            Unsafe.Add(ref rr, i) = gradient ? Unsafe.Add(ref dyr, i) * Derivative(a, kind, slope) : Value(a, kind, slope);
        }
    }

    /// <summary>The activation of one value (scalar path, and the tails of the vector paths).</summary>
    public static float Value(float x, ActivationKind kind, float slope) => kind switch
    {
        ActivationKind.Identity => x,
        ActivationKind.ReLU => x > 0f ? x : (float.IsNaN(x) ? x : 0f),
        ActivationKind.LeakyReLU => x > 0f ? x : x * slope,
        ActivationKind.ReLU6 => float.IsNaN(x) ? x : Math.Min(Math.Max(x, 0f), 6f),
        ActivationKind.SiLU => x * Sigmoid(x),
        ActivationKind.Gelu => 0.5f * x * (1f + Erf(x * SqrtHalf)),
        ActivationKind.GeluTanh => 0.5f * x * (1f + Tanh(GeluBeta * MathF.FusedMultiplyAdd(GeluKappa * x * x, x, x))),
        ActivationKind.Sigmoid => Sigmoid(x),
        ActivationKind.Tanh => Tanh(x),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation."),
    };

    /// <summary>The derivative at one pre-activation value; PyTorch's conventions at the kinks (0 for ReLU at 0, 0 for ReLU6 at 0 and 6).</summary>
    public static float Derivative(float x, ActivationKind kind, float slope)
    {
        switch (kind)
        {
            case ActivationKind.Identity:
                return 1f;
            case ActivationKind.ReLU:
                return x <= 0f ? 0f : 1f; // PyTorch's threshold_backward: NaN passes the gradient on
            case ActivationKind.LeakyReLU:
                return x > 0f ? 1f : slope;
            case ActivationKind.ReLU6:
                return x <= 0f || x >= 6f ? 0f : 1f; // hardtanh_backward: NaN passes the gradient on
            case ActivationKind.SiLU:
            {
                float sig = Sigmoid(x);
                return sig * (1f + (x * (1f - sig)));
            }

            case ActivationKind.Gelu:
                return (0.5f * (1f + Erf(x * SqrtHalf))) + (x * InvSqrtTwoPi * MathF.Exp(-0.5f * x * x));
            case ActivationKind.GeluTanh:
            {
                // Beyond |x| = 10 the derivative is 0 or 1 to float precision; clamping keeps x^2 finite
                // (else (1 - tanh^2) * x^2 would be 0 * inf = NaN for |x| > 1.8e19).
                x = Math.Clamp(x, -10f, 10f);
                float th = Tanh(GeluBeta * MathF.FusedMultiplyAdd(GeluKappa * x * x, x, x));
                return (0.5f * (1f + th)) + (0.5f * x * (1f - (th * th)) * GeluBeta * (1f + (3f * GeluKappa * x * x)));
            }

            case ActivationKind.Sigmoid:
            {
                float sig = Sigmoid(x);
                return sig * (1f - sig);
            }

            case ActivationKind.Tanh:
            {
                float th = Tanh(x);
                return 1f - (th * th);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    private static float Tanh(float x)
    {
        float e = MathF.Exp(-2f * MathF.Abs(x));
        float r = (1f - e) / (1f + e);
        return x < 0f ? -r : r;
    }

    private static float Erf(float x)
    {
        float ax = MathF.Abs(x);
        float k = 1f / MathF.FusedMultiplyAdd(ErfP, ax, 1f);
        float poly = ((((((((ErfA5 * k) + ErfA4) * k) + ErfA3) * k) + ErfA2) * k) + ErfA1) * k;
        float r = 1f - (poly * MathF.Exp(-ax * ax));
        return x < 0f ? -r : r;
    }

    internal static Vector256<float> Value(Vector256<float> x, ActivationKind kind, Vector256<float> slope)
    {
        Vector256<float> zero = Vector256<float>.Zero, one = Vector256<float>.One, half = Vector256.Create(0.5f);
        return kind switch
        {
            ActivationKind.Identity => x,
            ActivationKind.ReLU => Vector256.Max(x, zero),
            ActivationKind.LeakyReLU => Vector256.ConditionalSelect(Vector256.GreaterThan(x, zero), x, x * slope),
            ActivationKind.ReLU6 => Vector256.Min(Vector256.Max(x, zero), Vector256.Create(6f)),
            ActivationKind.SiLU => x * Sigmoid(x),
            ActivationKind.Gelu => half * x * (one + Erf(x * Vector256.Create(SqrtHalf))),
            ActivationKind.GeluTanh => half * x * (one + Tanh(Vector256.Create(GeluBeta) * Vector256.FusedMultiplyAdd(Vector256.Create(GeluKappa) * x * x, x, x))),
            ActivationKind.Sigmoid => Sigmoid(x),
            ActivationKind.Tanh => Tanh(x),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation."),
        };
    }

    internal static Vector256<float> Derivative(Vector256<float> x, ActivationKind kind, Vector256<float> slope)
    {
        Vector256<float> zero = Vector256<float>.Zero, one = Vector256<float>.One, half = Vector256.Create(0.5f);
        switch (kind)
        {
            case ActivationKind.Identity:
                return one;
            case ActivationKind.ReLU:
                return Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, zero), zero, one);
            case ActivationKind.LeakyReLU:
                return Vector256.ConditionalSelect(Vector256.GreaterThan(x, zero), one, slope);
            case ActivationKind.ReLU6:
                return Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, zero) | Vector256.GreaterThanOrEqual(x, Vector256.Create(6f)), zero, one);
            case ActivationKind.SiLU:
            {
                Vector256<float> sig = Sigmoid(x);
                return sig * Vector256.FusedMultiplyAdd(x, one - sig, one);
            }

            case ActivationKind.Gelu:
                return Vector256.FusedMultiplyAdd(
                    x * Vector256.Create(InvSqrtTwoPi), Vector256.Exp(x * x * Vector256.Create(-0.5f)), half * (one + Erf(x * Vector256.Create(SqrtHalf))));
            case ActivationKind.GeluTanh:
            {
                x = Vector256.Min(Vector256.Max(x, Vector256.Create(-10f)), Vector256.Create(10f)); // as the scalar path: keeps x^2 finite
                Vector256<float> x2 = x * x;
                Vector256<float> th = Tanh(Vector256.Create(GeluBeta) * Vector256.FusedMultiplyAdd(Vector256.Create(GeluKappa) * x2, x, x));
                Vector256<float> inner = Vector256.Create(GeluBeta) * Vector256.FusedMultiplyAdd(Vector256.Create(3f * GeluKappa), x2, one);
                return Vector256.FusedMultiplyAdd(half * x * (one - (th * th)), inner, half * (one + th));
            }

            case ActivationKind.Sigmoid:
            {
                Vector256<float> sig = Sigmoid(x);
                return sig * (one - sig);
            }

            case ActivationKind.Tanh:
            {
                Vector256<float> th = Tanh(x);
                return one - (th * th);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }

    private static Vector256<float> Sigmoid(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x));

    private static Vector256<float> Tanh(Vector256<float> x)
    {
        Vector256<float> e = Vector256.Exp(Vector256.Abs(x) * Vector256.Create(-2f));
        Vector256<float> r = (Vector256<float>.One - e) / (Vector256<float>.One + e);
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), -r, r);
    }

    private static Vector256<float> Erf(Vector256<float> x)
    {
        Vector256<float> ax = Vector256.Abs(x);
        Vector256<float> k = Vector256<float>.One / Vector256.FusedMultiplyAdd(Vector256.Create(ErfP), ax, Vector256<float>.One);
        Vector256<float> poly = Vector256.FusedMultiplyAdd(Vector256.Create(ErfA5), k, Vector256.Create(ErfA4));
        poly = Vector256.FusedMultiplyAdd(poly, k, Vector256.Create(ErfA3));
        poly = Vector256.FusedMultiplyAdd(poly, k, Vector256.Create(ErfA2));
        poly = Vector256.FusedMultiplyAdd(poly, k, Vector256.Create(ErfA1)) * k;
        Vector256<float> r = Vector256<float>.One - (poly * Vector256.Exp(-(ax * ax)));
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), -r, r);
    }

    internal static Vector512<float> Value(Vector512<float> x, ActivationKind kind, Vector512<float> slope)
    {
        Vector512<float> zero = Vector512<float>.Zero, one = Vector512<float>.One, half = Vector512.Create(0.5f);
        return kind switch
        {
            ActivationKind.Identity => x,
            ActivationKind.ReLU => Vector512.Max(x, zero),
            ActivationKind.LeakyReLU => Vector512.ConditionalSelect(Vector512.GreaterThan(x, zero), x, x * slope),
            ActivationKind.ReLU6 => Vector512.Min(Vector512.Max(x, zero), Vector512.Create(6f)),
            ActivationKind.SiLU => x * Sigmoid(x),
            ActivationKind.Gelu => half * x * (one + Erf(x * Vector512.Create(SqrtHalf))),
            ActivationKind.GeluTanh => half * x * (one + Tanh(Vector512.Create(GeluBeta) * Vector512.FusedMultiplyAdd(Vector512.Create(GeluKappa) * x * x, x, x))),
            ActivationKind.Sigmoid => Sigmoid(x),
            ActivationKind.Tanh => Tanh(x),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation."),
        };
    }

    internal static Vector512<float> Derivative(Vector512<float> x, ActivationKind kind, Vector512<float> slope)
    {
        Vector512<float> zero = Vector512<float>.Zero, one = Vector512<float>.One, half = Vector512.Create(0.5f);
        switch (kind)
        {
            case ActivationKind.Identity:
                return one;
            case ActivationKind.ReLU:
                return Vector512.ConditionalSelect(Vector512.LessThanOrEqual(x, zero), zero, one);
            case ActivationKind.LeakyReLU:
                return Vector512.ConditionalSelect(Vector512.GreaterThan(x, zero), one, slope);
            case ActivationKind.ReLU6:
                return Vector512.ConditionalSelect(Vector512.LessThanOrEqual(x, zero) | Vector512.GreaterThanOrEqual(x, Vector512.Create(6f)), zero, one);
            case ActivationKind.SiLU:
            {
                Vector512<float> sig = Sigmoid(x);
                return sig * Vector512.FusedMultiplyAdd(x, one - sig, one);
            }

            case ActivationKind.Gelu:
                return Vector512.FusedMultiplyAdd(
                    x * Vector512.Create(InvSqrtTwoPi), Vector512.Exp(x * x * Vector512.Create(-0.5f)), half * (one + Erf(x * Vector512.Create(SqrtHalf))));
            case ActivationKind.GeluTanh:
            {
                x = Vector512.Min(Vector512.Max(x, Vector512.Create(-10f)), Vector512.Create(10f)); // as the scalar path: keeps x^2 finite
                Vector512<float> x2 = x * x;
                Vector512<float> th = Tanh(Vector512.Create(GeluBeta) * Vector512.FusedMultiplyAdd(Vector512.Create(GeluKappa) * x2, x, x));
                Vector512<float> inner = Vector512.Create(GeluBeta) * Vector512.FusedMultiplyAdd(Vector512.Create(3f * GeluKappa), x2, one);
                return Vector512.FusedMultiplyAdd(half * x * (one - (th * th)), inner, half * (one + th));
            }

            case ActivationKind.Sigmoid:
            {
                Vector512<float> sig = Sigmoid(x);
                return sig * (one - sig);
            }

            case ActivationKind.Tanh:
            {
                Vector512<float> th = Tanh(x);
                return one - (th * th);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }

    private static Vector512<float> Sigmoid(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + Vector512.Exp(-x));

    private static Vector512<float> Tanh(Vector512<float> x)
    {
        Vector512<float> e = Vector512.Exp(Vector512.Abs(x) * Vector512.Create(-2f));
        Vector512<float> r = (Vector512<float>.One - e) / (Vector512<float>.One + e);
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), -r, r);
    }

    private static Vector512<float> Erf(Vector512<float> x)
    {
        Vector512<float> ax = Vector512.Abs(x);
        Vector512<float> k = Vector512<float>.One / Vector512.FusedMultiplyAdd(Vector512.Create(ErfP), ax, Vector512<float>.One);
        Vector512<float> poly = Vector512.FusedMultiplyAdd(Vector512.Create(ErfA5), k, Vector512.Create(ErfA4));
        poly = Vector512.FusedMultiplyAdd(poly, k, Vector512.Create(ErfA3));
        poly = Vector512.FusedMultiplyAdd(poly, k, Vector512.Create(ErfA2));
        poly = Vector512.FusedMultiplyAdd(poly, k, Vector512.Create(ErfA1)) * k;
        Vector512<float> r = Vector512<float>.One - (poly * Vector512.Exp(-(ax * ax)));
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), -r, r);
    }
}
