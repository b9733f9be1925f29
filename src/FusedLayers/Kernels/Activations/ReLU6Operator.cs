using System;
using System.Runtime.Intrinsics;

namespace FusedLayers.Kernels.Activations;

/// <summary>PyTorch's <c>nn.ReLU6</c>. <c>f(x) = min(max(0, x), 6)</c>; <c>f'(x) = 0 &lt; x &lt; 6 ? 1 : 0</c>, 0 at both kinks as PyTorch's <c>hardtanh_backward</c> (NaN passes the gradient on).</summary>
internal readonly struct ReLU6Operator : IActivationOperator
{
    /// <inheritdoc/>
    public static float Value(float x, float alpha) => float.IsNaN(x) ? x : Math.Min(Math.Max(x, 0f), 6f);

    /// <inheritdoc/>
    public static Vector256<float> Value(Vector256<float> x, Vector256<float> alpha) => Vector256.Min(Vector256.Max(x, Vector256<float>.Zero), Vector256.Create(6f));

    /// <inheritdoc/>
    public static Vector512<float> Value(Vector512<float> x, Vector512<float> alpha) => Vector512.Min(Vector512.Max(x, Vector512<float>.Zero), Vector512.Create(6f));

    /// <inheritdoc/>
    public static float Derivative(float x, float alpha) => x <= 0f || x >= 6f ? 0f : 1f;

    /// <inheritdoc/>
    public static Vector256<float> Derivative(Vector256<float> x, Vector256<float> alpha) => Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, Vector256<float>.Zero) | Vector256.GreaterThanOrEqual(x, Vector256.Create(6f)), Vector256<float>.Zero, Vector256<float>.One);

    /// <inheritdoc/>
    public static Vector512<float> Derivative(Vector512<float> x, Vector512<float> alpha) => Vector512.ConditionalSelect(Vector512.LessThanOrEqual(x, Vector512<float>.Zero) | Vector512.GreaterThanOrEqual(x, Vector512.Create(6f)), Vector512<float>.Zero, Vector512<float>.One);
}
