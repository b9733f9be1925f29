using System;
using System.Buffers;

namespace FusedLayers.Kernels.Gemm;

/// <summary>
/// The vectorised fully connected kernels of one instruction-set path, all through <see cref="GemmWork{TPath}"/>:
/// <list type="bullet">
/// <item>forward <c>Y[N,O] = X W^T + b</c>: <c>A = X</c> (rows broadcast in place), <c>B = W^T</c> packed into
/// column-tile panels once per call (a transpose of <c>O(weights)</c>, small next to the <c>O(N * weights)</c> product);</item>
/// <item>input gradient <c>dX = dY W</c>: <c>A = dY</c> in place, <c>B = W</c> packed into panels (a copy);</item>
/// <item>weight gradient <c>dW += dY^T X</c>: <c>A = dY^T</c> packed into row-block panels (<c>O(N * O)</c>),
/// <c>B = X</c> packed into panels (<c>O(N * I)</c>); bias gradient = column sums of <c>dY</c> in float64.</item>
/// </list>
/// Packing <c>B</c> costs one pass over it and buys sequential, conflict-free tiles (a 256- or 1024-wide row-major
/// matrix would map every row of a tile to the same few L1 sets) and zero-padded edges.
/// </summary>
/// <typeparam name="TPath">The instruction-set path.</typeparam>
internal static unsafe class LinearEngine<TPath>
    where TPath : struct, IGemmPath
{
    /// <summary>Depth block: 256 steps of a 16-column panel are 16 KiB, which stay in L1 next to the rows of <c>A</c>.</summary>
    private const int DepthBlockTarget = 256;

    /// <summary>Forward pass with ReLU or per-feature statistics (two passes over the batch in float64, rows in order).</summary>
    public static void Forward(
        int threads, in LinearGeometry g, int batch, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, Activation activation, Span<float> mean, Span<float> variance)
    {
        int inF = g.InFeatures, outF = g.OutFeatures;
        if (batch > 0)
        {
            fixed (float* x = input)
            fixed (float* w = weight)
            fixed (float* b = bias)
            fixed (float* y = output)
            {
                // B(i, o) = W[o, i]: row stride 1, column stride inF.
                Multiply(threads, x, inF, 1, packA: false, batch, w, 1, inF, outF, inF, GemmEpilogue.Store, y, bias.IsEmpty ? null : b, activation);
            }
        }

        if (!mean.IsEmpty)
        {
            FeatureStatistics(batch, outF, output, mean, variance);
        }
    }

    /// <summary>Input gradient <c>dX = dY W</c>, overwriting <paramref name="gradInput"/>.</summary>
    public static void BackwardInput(
        int threads, in LinearGeometry g, int batch, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight, Span<float> gradInput)
    {
        int inF = g.InFeatures, outF = g.OutFeatures;
        if (batch == 0)
        {
            return;
        }

        fixed (float* dy = gradOutput)
        fixed (float* w = weight)
        fixed (float* dx = gradInput)
        {
            Multiply(threads, dy, outF, 1, packA: false, batch, w, inF, 1, inF, outF, GemmEpilogue.Store, dx, null, Activation.Identity);
        }
    }

    /// <summary>Accumulates <c>dW += dY^T X</c> and <c>db += column sums of dY</c>.</summary>
    public static void BackwardParameters(
        int threads, in LinearGeometry g, int batch, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight, Span<float> gradBias)
    {
        int inF = g.InFeatures, outF = g.OutFeatures;
        if (batch == 0)
        {
            return;
        }

        fixed (float* x = input)
        fixed (float* dy = gradOutput)
        fixed (float* dw = gradWeight)
        {
            // A(o, n) = dY[n, o]: row stride 1, column stride outF; B(n, i) = X[n, i].
            Multiply(threads, dy, 1, outF, packA: true, outF, x, inF, 1, inF, batch, GemmEpilogue.Accumulate, dw, null, Activation.Identity);
        }

        if (!gradBias.IsEmpty)
        {
            double[] sums = ArrayPool<double>.Shared.Rent(outF);
            try
            {
                fixed (float* dy = gradOutput)
                fixed (double* s = sums)
                {
                    new Span<double>(s, outF).Clear();
                    for (int n = 0; n < batch; n++)
                    {
                        TPath.AccumulateColumns(dy + ((nint)n * outF), s, outF);
                    }

                    for (int o = 0; o < outF; o++)
                    {
                        gradBias[o] += (float)s[o];
                    }
                }
            }
            finally
            {
                ArrayPool<double>.Shared.Return(sums);
            }
        }
    }

    /// <summary>
    /// <c>D (op)= A B</c> for <c>A(i, r) = a[i * aRowStride + r * aColumnStride]</c> (<paramref name="m"/> x <paramref name="k"/>,
    /// read in place or packed) and <c>B(r, j) = b[r * bRowStride + j * bColumnStride]</c> (<paramref name="k"/> x
    /// <paramref name="n"/>, packed into panels); <c>D</c> is row-major with row stride <paramref name="n"/>.
    /// </summary>
    internal static void Multiply(
        int threads, float* a, nint aRowStride, nint aColumnStride, bool packA, int m, float* b, nint bRowStride, nint bColumnStride,
        int n, int k, GemmEpilogue epilogue, float* destination, float* bias, Activation activation)
    {
        int ldc = GemmDriver<TPath>.PadColumns(n);
        float[] cArray = ArrayPool<float>.Shared.Rent(GemmDriver<TPath>.PadRows(m) * ldc);
        float[] bArray = ArrayPool<float>.Shared.Rent(GemmPacking<TPath>.BPackedLength(k, n));
        float[] aArray = ArrayPool<float>.Shared.Rent(packA ? GemmPacking<TPath>.APackedLength(m, k) : 0);
        int[] offsetArray = ArrayPool<int>.Shared.Rent(k);
        try
        {
            GemmPacking<TPath>.WritePanelOffsets(offsetArray, k);
            fixed (float* c = cArray)
            fixed (float* bp = bArray)
            fixed (float* ap = aArray)
            fixed (int* offsets = offsetArray)
            {
                GemmPacking<TPath>.PackBPanels(b, bRowStride, bColumnStride, k, n, bp);
                if (packA)
                {
                    GemmPacking<TPath>.PackAPanels(a, aRowStride, aColumnStride, m, k, ap);
                }

                var operands = new GemmOperands
                {
                    A = packA ? ap : a,
                    ARowStride = aRowStride,
                    AColumnStride = aColumnStride,
                    APanelStride = packA ? GemmPacking<TPath>.APanelStride(k) : 0,
                    M = m,
                    B = bp,
                    BOffsets = offsets,
                    BPanelStride = GemmPacking<TPath>.BPanelStride(k),
                    N = n,
                    K = k,
                    KBlock = GemmDriver<TPath>.DepthBlock(k, DepthBlockTarget),
                    C = c,
                    Ldc = ldc,
                };
                GemmWork<TPath>.Instance.Run(threads, operands, epilogue, destination, n, bias, activation);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(offsetArray);
            ArrayPool<float>.Shared.Return(aArray);
            ArrayPool<float>.Shared.Return(bArray);
            ArrayPool<float>.Shared.Return(cArray);
        }
    }

    /// <summary>Per-feature mean and biased variance over the batch: float64 column sums, then squared deviations, rows in order.</summary>
    private static void FeatureStatistics(int batch, int features, Span<float> output, Span<float> mean, Span<float> variance)
    {
        double[] array = ArrayPool<double>.Shared.Rent(2 * features);
        try
        {
            fixed (float* y = output)
            fixed (double* s = array)
            {
                double* m = s;
                double* m2 = s + features;
                new Span<double>(s, 2 * features).Clear();
                for (int n = 0; n < batch; n++)
                {
                    TPath.AccumulateColumns(y + ((nint)n * features), m, features);
                }

                for (int o = 0; o < features; o++)
                {
                    m[o] = batch > 0 ? m[o] / batch : 0;
                }

                for (int n = 0; n < batch; n++)
                {
                    TPath.AccumulateSquaredDeviations(y + ((nint)n * features), m, m2, features);
                }

                for (int o = 0; o < features; o++)
                {
                    mean[o] = (float)m[o];
                    variance[o] = batch > 0 ? (float)(m2[o] / batch) : 0f;
                }
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(array);
        }
    }
}
