using System;
using System.Buffers;
using FusedLayers.Kernels.Gemm;

namespace FusedLayers.Kernels.Conv;

/// <summary>
/// The input gradient of a strided, ungrouped convolution as a GEMM and a col2im: per sample,
/// <c>dcol[Cin k k x Ho Wo] = W^T dY</c>, then every row of <c>dcol</c> is added back to the input positions its tap
/// reads (<c>dx[ci, oy s - p + d ky, ox s - p + d kx] += dcol[(ci, ky, kx), (oy, ox)]</c>).
/// <para>
/// The alternative the engine uses for stride 1, a stride-1 convolution of the output gradient spread by the stride,
/// multiplies <c>s^2 - 1</c> zeros for every value (75% of its work at stride 2) and, for a layer with few input
/// channels such as ResNet's 3-channel stem, runs a GEMM with 3 rows. Here the GEMM has the forward's size with the
/// roles of its dimensions changed (<c>Cin k k</c> rows, <c>Cout</c> deep), and the col2im is one add per element of
/// <c>dcol</c>, in a fixed order, so results do not depend on the thread count.
/// </para>
/// </summary>
/// <typeparam name="TPath">The instruction-set path.</typeparam>
internal static unsafe class ConvColumnBackward<TPath>
    where TPath : struct, IGemmPath
{
    /// <summary>Whether this form computes the input gradient of <paramref name="g"/>: stride above 1, one group.</summary>
    public static bool Applies(in Conv2dGeometry g) => g.Stride > 1 && g.Groups == 1;

    /// <summary>Input gradient, overwriting <paramref name="gradInput"/> (see the type).</summary>
    public static void BackwardInput(
        int threads, in Conv2dGeometry g, int batch, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight, Span<float> gradInput)
    {
        int depth = g.InChannels * g.KernelSize * g.KernelSize;
        int positions = g.OutHeight * g.OutWidth;
        int cout = g.OutChannels;
        gradInput.Slice(0, batch * g.InputSampleLength).Clear();
        if (batch == 0 || positions == 0)
        {
            return;
        }

        float[] columnArray = ArrayPool<float>.Shared.Rent(depth * positions);
        try
        {
            fixed (float* w = weight)
            fixed (float* dy = gradOutput)
            fixed (float* dx = gradInput)
            fixed (float* columns = columnArray)
            {
                for (int n = 0; n < batch; n++)
                {
                    // A(r, co) = W[co, r]: row stride 1, column stride depth; B(co, q) = dY[n, co, q].
                    LinearEngine<TPath>.Multiply(
                        threads, w, 1, depth, packA: true, depth, dy + ((long)n * cout * positions), positions, 1, positions, cout,
                        GemmEpilogue.Store, columns, null, Activation.Identity);
                    ColumnsToImage(g, columns, dx + ((long)n * g.InputSampleLength));
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(columnArray);
        }
    }

    /// <summary>Adds each row of <paramref name="columns"/> (<c>Cin k k x Ho Wo</c>) to the input positions its tap reads.</summary>
    private static void ColumnsToImage(in Conv2dGeometry g, float* columns, float* dx)
    {
        int k = g.KernelSize, s = g.Stride, p = g.Padding, d = g.Dilation, h = g.InHeight, w = g.InWidth, oh = g.OutHeight, ow = g.OutWidth;
        int positions = oh * ow;
        for (int c = 0; c < g.InChannels; c++)
        {
            float* plane = dx + ((long)c * h * w);
            for (int ky = 0; ky < k; ky++)
            {
                for (int kx = 0; kx < k; kx++)
                {
                    float* row = columns + ((long)((((c * k) + ky) * k) + kx) * positions);

                    // Output columns whose tap lies inside the row: 0 <= ox * s + shift < w.
                    int shift = (d * kx) - p;
                    int oxLo = Math.Min(ow, shift >= 0 ? 0 : (-shift + s - 1) / s);
                    int oxHi = Math.Max(oxLo, w - 1 - shift < 0 ? 0 : Math.Min(ow, ((w - 1 - shift) / s) + 1));
                    for (int oy = 0; oy < oh; oy++)
                    {
                        int iy = (oy * s) - p + (d * ky);
                        if ((uint)iy >= (uint)h)
                        {
                            continue;
                        }

                        float* target = plane + ((long)iy * w) + shift;
                        float* source = row + ((long)oy * ow);
                        for (int ox = oxLo; ox < oxHi; ox++)
                        {
                            target[ox * s] += source[ox];
                        }
                    }
                }
            }
        }
    }
}
