using System;

namespace FusedLayers.Kernels;

/// <summary>Element-wise ReLU and its gradient.</summary>
public static class ActivationKernels
{
    /// <summary><c>y = max(0, x)</c>; <paramref name="y"/> may be <paramref name="x"/>.</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output, same length.</param>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            y[i] = v > 0f ? v : 0f;
        }
    }

    /// <summary>
    /// <c>gradInput = output &gt; 0 ? gradOutput : 0</c>, PyTorch's <c>threshold_backward</c> (the gradient at 0 is 0).
    /// </summary>
    /// <param name="gradOutput">Gradient of the output.</param>
    /// <param name="output">The forward output (the mask).</param>
    /// <param name="gradInput">Receives the gradient of the input; may be <paramref name="gradOutput"/>.</param>
    public static void ReluBackward(ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> output, Span<float> gradInput)
    {
        for (int i = 0; i < gradOutput.Length; i++)
        {
            gradInput[i] = output[i] > 0f ? gradOutput[i] : 0f;
        }
    }
}
