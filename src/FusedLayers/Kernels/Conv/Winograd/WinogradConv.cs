using System;
using System.Buffers;
using FusedLayers.Kernels.Gemm;

namespace FusedLayers.Kernels.Conv.Winograd;

/// <summary>
/// Winograd convolution (3x3, stride 1, dilation 1, one group, any padding) on one vector path: the weights are
/// transformed once per distinct weight values (<see cref="WinogradWeightCache"/>), then <see cref="WinogradWork{TPath, TTile}"/>
/// runs the tile batches with the bias / activation epilogue or the per-plane BatchNorm moments, merged here in the
/// same fixed order as the direct engine's (<see cref="ConvEngine{TPath}.MergePlaneMoments"/>).
/// </summary>
/// <typeparam name="TPath">The instruction-set path.</typeparam>
internal static unsafe class WinogradConv<TPath>
    where TPath : struct, IGemmPath
{
    /// <summary>
    /// Forward pass of variant <typeparamref name="TTile"/> (arguments checked by <see cref="Conv2dKernels"/>). Returns false,
    /// with the output and statistics unspecified, when the input holds a NaN or an infinity: the caller then runs the
    /// direct algorithm, whose non-finite values land exactly where the reference's do.
    /// </summary>
    public static bool Forward<TTile>(
        int threads, in Conv2dGeometry g, int batch, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, Activation activation, Span<float> mean, Span<float> variance)
        where TTile : struct, IWinogradTile
    {
        WinogradWeights u = WinogradWeightCache.Acquire<TTile>(TPath.Rows, g.OutChannels, g.InChannels, weight.Slice(0, g.WeightLength));
        bool statistics = !mean.IsEmpty;
        int planes = batch * g.OutChannels;
        int tileBatch = WinogradWork<TPath, TTile>.TileBatch(g);
        int[] offsetArray = ArrayPool<int>.Shared.Rent(g.InChannels);
        double[] momentArray = ArrayPool<double>.Shared.Rent(statistics ? 2 * planes : 0);
        bool finite;
        try
        {
            for (int ci = 0; ci < g.InChannels; ci++)
            {
                offsetArray[ci] = ci * tileBatch;
            }

            fixed (float* x = input)
            fixed (float* w = u.Transformed)
            fixed (float* b = bias)
            fixed (float* y = output)
            fixed (int* offsets = offsetArray)
            fixed (double* moments = momentArray)
            {
                finite = WinogradWork<TPath, TTile>.Instance.Run(
                    threads, g, batch, x, w, u.PositionStride, bias.IsEmpty ? null : b, y, offsets, activation,
                    statistics ? moments : null, statistics ? moments + planes : null);
            }

            if (finite && statistics)
            {
                ConvEngine<TPath>.MergePlaneMoments(momentArray, g.OutChannels, batch, g.OutputPlaneLength, mean, variance);
            }
        }
        finally
        {
            WinogradWeightCache.Release(u);
            ArrayPool<double>.Shared.Return(momentArray);
            ArrayPool<int>.Shared.Return(offsetArray);
        }

        return finite;
    }
}
