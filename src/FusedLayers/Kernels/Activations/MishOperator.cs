using System;
using System.Runtime.Intrinsics;

namespace FusedLayers.Kernels.Activations;

/// <summary>
/// PyTorch's <c>nn.Mish</c>. <c>f(x) = x tanh(softplus(x))</c>, <c>softplus(x) = log(1 + e^x)</c>;
/// <c>f'(x) = tanh(sp) + x sigmoid(x) (1 - tanh^2(sp))</c>, as PyTorch's <c>mish_backward</c>.
/// <para>
/// Computed without log or tanh: with <c>e = e^x</c> and <c>n = e (e + 2)</c>, <c>tanh(log(1 + e)) = n / (n + 2)</c>,
/// <c>1 - tanh^2 = 4 (n + 1) / (n + 2)^2</c> and <c>sigmoid(x) = e / (1 + e)</c>: one exp, no cancellation (relative
/// error a few float32 ulps everywhere; the last term no longer loses digits as tanh nears 1).
/// <c>x</c> is clamped to 20 before the exp, PyTorch's softplus threshold (<c>softplus(x) = x</c> above it): there
/// <c>tanh(sp)</c> is 1 in float32, so <c>f(x) = x</c> and <c>f'(x) = 1</c>, and <c>n</c> stays finite. Large negative
/// <c>x</c> gives <c>e = 0</c>: <c>f = -0</c>, <c>f' = 0</c>. NaN propagates (the clamp keeps it).
/// </para>
/// </summary>
internal readonly struct MishOperator : IActivationOperator
{
    /// <summary>PyTorch's softplus threshold: above it, <c>softplus(x) = x</c>.</summary>
    private const float Threshold = 20f;

    /// <inheritdoc/>
    public static float Value(float x, float alpha)
    {
        float e = MathF.Exp(Math.Min(x, Threshold));
        float n = e * (e + 2f);
        return x * (n / (n + 2f));
    }

    /// <inheritdoc/>
    public static Vector256<float> Value(Vector256<float> x, Vector256<float> alpha)
    {
        Vector256<float> e = Vector256.Exp(Vector256.Min(x, Vector256.Create(Threshold)));
        Vector256<float> n = e * (e + Vector256.Create(2f));
        return x * (n / (n + Vector256.Create(2f)));
    }

    /// <inheritdoc/>
    public static Vector512<float> Value(Vector512<float> x, Vector512<float> alpha)
    {
        Vector512<float> e = Vector512.Exp(Vector512.Min(x, Vector512.Create(Threshold)));
        Vector512<float> n = e * (e + Vector512.Create(2f));
        return x * (n / (n + Vector512.Create(2f)));
    }

    /// <inheritdoc/>
    public static float Derivative(float x, float alpha)
    {
        x = Math.Min(x, Threshold); // above it the last term is below 1e-15: f'(x) = 1
        float e = MathF.Exp(x);
        float n = e * (e + 2f);
        float d = n + 2f;
        float sig = e / (1f + e);
        return (n / d) + (x * sig * (4f * (n + 1f) / (d * d)));
    }

    /// <inheritdoc/>
    public static Vector256<float> Derivative(Vector256<float> x, Vector256<float> alpha)
    {
        x = Vector256.Min(x, Vector256.Create(Threshold)); // as the scalar path
        Vector256<float> e = Vector256.Exp(x);
        Vector256<float> n = e * (e + Vector256.Create(2f));
        Vector256<float> d = n + Vector256.Create(2f);
        Vector256<float> sig = e / (Vector256<float>.One + e);
        return (n / d) + (x * sig * (Vector256.Create(4f) * (n + Vector256<float>.One) / (d * d)));
    }

    /// <inheritdoc/>
    public static Vector512<float> Derivative(Vector512<float> x, Vector512<float> alpha)
    {
        x = Vector512.Min(x, Vector512.Create(Threshold)); // as the scalar path
        Vector512<float> e = Vector512.Exp(x);
        Vector512<float> n = e * (e + Vector512.Create(2f));
        Vector512<float> d = n + Vector512.Create(2f);
        Vector512<float> sig = e / (Vector512<float>.One + e);
        return (n / d) + (x * sig * (Vector512.Create(4f) * (n + Vector512<float>.One) / (d * d)));
    }
}
