using System;
using System.Runtime.CompilerServices;

namespace FusedLayers.Kernels.Conv;

/// <summary>
/// The inner loops of the direct (depthwise) convolution over a <see cref="DepthwisePlane"/> buffer, vectorised
/// along output columns: four vectors of one output row at a time, every tap one broadcast weight and one
/// unaligned load per vector. Each output element is the same chain of fused multiply-adds over the taps in
/// order whichever block computes it, so results do not depend on the row's width or on threads.
/// </summary>
/// <typeparam name="TOps">The vector operations.</typeparam>
/// <typeparam name="TVector">The vector type.</typeparam>
internal static unsafe class DepthwiseRows<TOps, TVector>
    where TOps : struct, IConvVectors<TVector>
    where TVector : unmanaged
{
    /// <summary>
    /// <c>y[oy, ox] = init + sum_t w[t] * buffer[oy * rowStep + taps[t] + ox]</c> for the plane's output, where
    /// <c>init</c> is <paramref name="bias"/>, or the current <c>y</c> when <paramref name="accumulate"/>; then ReLU
    /// when <paramref name="relu"/>. <paramref name="y"/> is <c>OutHeight x OutWidth</c>, row-major.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Correlate(in DepthwisePlane plane, float* buffer, int* taps, float* weights, float* y, float bias, bool accumulate, bool relu)
    {
        int width = TOps.Width, block = 4 * width, kk = plane.Kernel * plane.Kernel, oh = plane.OutHeight, ow = plane.OutWidth;
        nint rowStep = plane.OutputRowStep;
        TVector vb = TOps.Broadcast(bias);
        float* tail = stackalloc float[width];
        for (int oy = 0; oy < oh; oy++)
        {
            float* src = buffer + (oy * rowStep);
            float* dst = y + ((nint)oy * ow);
            int ox = 0;
            for (; ox <= ow - block; ox += block)
            {
                float* at = dst + ox;
                TVector a0 = accumulate ? TOps.Load(at) : vb;
                TVector a1 = accumulate ? TOps.Load(at + width) : vb;
                TVector a2 = accumulate ? TOps.Load(at + (2 * width)) : vb;
                TVector a3 = accumulate ? TOps.Load(at + (3 * width)) : vb;
                float* s = src + ox;
                for (int t = 0; t < kk; t++)
                {
                    TVector w = TOps.Broadcast(weights[t]);
                    float* p = s + taps[t];
                    a0 = TOps.MultiplyAdd(TOps.Load(p), w, a0);
                    a1 = TOps.MultiplyAdd(TOps.Load(p + width), w, a1);
                    a2 = TOps.MultiplyAdd(TOps.Load(p + (2 * width)), w, a2);
                    a3 = TOps.MultiplyAdd(TOps.Load(p + (3 * width)), w, a3);
                }

                TOps.Store(relu ? TOps.Relu(a0) : a0, at);
                TOps.Store(relu ? TOps.Relu(a1) : a1, at + width);
                TOps.Store(relu ? TOps.Relu(a2) : a2, at + (2 * width));
                TOps.Store(relu ? TOps.Relu(a3) : a3, at + (3 * width));
            }

            for (; ox <= ow - width; ox += width)
            {
                TOps.Store(Vector(src + ox, taps, weights, kk, accumulate ? TOps.Load(dst + ox) : vb, relu), dst + ox);
            }

            if (ox < ow)
            {
                // The last partial vector: computed whole (its reads stay inside the phase row), stored through a stack row.
                int rest = ow - ox;
                if (accumulate)
                {
                    new ReadOnlySpan<float>(dst + ox, rest).CopyTo(new Span<float>(tail, width));
                }

                TOps.Store(Vector(src + ox, taps, weights, kk, accumulate ? TOps.Load(tail) : vb, relu), tail);
                new ReadOnlySpan<float>(tail, rest).CopyTo(new Span<float>(dst + ox, rest));
            }
        }
    }

    /// <summary>
    /// <c>sums[t] += sum_{oy, ox} dy[oy * PaddedOutWidth + ox] * buffer[oy * rowStep + taps[t] + ox]</c> for every tap:
    /// the weight gradient of one plane. <paramref name="dy"/> holds the output gradient with rows padded by zeros to
    /// <see cref="DepthwisePlane.PaddedOutWidth"/>. Each tap sums in float32 vectors (four chains, fixed order), then
    /// its lanes in float64.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TapDots(in DepthwisePlane plane, float* buffer, int* taps, float* dy, double* sums)
    {
        int width = TOps.Width, kk = plane.Kernel * plane.Kernel, oh = plane.OutHeight, pw = plane.PaddedOutWidth;
        nint rowStep = plane.OutputRowStep;
        for (int t = 0; t < kk; t++)
        {
            TVector a0 = TOps.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (int oy = 0; oy < oh; oy++)
            {
                float* p = buffer + (oy * rowStep) + taps[t];
                float* g = dy + ((nint)oy * pw);
                int ox = 0;
                for (; ox <= pw - (4 * width); ox += 4 * width)
                {
                    a0 = TOps.MultiplyAdd(TOps.Load(g + ox), TOps.Load(p + ox), a0);
                    a1 = TOps.MultiplyAdd(TOps.Load(g + ox + width), TOps.Load(p + ox + width), a1);
                    a2 = TOps.MultiplyAdd(TOps.Load(g + ox + (2 * width)), TOps.Load(p + ox + (2 * width)), a2);
                    a3 = TOps.MultiplyAdd(TOps.Load(g + ox + (3 * width)), TOps.Load(p + ox + (3 * width)), a3);
                }

                for (; ox < pw; ox += width)
                {
                    a0 = TOps.MultiplyAdd(TOps.Load(g + ox), TOps.Load(p + ox), a0);
                }
            }

            sums[t] += TOps.SumLanes(TOps.Add(TOps.Add(a0, a1), TOps.Add(a2, a3)));
        }
    }

    private static TVector Vector(float* src, int* taps, float* weights, int kk, TVector acc, bool relu)
    {
        for (int t = 0; t < kk; t++)
        {
            acc = TOps.MultiplyAdd(TOps.Load(src + taps[t]), TOps.Broadcast(weights[t]), acc);
        }

        return relu ? TOps.Relu(acc) : acc;
    }
}
