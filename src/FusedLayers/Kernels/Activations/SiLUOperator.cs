using System.Runtime.Intrinsics;

namespace FusedLayers.Kernels.Activations;

/// <summary>PyTorch's <c>nn.SiLU</c> (swish). <c>f(x) = x sigmoid(x)</c>; <c>f'(x) = sigmoid(x) (1 + x (1 - sigmoid(x)))</c>.</summary>
internal readonly struct SiLUOperator : IActivationOperator
{
    /// <inheritdoc/>
    public static float Value(float x, float alpha) => x * ActivationFunctions.Sigmoid(x);

    /// <inheritdoc/>
    public static Vector256<float> Value(Vector256<float> x, Vector256<float> alpha) => x * ActivationFunctions.Sigmoid(x);

    /// <inheritdoc/>
    public static Vector512<float> Value(Vector512<float> x, Vector512<float> alpha) => x * ActivationFunctions.Sigmoid(x);

    /// <inheritdoc/>
    public static float Derivative(float x, float alpha)
    {
        float sig = ActivationFunctions.Sigmoid(x);
        return sig * (1f + (x * (1f - sig)));
    }

    /// <inheritdoc/>
    public static Vector256<float> Derivative(Vector256<float> x, Vector256<float> alpha)
    {
        Vector256<float> sig = ActivationFunctions.Sigmoid(x);
        return sig * Vector256.FusedMultiplyAdd(x, Vector256<float>.One - sig, Vector256<float>.One);
    }

    /// <inheritdoc/>
    public static Vector512<float> Derivative(Vector512<float> x, Vector512<float> alpha)
    {
        Vector512<float> sig = ActivationFunctions.Sigmoid(x);
        return sig * Vector512.FusedMultiplyAdd(x, Vector512<float>.One - sig, Vector512<float>.One);
    }
}
