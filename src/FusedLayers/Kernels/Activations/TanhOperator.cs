using System.Runtime.Intrinsics;

namespace FusedLayers.Kernels.Activations;

/// <summary>PyTorch's <c>nn.Tanh</c>. <c>f(x) = tanh(x)</c>; <c>f'(x) = 1 - tanh^2(x)</c>.</summary>
internal readonly struct TanhOperator : IActivationOperator
{
    /// <inheritdoc/>
    public static float Value(float x, float alpha) => ActivationFunctions.Tanh(x);

    /// <inheritdoc/>
    public static Vector256<float> Value(Vector256<float> x, Vector256<float> alpha) => ActivationFunctions.Tanh(x);

    /// <inheritdoc/>
    public static Vector512<float> Value(Vector512<float> x, Vector512<float> alpha) => ActivationFunctions.Tanh(x);

    /// <inheritdoc/>
    public static float Derivative(float x, float alpha)
    {
        float th = ActivationFunctions.Tanh(x);
        return 1f - (th * th);
    }

    /// <inheritdoc/>
    public static Vector256<float> Derivative(Vector256<float> x, Vector256<float> alpha)
    {
        Vector256<float> th = ActivationFunctions.Tanh(x);
        return Vector256<float>.One - (th * th);
    }

    /// <inheritdoc/>
    public static Vector512<float> Derivative(Vector512<float> x, Vector512<float> alpha)
    {
        Vector512<float> th = ActivationFunctions.Tanh(x);
        return Vector512<float>.One - (th * th);
    }
}
