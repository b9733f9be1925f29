using System;
using System.Runtime.Intrinsics;

namespace FusedLayers.Kernels.Activations;

/// <summary>
/// PyTorch's <c>nn.Hardswish</c> (MobileNetV3). <c>f(x) = x min(max(x + 3, 0), 6) / 6</c>;
/// <c>f'(x) = x &lt;= -3 ? 0 : x &lt; 3 ? x / 3 + 1/2 : 1</c>, current PyTorch's <c>hardswish_backward</c> exactly (checked against
/// libtorch through TorchSharp 0.107; early releases took the middle branch at both kinks): <c>f'(-3) = 0</c>, <c>f'(3) = 1</c>, and NaN takes the last branch (passes the gradient on).
/// </summary>
internal readonly struct HardswishOperator : IActivationOperator
{
    /// <inheritdoc/>
    public static float Value(float x, float alpha) => x * Math.Min(Math.Max(x + 3f, 0f), 6f) / 6f;

    /// <inheritdoc/>
    public static Vector256<float> Value(Vector256<float> x, Vector256<float> alpha) =>
        x * Vector256.Min(Vector256.Max(x + Vector256.Create(3f), Vector256<float>.Zero), Vector256.Create(6f)) / Vector256.Create(6f);

    /// <inheritdoc/>
    public static Vector512<float> Value(Vector512<float> x, Vector512<float> alpha) =>
        x * Vector512.Min(Vector512.Max(x + Vector512.Create(3f), Vector512<float>.Zero), Vector512.Create(6f)) / Vector512.Create(6f);

    /// <inheritdoc/>
    public static float Derivative(float x, float alpha) => x <= -3f ? 0f : x < 3f ? (x / 3f) + 0.5f : 1f;

    /// <inheritdoc/>
    public static Vector256<float> Derivative(Vector256<float> x, Vector256<float> alpha)
    {
        Vector256<float> middle = Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, Vector256.Create(-3f)), Vector256<float>.Zero, (x / Vector256.Create(3f)) + Vector256.Create(0.5f));
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(3f)), middle, Vector256<float>.One);
    }

    /// <inheritdoc/>
    public static Vector512<float> Derivative(Vector512<float> x, Vector512<float> alpha)
    {
        Vector512<float> middle = Vector512.ConditionalSelect(Vector512.LessThanOrEqual(x, Vector512.Create(-3f)), Vector512<float>.Zero, (x / Vector512.Create(3f)) + Vector512.Create(0.5f));
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(3f)), middle, Vector512<float>.One);
    }
}
