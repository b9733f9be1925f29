using System.Runtime.Intrinsics;

namespace FusedLayers.Kernels.Activations;

/// <summary>No activation. <c>f(x) = x</c>, <c>f'(x) = 1</c>.</summary>
internal readonly struct IdentityOperator : IActivationOperator
{
    /// <inheritdoc/>
    public static float Value(float x, float alpha) => x;

    /// <inheritdoc/>
    public static Vector256<float> Value(Vector256<float> x, Vector256<float> alpha) => x;

    /// <inheritdoc/>
    public static Vector512<float> Value(Vector512<float> x, Vector512<float> alpha) => x;

    /// <inheritdoc/>
    public static float Derivative(float x, float alpha) => 1f;

    /// <inheritdoc/>
    public static Vector256<float> Derivative(Vector256<float> x, Vector256<float> alpha) => Vector256<float>.One;

    /// <inheritdoc/>
    public static Vector512<float> Derivative(Vector512<float> x, Vector512<float> alpha) => Vector512<float>.One;
}
