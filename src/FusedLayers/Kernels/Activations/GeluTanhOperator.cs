using System;
using System.Runtime.Intrinsics;

namespace FusedLayers.Kernels.Activations;

/// <summary>PyTorch's <c>nn.GELU(approximate='tanh')</c>. <c>f(x) = 0.5 x (1 + tanh(u))</c>, <c>u = sqrt(2/pi) (x + 0.044715 x^3)</c>; <c>f'(x) = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2)</c>, with <c>x</c> clamped to [-10, 10] first (beyond, the derivative is 0 or 1 to float precision, and the clamp keeps <c>x^2</c> finite).</summary>
internal readonly struct GeluTanhOperator : IActivationOperator
{
    /// <inheritdoc/>
    public static float Value(float x, float alpha) => 0.5f * x * (1f + ActivationFunctions.Tanh(ActivationFunctions.GeluBeta * MathF.FusedMultiplyAdd(ActivationFunctions.GeluKappa * x * x, x, x)));

    /// <inheritdoc/>
    public static Vector256<float> Value(Vector256<float> x, Vector256<float> alpha) => Vector256.Create(0.5f) * x * (Vector256<float>.One + ActivationFunctions.Tanh(Vector256.Create(ActivationFunctions.GeluBeta) * Vector256.FusedMultiplyAdd(Vector256.Create(ActivationFunctions.GeluKappa) * x * x, x, x)));

    /// <inheritdoc/>
    public static Vector512<float> Value(Vector512<float> x, Vector512<float> alpha) => Vector512.Create(0.5f) * x * (Vector512<float>.One + ActivationFunctions.Tanh(Vector512.Create(ActivationFunctions.GeluBeta) * Vector512.FusedMultiplyAdd(Vector512.Create(ActivationFunctions.GeluKappa) * x * x, x, x)));

    /// <inheritdoc/>
    public static float Derivative(float x, float alpha)
    {
        x = Math.Clamp(x, -10f, 10f);
        float th = ActivationFunctions.Tanh(ActivationFunctions.GeluBeta * MathF.FusedMultiplyAdd(ActivationFunctions.GeluKappa * x * x, x, x));
        return (0.5f * (1f + th)) + (0.5f * x * (1f - (th * th)) * ActivationFunctions.GeluBeta * (1f + (3f * ActivationFunctions.GeluKappa * x * x)));
    }

    /// <inheritdoc/>
    public static Vector256<float> Derivative(Vector256<float> x, Vector256<float> alpha)
    {
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(-10f)), Vector256.Create(10f)); // as the scalar path: keeps x^2 finite
        Vector256<float> half = Vector256.Create(0.5f);
        Vector256<float> x2 = x * x;
        Vector256<float> th = ActivationFunctions.Tanh(Vector256.Create(ActivationFunctions.GeluBeta) * Vector256.FusedMultiplyAdd(Vector256.Create(ActivationFunctions.GeluKappa) * x2, x, x));
        Vector256<float> inner = Vector256.Create(ActivationFunctions.GeluBeta) * Vector256.FusedMultiplyAdd(Vector256.Create(3f * ActivationFunctions.GeluKappa), x2, Vector256<float>.One);
        return Vector256.FusedMultiplyAdd(half * x * (Vector256<float>.One - (th * th)), inner, half * (Vector256<float>.One + th));
    }

    /// <inheritdoc/>
    public static Vector512<float> Derivative(Vector512<float> x, Vector512<float> alpha)
    {
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(-10f)), Vector512.Create(10f)); // as the scalar path: keeps x^2 finite
        Vector512<float> half = Vector512.Create(0.5f);
        Vector512<float> x2 = x * x;
        Vector512<float> th = ActivationFunctions.Tanh(Vector512.Create(ActivationFunctions.GeluBeta) * Vector512.FusedMultiplyAdd(Vector512.Create(ActivationFunctions.GeluKappa) * x2, x, x));
        Vector512<float> inner = Vector512.Create(ActivationFunctions.GeluBeta) * Vector512.FusedMultiplyAdd(Vector512.Create(3f * ActivationFunctions.GeluKappa), x2, Vector512<float>.One);
        return Vector512.FusedMultiplyAdd(half * x * (Vector512<float>.One - (th * th)), inner, half * (Vector512<float>.One + th));
    }
}
