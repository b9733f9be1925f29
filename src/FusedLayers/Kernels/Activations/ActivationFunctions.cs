using System;
using System.Runtime.Intrinsics;

namespace FusedLayers.Kernels.Activations;

/// <summary>
/// The transcendentals the activation operators share, the same formula on every width.
/// <c>exp</c> is .NET's vectorised <c>Vector256/512.Exp</c> (MathF.Exp on the scalar path);
/// <c>sigmoid(x) = 1 / (1 + exp(-x))</c>;
/// <c>tanh(x) = sign(x) (1 - e) / (1 + e)</c> with <c>e = exp(-2|x|)</c>, absolute error about 1e-7 near 0;
/// <c>erf</c> is Abramowitz and Stegun 7.1.26, absolute error below 1.5e-7.
/// Written by hand: no maintained .NET library ships vectorised erf/tanh for Vector256/Vector512.
/// </summary>
internal static class ActivationFunctions
{
    /// <summary><c>1 / sqrt(2)</c>.</summary>
    public const float SqrtHalf = 0.70710678118654752f;

    /// <summary><c>1 / sqrt(2 pi)</c>.</summary>
    public const float InvSqrtTwoPi = 0.39894228040143268f;

    /// <summary><c>sqrt(2 / pi)</c>, the tanh-GELU's outer factor.</summary>
    public const float GeluBeta = 0.79788456080286536f;

    /// <summary>The tanh-GELU's cubic coefficient.</summary>
    public const float GeluKappa = 0.044715f;

    private const float ErfP = 0.3275911f;
    private const float ErfA1 = 0.254829592f;
    private const float ErfA2 = -0.284496736f;
    private const float ErfA3 = 1.421413741f;
    private const float ErfA4 = -1.453152027f;
    private const float ErfA5 = 1.061405429f;

    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    public static float Tanh(float x)
    {
        float e = MathF.Exp(-2f * MathF.Abs(x));
        float r = (1f - e) / (1f + e);
        return x < 0f ? -r : r;
    }

    public static float Erf(float x)
    {
        float ax = MathF.Abs(x);
        float k = 1f / MathF.FusedMultiplyAdd(ErfP, ax, 1f);
        float poly = ((((((((ErfA5 * k) + ErfA4) * k) + ErfA3) * k) + ErfA2) * k) + ErfA1) * k;
        float r = 1f - (poly * MathF.Exp(-ax * ax));
        return x < 0f ? -r : r;
    }

    public static Vector256<float> Sigmoid(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x));

    public static Vector256<float> Tanh(Vector256<float> x)
    {
        Vector256<float> e = Vector256.Exp(Vector256.Abs(x) * Vector256.Create(-2f));
        Vector256<float> r = (Vector256<float>.One - e) / (Vector256<float>.One + e);
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), -r, r);
    }

    public static Vector256<float> Erf(Vector256<float> x)
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

    public static Vector512<float> Sigmoid(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + Vector512.Exp(-x));

    public static Vector512<float> Tanh(Vector512<float> x)
    {
        Vector512<float> e = Vector512.Exp(Vector512.Abs(x) * Vector512.Create(-2f));
        Vector512<float> r = (Vector512<float>.One - e) / (Vector512<float>.One + e);
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), -r, r);
    }

    public static Vector512<float> Erf(Vector512<float> x)
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
