using System;
using System.Buffers;
using FusedLayers.Execution;
using FusedLayers.Kernels.Gemm;

namespace FusedLayers.Kernels.Conv;

/// <summary>
/// The vectorised convolution kernels of one instruction-set path: argument checks are done by
/// <see cref="Conv2dKernels"/>; this pins the spans, rents scratch from <see cref="ArrayPool{T}.Shared"/>
/// (nothing is allocated in steady state), runs the parallel tiles and combines their results in a fixed
/// order. Grouped convolutions run one GEMM per (sample, channel group); depthwise ones (one input channel
/// per group) go to the direct kernels of <see cref="DepthwiseConv{TPath}"/> instead of a GEMM with
/// <c>K = k * k</c>.
/// </summary>
/// <typeparam name="TPath">The instruction-set path.</typeparam>
internal static unsafe class ConvEngine<TPath>
    where TPath : struct, IGemmPath
{
    /// <summary>Forward pass with the activation or statistics epilogue (see <see cref="Conv2dKernels.Forward(in KernelContext, in Conv2dGeometry, int, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, bool, Span{float}, Span{float})"/>).</summary>
    public static void Forward(
        int threads, in Conv2dGeometry g, int batch, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, Activation activation, Span<float> mean, Span<float> variance)
    {
        if (DepthwiseConv<TPath>.Applies(g))
        {
            DepthwiseConv<TPath>.Forward(threads, g, batch, input, weight, bias, output, activation, mean, variance);
            return;
        }

        // Fewer (sample, group) units than threads and no statistics: bands of output rows are the parallel work
        // (ConvGemmWork.BandSplit), so ask for at least enough bands to give every thread one.
        bool statistics = !mean.IsEmpty;
        int units = batch * g.Groups;
        int minBands = ConvGemmWork<TPath>.BandSplit(threads, units, statistics) ? (threads + units - 1) / units : 1;
        ConvLowering lowering = ConvLowering.Forward(g, TPath.Width, threads, minBands);
        int planes = batch * g.OutChannels;
        int[] offsetArray = ArrayPool<int>.Shared.Rent(lowering.Depth);
        double[] momentArray = ArrayPool<double>.Shared.Rent(statistics ? 2 * planes : 0);
        try
        {
            lowering.WriteRowOffsets(offsetArray);
            fixed (float* x = input)
            fixed (float* w = weight)
            fixed (float* b = bias)
            fixed (float* y = output)
            fixed (int* offsets = offsetArray)
            fixed (double* moments = momentArray)
            {
                ConvGemmWork<TPath>.Instance.Run(
                    threads, lowering, g.OutChannels, g.Groups, batch, x, w, bias.IsEmpty ? null : b, y, offsets, activation,
                    statistics ? moments : null, statistics ? moments + planes : null);
            }

            if (statistics)
            {
                MergePlaneMoments(momentArray, g.OutChannels, batch, g.OutputPlaneLength, mean, variance);
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(momentArray);
            ArrayPool<int>.Shared.Return(offsetArray);
        }
    }

    /// <summary>
    /// Input gradient, overwriting <paramref name="gradInput"/>: for a strided ungrouped layer a GEMM and a col2im
    /// (<see cref="ConvColumnBackward{TPath}"/>); otherwise the forward engine on the spread, padded output gradient with
    /// rotated weights, per channel group.
    /// </summary>
    public static void BackwardInput(
        int threads, in Conv2dGeometry g, int batch, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight, Span<float> gradInput)
    {
        if (DepthwiseConv<TPath>.Applies(g))
        {
            DepthwiseConv<TPath>.BackwardInput(threads, g, batch, gradOutput, weight, gradInput);
            return;
        }

        if (ConvColumnBackward<TPath>.Applies(g))
        {
            ConvColumnBackward<TPath>.BackwardInput(threads, g, batch, gradOutput, weight, gradInput);
            return;
        }

        ConvLowering lowering = ConvLowering.BackwardInput(g, TPath.Width, threads);
        int k = g.KernelSize, kk = k * k, cin = g.InChannels, groupIn = g.GroupInChannels, groupOut = g.GroupOutChannels;
        int[] offsetArray = ArrayPool<int>.Shared.Rent(lowering.Depth);
        float[] rotatedArray = ArrayPool<float>.Shared.Rent(g.WeightLength);
        try
        {
            lowering.WriteRowOffsets(offsetArray);

            // rotated[ci, j, ky, kx] = weight[g * Cout/G + j, ci - g * Cin/G, k-1-ky, k-1-kx] for ci in group g:
            // row ci is the transposed convolution's filter over its group's output channels.
            Span<float> rotated = rotatedArray.AsSpan(0, g.WeightLength);
            for (int co = 0; co < g.OutChannels; co++)
            {
                int group = co / groupOut;
                for (int i = 0; i < groupIn; i++)
                {
                    int ci = (group * groupIn) + i;
                    ReadOnlySpan<float> src = weight.Slice(((co * groupIn) + i) * kk, kk);
                    Span<float> dst = rotated.Slice(((ci * groupOut) + (co - (group * groupOut))) * kk, kk);
                    for (int t = 0; t < kk; t++)
                    {
                        dst[kk - 1 - t] = src[t];
                    }
                }
            }

            fixed (float* dz = gradOutput)
            fixed (float* w = rotatedArray)
            fixed (float* dx = gradInput)
            fixed (int* offsets = offsetArray)
            {
                ConvGemmWork<TPath>.Instance.Run(threads, lowering, cin, g.Groups, batch, dz, w, null, dx, offsets, Activation.Identity, null, null);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rotatedArray);
            ArrayPool<int>.Shared.Return(offsetArray);
        }
    }

    /// <summary>Weight (and bias) gradients, accumulated into the spans.</summary>
    public static void BackwardParameters(
        int threads, in Conv2dGeometry g, int batch, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight, Span<float> gradBias)
    {
        if (batch == 0)
        {
            return;
        }

        if (DepthwiseConv<TPath>.Applies(g))
        {
            DepthwiseConv<TPath>.BackwardParameters(threads, g, batch, input, gradOutput, gradWeight, gradBias);
            return;
        }

        ConvLowering lowering = ConvLowering.Forward(g, TPath.Width, threads);
        int cout = g.OutChannels;
        int convGroups = g.Groups;
        int groupOut = g.GroupOutChannels;
        int outPad = GemmDriver<TPath>.PadColumns(groupOut);
        int depth = lowering.Depth;
        int depthPad = GemmDriver<TPath>.PadRows(depth);
        int groups = ConvWeightGradWork<TPath>.GroupCount(batch, threads, lowering.TotalOutHeight * lowering.OutWidth);
        int partialLength = groups * convGroups * depthPad * outPad;
        bool hasBias = !gradBias.IsEmpty;
        int[] intOffsets = ArrayPool<int>.Shared.Rent(depth);
        nint[] tapArray = ArrayPool<nint>.Shared.Rent(depth);
        int[] dzOffsetArray = ArrayPool<int>.Shared.Rent(lowering.MaxPaddedColumns);
        double[] partialArray = ArrayPool<double>.Shared.Rent(partialLength);
        double[] biasArray = ArrayPool<double>.Shared.Rent(hasBias ? groups * cout : 0);
        try
        {
            lowering.WriteRowOffsets(intOffsets);
            for (int t = 0; t < depth; t++)
            {
                tapArray[t] = intOffsets[t];
            }

            GemmPacking<TPath>.WritePanelOffsets(dzOffsetArray, lowering.MaxPaddedColumns);

            Span<double> partials = partialArray.AsSpan(0, partialLength);
            partials.Clear();
            Span<double> biasPartials = biasArray.AsSpan(0, hasBias ? groups * cout : 0);
            biasPartials.Clear();
            fixed (float* x = input)
            fixed (float* dz = gradOutput)
            fixed (nint* taps = tapArray)
            fixed (int* dzOffsets = dzOffsetArray)
            fixed (double* partial = partialArray)
            fixed (double* biasPartial = biasArray)
            {
                ConvWeightGradWork<TPath>.Instance.Run(
                    threads, lowering, cout, convGroups, outPad, batch, x, dz, taps, dzOffsets, partial, hasBias ? biasPartial : null);
            }

            // Fixed-order combination: sample groups in index order, then one rounding to float. The partials are
            // [tap][channel] and the gradient [channel][tap], so both are walked in 32 x 32 blocks that stay in cache
            // (channel by channel over the taps, a 4 KiB stride for 512 channels, missed on every read).
            const int Block = 32;
            for (int co0 = 0; co0 < cout; co0 += Block)
            {
                int coEnd = Math.Min(cout, co0 + Block);
                for (int t0 = 0; t0 < depth; t0 += Block)
                {
                    int tEnd = Math.Min(depth, t0 + Block);
                    for (int co = co0; co < coEnd; co++)
                    {
                        Span<float> row = gradWeight.Slice(co * depth, depth);
                        int convGroup = co / groupOut, column = co - (convGroup * groupOut);
                        for (int t = t0; t < tEnd; t++)
                        {
                            double sum = 0;
                            for (int gi = 0; gi < groups; gi++)
                            {
                                sum += partials[(((((gi * convGroups) + convGroup) * depthPad) + t) * outPad) + column];
                            }

                            row[t] += (float)sum;
                        }
                    }
                }
            }

            for (int co = 0; co < cout; co++)
            {
                if (hasBias)
                {
                    double sum = 0;
                    for (int gi = 0; gi < groups; gi++)
                    {
                        sum += biasPartials[(gi * cout) + co];
                    }

                    gradBias[co] += (float)sum;
                }
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(biasArray);
            ArrayPool<double>.Shared.Return(partialArray);
            ArrayPool<int>.Shared.Return(dzOffsetArray);
            ArrayPool<nint>.Shared.Return(tapArray);
            ArrayPool<int>.Shared.Return(intOffsets);
        }
    }

    /// <summary>
    /// Chan et al.'s merge of per-plane (mean, M2) pairs, channel by channel in sample order, then mean and
    /// biased variance. The order is fixed, so the statistics do not depend on threads or scheduling.
    /// </summary>
    internal static void MergePlaneMoments(double[] moments, int channels, int batch, int planeLength, Span<float> mean, Span<float> variance)
    {
        int planes = batch * channels;
        for (int c = 0; c < channels; c++)
        {
            double m = 0, m2 = 0;
            long count = 0;
            for (int n = 0; n < batch; n++)
            {
                double blockMean = moments[(n * channels) + c];
                double blockM2 = moments[planes + (n * channels) + c];
                long total = count + planeLength;
                double delta = blockMean - m;
                m += delta * planeLength / total;
                m2 += blockM2 + (delta * delta * count * planeLength / total);
                count = total;
            }

            mean[c] = (float)m;
            variance[c] = count > 0 ? (float)(m2 / count) : 0f;
        }
    }
}
