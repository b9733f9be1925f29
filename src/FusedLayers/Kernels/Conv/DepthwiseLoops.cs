using System;
using System.Runtime.CompilerServices;

namespace FusedLayers.Kernels.Conv;

/// <summary>
/// The inner loops of the direct (depthwise) convolution over a <see cref="DepthwisePlane"/> buffer, vectorised
/// along output columns. The plane's output vectors ("units", rows padded to whole vectors) are taken eight at
/// a time whatever the row they sit in, so that even 7 x 7 or 14 x 14 planes keep eight independent
/// multiply-add chains in flight (two FMA pipes x four cycles of latency): each tap is one broadcast weight and
/// eight unaligned loads. The output goes to a scratch plane with padded rows, copied out afterwards. Every
/// output element is the same chain of fused multiply-adds over the taps in order whichever block computes it,
/// so results do not depend on the plane's shape or on threads.
/// </summary>
/// <typeparam name="TOps">The vector operations.</typeparam>
/// <typeparam name="TVector">The vector type.</typeparam>
internal static unsafe class DepthwiseLoops<TOps, TVector>
    where TOps : struct, IConvVectors<TVector>
    where TVector : unmanaged
{
    /// <summary>Units per block (independent accumulator chains).</summary>
    public const int Block = 8;

    /// <summary>
    /// <c>out[u * W + i] = init + sum_t w[t] * buffer[units[u] + taps[t] + i]</c> for every unit <c>u</c> (then ReLU when
    /// <paramref name="relu"/>), where <c>init</c> is <paramref name="bias"/>, or the current value when
    /// <paramref name="accumulate"/>. <paramref name="units"/> and <paramref name="output"/> cover
    /// <see cref="DepthwisePlane.PaddedUnitCount"/> units (the padding units repeat the last one and write past the plane).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Correlate(int unitCount, int kk, float* buffer, int* taps, int* units, float* weights, float* output, float bias, bool accumulate, bool relu)
    {
        int width = TOps.Width;
        TVector vb = TOps.Broadcast(bias);
        for (int u = 0; u < unitCount; u += Block)
        {
            float* s0 = buffer + units[u], s1 = buffer + units[u + 1], s2 = buffer + units[u + 2], s3 = buffer + units[u + 3];
            float* s4 = buffer + units[u + 4], s5 = buffer + units[u + 5], s6 = buffer + units[u + 6], s7 = buffer + units[u + 7];
            float* d = output + ((nint)u * width);
            TVector a0 = vb, a1 = vb, a2 = vb, a3 = vb, a4 = vb, a5 = vb, a6 = vb, a7 = vb;
            if (accumulate)
            {
                a0 = TOps.Load(d);
                a1 = TOps.Load(d + width);
                a2 = TOps.Load(d + (2 * width));
                a3 = TOps.Load(d + (3 * width));
                a4 = TOps.Load(d + (4 * width));
                a5 = TOps.Load(d + (5 * width));
                a6 = TOps.Load(d + (6 * width));
                a7 = TOps.Load(d + (7 * width));
            }

            for (int t = 0; t < kk; t++)
            {
                TVector w = TOps.Broadcast(weights[t]);
                nint o = taps[t];
                a0 = TOps.MultiplyAdd(TOps.Load(s0 + o), w, a0);
                a1 = TOps.MultiplyAdd(TOps.Load(s1 + o), w, a1);
                a2 = TOps.MultiplyAdd(TOps.Load(s2 + o), w, a2);
                a3 = TOps.MultiplyAdd(TOps.Load(s3 + o), w, a3);
                a4 = TOps.MultiplyAdd(TOps.Load(s4 + o), w, a4);
                a5 = TOps.MultiplyAdd(TOps.Load(s5 + o), w, a5);
                a6 = TOps.MultiplyAdd(TOps.Load(s6 + o), w, a6);
                a7 = TOps.MultiplyAdd(TOps.Load(s7 + o), w, a7);
            }

            if (relu)
            {
                a0 = TOps.Relu(a0);
                a1 = TOps.Relu(a1);
                a2 = TOps.Relu(a2);
                a3 = TOps.Relu(a3);
                a4 = TOps.Relu(a4);
                a5 = TOps.Relu(a5);
                a6 = TOps.Relu(a6);
                a7 = TOps.Relu(a7);
            }

            TOps.Store(a0, d);
            TOps.Store(a1, d + width);
            TOps.Store(a2, d + (2 * width));
            TOps.Store(a3, d + (3 * width));
            TOps.Store(a4, d + (4 * width));
            TOps.Store(a5, d + (5 * width));
            TOps.Store(a6, d + (6 * width));
            TOps.Store(a7, d + (7 * width));
        }
    }

    /// <summary>
    /// <c>sums[t] += sum_{u, i} dy[u * W + i] * buffer[units[u] + taps[t] + i]</c> for every tap: the weight gradient of one
    /// plane. <paramref name="dy"/> holds the output gradient with rows padded by zeros to
    /// <see cref="DepthwisePlane.PaddedOutWidth"/> and zero padding units, so the extra lanes add nothing.
    /// A block's eight gradient vectors stay in registers while every tap's chain runs over them; each tap sums in
    /// float32 vectors (<paramref name="accumulators"/>, <c>kk * W</c> floats, zeroed here) over the plane in unit
    /// order, then its lanes in float64.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TapDots(int unitCount, int kk, float* buffer, int* taps, int* units, float* dy, float* accumulators, double* sums)
    {
        int width = TOps.Width;
        new Span<float>(accumulators, kk * width).Clear();
        for (int u = 0; u < unitCount; u += Block)
        {
            float* s0 = buffer + units[u], s1 = buffer + units[u + 1], s2 = buffer + units[u + 2], s3 = buffer + units[u + 3];
            float* s4 = buffer + units[u + 4], s5 = buffer + units[u + 5], s6 = buffer + units[u + 6], s7 = buffer + units[u + 7];
            float* g = dy + ((nint)u * width);
            TVector g0 = TOps.Load(g), g1 = TOps.Load(g + width), g2 = TOps.Load(g + (2 * width)), g3 = TOps.Load(g + (3 * width));
            TVector g4 = TOps.Load(g + (4 * width)), g5 = TOps.Load(g + (5 * width)), g6 = TOps.Load(g + (6 * width)), g7 = TOps.Load(g + (7 * width));
            for (int t = 0; t < kk; t++)
            {
                nint o = taps[t];
                float* acc = accumulators + ((nint)t * width);
                // Two chains of four (the taps' chains are independent of each other, so they overlap too).
                TVector a = TOps.Load(acc);
                TVector b = TOps.Zero;
                a = TOps.MultiplyAdd(g0, TOps.Load(s0 + o), a);
                b = TOps.MultiplyAdd(g4, TOps.Load(s4 + o), b);
                a = TOps.MultiplyAdd(g1, TOps.Load(s1 + o), a);
                b = TOps.MultiplyAdd(g5, TOps.Load(s5 + o), b);
                a = TOps.MultiplyAdd(g2, TOps.Load(s2 + o), a);
                b = TOps.MultiplyAdd(g6, TOps.Load(s6 + o), b);
                a = TOps.MultiplyAdd(g3, TOps.Load(s3 + o), a);
                b = TOps.MultiplyAdd(g7, TOps.Load(s7 + o), b);
                TOps.Store(TOps.Add(a, b), acc);
            }
        }

        for (int t = 0; t < kk; t++)
        {
            sums[t] += TOps.SumLanes(TOps.Load(accumulators + ((nint)t * width)));
        }
    }

    /// <summary>Copies the <c>OutHeight x OutWidth</c> plane out of <paramref name="padded"/> (rows <see cref="DepthwisePlane.PaddedOutWidth"/> apart).</summary>
    public static void CopyOut(in DepthwisePlane plane, float* padded, float* y)
    {
        int ow = plane.OutWidth, pw = plane.PaddedOutWidth;
        if (ow == pw)
        {
            new ReadOnlySpan<float>(padded, plane.OutHeight * ow).CopyTo(new Span<float>(y, plane.OutHeight * ow));
            return;
        }

        for (int oy = 0; oy < plane.OutHeight; oy++)
        {
            new ReadOnlySpan<float>(padded + ((nint)oy * pw), ow).CopyTo(new Span<float>(y + ((nint)oy * ow), ow));
        }
    }
}
