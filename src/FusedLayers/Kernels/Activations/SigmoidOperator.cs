using System.Runtime.Intrinsics;

namespace FusedLayers.Kernels.Activations;

/// <summary>PyTorch's <c>nn.Sigmoid</c>. <c>f(x) = 1 / (1 + exp(-x))</c>; <c>f'(x) = f(x) (1 - f(x))</c>.</summary>
internal readonly struct SigmoidOperator : IActivationOperator
{
    /// <inheritdoc/>
    public static float Value(float x, float alpha) => ActivationFunctions.Sigmoid(x);

    /// <inheritdoc/>
    public static Vector256<float> Value(Vector256<float> x, Vector256<float> alpha) => ActivationFunctions.Sigmoid(x);

    /// <inheritdoc/>
    public static Vector512<float> Value(Vector512<float> x, Vector512<float> alpha) => ActivationFunctions.Sigmoid(x);

    /// <inheritdoc/>
    public static float Derivative(float x, float alpha)
    {
        float sig = ActivationFunctions.Sigmoid(x);
        return sig * (1f - sig);
    }

    /// <inheritdoc/>
    public static Vector256<float> Derivative(Vector256<float> x, Vector256<float> alpha)
    {
        Vector256<float> sig = ActivationFunctions.Sigmoid(x);
        return sig * (Vector256<float>.One - sig);
    }

    /// <inheritdoc/>
    public static Vector512<float> Derivative(Vector512<float> x, Vector512<float> alpha)
    {
        Vector512<float> sig = ActivationFunctions.Sigmoid(x);
        return sig * (Vector512<float>.One - sig);
    }
}
