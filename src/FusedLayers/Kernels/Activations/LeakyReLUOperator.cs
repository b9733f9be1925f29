using System.Runtime.Intrinsics;

namespace FusedLayers.Kernels.Activations;

/// <summary>PyTorch's <c>nn.LeakyReLU</c>; <c>alpha</c> is the negative slope. <c>f(x) = x &gt; 0 ? x : alpha x</c>; <c>f'(x) = x &gt; 0 ? 1 : alpha</c>.</summary>
internal readonly struct LeakyReLUOperator : IActivationOperator
{
    /// <inheritdoc/>
    public static float Value(float x, float alpha) => x > 0f ? x : x * alpha;

    /// <inheritdoc/>
    public static Vector256<float> Value(Vector256<float> x, Vector256<float> alpha) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, x * alpha);

    /// <inheritdoc/>
    public static Vector512<float> Value(Vector512<float> x, Vector512<float> alpha) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x, x * alpha);

    /// <inheritdoc/>
    public static float Derivative(float x, float alpha) => x > 0f ? 1f : alpha;

    /// <inheritdoc/>
    public static Vector256<float> Derivative(Vector256<float> x, Vector256<float> alpha) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), Vector256<float>.One, alpha);

    /// <inheritdoc/>
    public static Vector512<float> Derivative(Vector512<float> x, Vector512<float> alpha) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), Vector512<float>.One, alpha);
}
