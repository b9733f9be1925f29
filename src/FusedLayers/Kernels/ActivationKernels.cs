using System;

namespace FusedLayers.Kernels;

/// <summary>Element-wise ReLU and its gradient, on the context's ISA path.</summary>
public static class ActivationKernels
{
    /// <summary><c>y = max(0, x)</c>; <paramref name="y"/> may be <paramref name="x"/>.</summary>
    /// <param name="context">ISA path.</param>
    /// <param name="x">Input.</param>
    /// <param name="y">Output, same length.</param>
    public static void Relu(in KernelContext context, ReadOnlySpan<float> x, Span<float> y) => PlaneOps.Relu(context.Isa, x, y);

    /// <summary>
    /// <c>gradInput = output &gt; 0 ? gradOutput : 0</c>, PyTorch's <c>threshold_backward</c> (the gradient at 0 is 0).
    /// </summary>
    /// <param name="context">ISA path.</param>
    /// <param name="gradOutput">Gradient of the output.</param>
    /// <param name="output">The forward output (the mask).</param>
    /// <param name="gradInput">Receives the gradient of the input; may be <paramref name="gradOutput"/>.</param>
    public static void ReluBackward(in KernelContext context, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> output, Span<float> gradInput) =>
        PlaneOps.ReluBackward(context.Isa, gradOutput, output, gradInput);

    /// <summary><c>y = max(0, x)</c> on the portable path (kept for the portable convolution's epilogue).</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output, same length.</param>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y) => PlaneOps.Relu(KernelIsa.Scalar, x, y);
}
