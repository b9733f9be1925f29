using System;
using System.Runtime.Intrinsics;

namespace FusedLayers.Kernels.Activations;

/// <summary>PyTorch's <c>nn.GELU()</c> (exact, through erf). <c>f(x) = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2))</c>; <c>f'(x) = Phi(x) + x phi(x)</c> with <c>phi(x) = exp(-x^2 / 2) / sqrt(2 pi)</c>.</summary>
internal readonly struct GeluOperator : IActivationOperator
{
    /// <inheritdoc/>
    public static float Value(float x, float alpha) => 0.5f * x * (1f + ActivationFunctions.Erf(x * ActivationFunctions.SqrtHalf));

    /// <inheritdoc/>
    public static Vector256<float> Value(Vector256<float> x, Vector256<float> alpha) => Vector256.Create(0.5f) * x * (Vector256<float>.One + ActivationFunctions.Erf(x * Vector256.Create(ActivationFunctions.SqrtHalf)));

    /// <inheritdoc/>
    public static Vector512<float> Value(Vector512<float> x, Vector512<float> alpha) => Vector512.Create(0.5f) * x * (Vector512<float>.One + ActivationFunctions.Erf(x * Vector512.Create(ActivationFunctions.SqrtHalf)));

    /// <inheritdoc/>
    public static float Derivative(float x, float alpha) => (0.5f * (1f + ActivationFunctions.Erf(x * ActivationFunctions.SqrtHalf))) + (x * ActivationFunctions.InvSqrtTwoPi * MathF.Exp(-0.5f * x * x));

    /// <inheritdoc/>
    public static Vector256<float> Derivative(Vector256<float> x, Vector256<float> alpha) => Vector256.FusedMultiplyAdd(
            x * Vector256.Create(ActivationFunctions.InvSqrtTwoPi), Vector256.Exp(x * x * Vector256.Create(-0.5f)), Vector256.Create(0.5f) * (Vector256<float>.One + ActivationFunctions.Erf(x * Vector256.Create(ActivationFunctions.SqrtHalf))));

    /// <inheritdoc/>
    public static Vector512<float> Derivative(Vector512<float> x, Vector512<float> alpha) => Vector512.FusedMultiplyAdd(
            x * Vector512.Create(ActivationFunctions.InvSqrtTwoPi), Vector512.Exp(x * x * Vector512.Create(-0.5f)), Vector512.Create(0.5f) * (Vector512<float>.One + ActivationFunctions.Erf(x * Vector512.Create(ActivationFunctions.SqrtHalf))));
}
