using System;
using System.Buffers;
using FusedLayers.Kernels.Gemm;

namespace FusedLayers.Kernels.Conv;

/// <summary>
/// Depthwise convolutions (one input channel per group: <c>groups = Cin</c>, <c>Cout = m * Cin</c>) on a vector
/// path, computed directly instead of as a GEMM with depth <c>k * k</c>: each input plane is copied once into
/// a padded, phase-split buffer (<see cref="DepthwisePlane"/>) and its <c>m</c> output planes are correlated
/// from it, vectorised along output columns (<see cref="DepthwiseLoops{TOps, TVector}"/>), with the bias, the
/// activation or the plane's BatchNorm moments applied while the plane is in cache.
/// </summary>
/// <remarks>
/// <para>Forward and input gradient run one work item per (sample, input channel); the weight and bias
/// gradients one per input channel, looping over the samples in order, so every result is computed in the
/// same order whatever the thread count (bit-identical across runs and thread counts). The input gradient of
/// stride <c>s</c> correlates the output gradient spread <c>s</c> apart with the rotated kernel, which spends
/// <c>s * s</c> times the necessary multiply-adds (correct, not tuned for <c>s &gt; 1</c>).</para>
/// </remarks>
/// <typeparam name="TPath">The instruction-set path.</typeparam>
internal static unsafe class DepthwiseConv<TPath>
    where TPath : struct, IGemmPath
{
    /// <summary>Whether <paramref name="g"/> is depthwise (more than one group, one input channel per group).</summary>
    public static bool Applies(in Conv2dGeometry g) => ConvLoweringRule.Forward(g.InChannels, g.Groups, g.Stride) == ConvLoweringKind.Depthwise;

    /// <summary>Forward pass with the activation or statistics epilogue (arguments checked by <see cref="Conv2dKernels"/>).</summary>
    public static void Forward(
        int threads, in Conv2dGeometry g, int batch, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, Activation activation, Span<float> mean, Span<float> variance)
    {
        bool statistics = !mean.IsEmpty;
        int planes = batch * g.OutChannels;
        double[] momentArray = ArrayPool<double>.Shared.Rent(statistics ? 2 * planes : 0);
        try
        {
            fixed (float* x = input)
            fixed (float* w = weight)
            fixed (float* b = bias)
            fixed (float* y = output)
            fixed (double* moments = momentArray)
            {
                DepthwiseWork<TPath>.Instance.Forward(
                    threads, g, batch, x, w, bias.IsEmpty ? null : b, y, activation, statistics ? moments : null, statistics ? moments + planes : null);
            }

            if (statistics)
            {
                ConvEngine<TPath>.MergePlaneMoments(momentArray, g.OutChannels, batch, g.OutputPlaneLength, mean, variance);
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(momentArray);
        }
    }

    /// <summary>Input gradient, overwriting <paramref name="gradInput"/>.</summary>
    public static void BackwardInput(
        int threads, in Conv2dGeometry g, int batch, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight, Span<float> gradInput)
    {
        fixed (float* dy = gradOutput)
        fixed (float* w = weight)
        fixed (float* dx = gradInput)
        {
            DepthwiseWork<TPath>.Instance.BackwardInput(threads, g, batch, dy, w, dx);
        }
    }

    /// <summary>Weight (and bias) gradients, accumulated into the spans.</summary>
    public static void BackwardParameters(
        int threads, in Conv2dGeometry g, int batch, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight, Span<float> gradBias)
    {
        fixed (float* x = input)
        fixed (float* dy = gradOutput)
        fixed (float* dw = gradWeight)
        fixed (float* db = gradBias)
        {
            DepthwiseWork<TPath>.Instance.BackwardParameters(threads, g, batch, x, dy, dw, gradBias.IsEmpty ? null : db);
        }
    }
}
