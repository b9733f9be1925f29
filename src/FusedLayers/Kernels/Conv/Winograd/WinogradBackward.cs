using System;
using System.Buffers;
using FusedLayers.Kernels.Gemm;

namespace FusedLayers.Kernels.Conv.Winograd;

/// <summary>
/// The input gradient of a 3x3, stride-1, dilation-1, ungrouped convolution through the Winograd forward engine: it is
/// itself such a convolution, of the output gradient padded by <c>2 - p</c>, with the kernel rotated 180 degrees and the
/// channel roles swapped (<c>w'[ci, co, ky, kx] = w[co, ci, 2 - ky, 2 - kx]</c>), whose output is exactly <c>H x W</c>.
/// Paddings above 2 (a cropping transposed convolution) are left to the direct engine.
/// </summary>
internal static class WinogradBackward
{
    /// <summary>The forward geometry of the input gradient of <paramref name="g"/>, or null when the padding is above 2.</summary>
    public static Conv2dGeometry? Geometry(in Conv2dGeometry g) =>
        g.Padding <= 2 ? new Conv2dGeometry(g.OutChannels, g.InChannels, g.OutHeight, g.OutWidth, 3, 1, 2 - g.Padding) : null;

    /// <summary>
    /// Writes <paramref name="gradInput"/> with variant <typeparamref name="TTile"/> on path <typeparamref name="TPath"/>;
    /// false (output unspecified) when the output gradient holds a NaN or an infinity, for the direct engine to redo.
    /// </summary>
    public static bool Run<TPath, TTile>(
        int threads, in Conv2dGeometry g, in Conv2dGeometry transposed, int batch, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight, Span<float> gradInput)
        where TPath : struct, IGemmPath
        where TTile : struct, IWinogradTile
    {
        int cin = g.InChannels, cout = g.OutChannels;
        float[] rotatedArray = ArrayPool<float>.Shared.Rent(g.WeightLength);
        try
        {
            Span<float> rotated = rotatedArray.AsSpan(0, g.WeightLength);
            for (int co = 0; co < cout; co++)
            {
                for (int ci = 0; ci < cin; ci++)
                {
                    ReadOnlySpan<float> src = weight.Slice(((co * cin) + ci) * 9, 9);
                    Span<float> dst = rotated.Slice(((ci * cout) + co) * 9, 9);
                    for (int t = 0; t < 9; t++)
                    {
                        dst[8 - t] = src[t];
                    }
                }
            }

            return WinogradConv<TPath>.Forward<TTile>(threads, transposed, batch, gradOutput, rotated, default, gradInput, Activation.Identity, default, default);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rotatedArray);
        }
    }
}
