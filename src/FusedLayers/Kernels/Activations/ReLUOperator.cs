using System.Runtime.Intrinsics;

namespace FusedLayers.Kernels.Activations;

/// <summary>PyTorch's <c>nn.ReLU</c>. <c>f(x) = max(0, x)</c> (NaN stays NaN); <c>f'(x) = x &gt; 0 ? 1 : 0</c>, 0 at the kink as PyTorch's <c>threshold_backward</c> (NaN passes the gradient on).</summary>
internal readonly struct ReLUOperator : IActivationOperator
{
    /// <inheritdoc/>
    public static float Value(float x, float alpha) => x > 0f ? x : (float.IsNaN(x) ? x : 0f);

    /// <inheritdoc/>
    public static Vector256<float> Value(Vector256<float> x, Vector256<float> alpha) => Vector256.Max(x, Vector256<float>.Zero);

    /// <inheritdoc/>
    public static Vector512<float> Value(Vector512<float> x, Vector512<float> alpha) => Vector512.Max(x, Vector512<float>.Zero);

    /// <inheritdoc/>
    public static float Derivative(float x, float alpha) => x <= 0f ? 0f : 1f;

    /// <inheritdoc/>
    public static Vector256<float> Derivative(Vector256<float> x, Vector256<float> alpha) => Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, Vector256<float>.Zero), Vector256<float>.Zero, Vector256<float>.One);

    /// <inheritdoc/>
    public static Vector512<float> Derivative(Vector512<float> x, Vector512<float> alpha) => Vector512.ConditionalSelect(Vector512.LessThanOrEqual(x, Vector512<float>.Zero), Vector512<float>.Zero, Vector512<float>.One);
}
