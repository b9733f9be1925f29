using System;
using System.Runtime.InteropServices;
using FusedLayers.Kernels.Gemm;

namespace FusedLayers.Kernels.Conv.Winograd;

/// <summary>
/// The transformed weights <c>U = G g G^T</c> of one convolution, in the layout the GEMM per transform position
/// reads: for position <c>pos</c> (of <c>alpha^2</c>), the <c>Cout x Cin</c> matrix packed in row-block panels
/// (see <see cref="GemmPacking{TPath}.PackAPanels"/>), <see cref="PositionStride"/> floats apart.
/// </summary>
internal sealed class WinogradWeights
{
    private WinogradWeights(int inputTile, int rows, int outChannels, int inChannels, float[] source, float[] transformed)
    {
        InputTile = inputTile;
        Rows = rows;
        OutChannels = outChannels;
        InChannels = inChannels;
        Source = source;
        Transformed = transformed;
    }

    /// <summary>Input tile side <c>alpha</c> of the variant.</summary>
    public int InputTile { get; }

    /// <summary>Micro-tile rows the panels are packed for.</summary>
    public int Rows { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>The weights this was transformed from (a private copy: the cache compares against it).</summary>
    public float[] Source { get; }

    /// <summary>The packed transformed weights.</summary>
    public float[] Transformed { get; }

    /// <summary>Calls using this entry right now (guarded by the cache's lock; an entry in use is never refilled or evicted).</summary>
    public int Users { get; set; }

    /// <summary>Floats between the packed matrices of consecutive positions.</summary>
    public int PositionStride => RowBlocks(OutChannels, Rows) * InChannels * Rows;

    /// <summary>Whether this entry was made for the same variant, packing, shape and weight values.</summary>
    public bool Matches(int inputTile, int rows, int outChannels, int inChannels, ReadOnlySpan<float> weight) =>
        InputTile == inputTile && Rows == rows && OutChannels == outChannels && InChannels == inChannels
        && MemoryMarshal.AsBytes(Source.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(weight));

    /// <summary>A new entry for <paramref name="weight"/> (<c>[Cout, Cin, 3, 3]</c>) transformed for variant <typeparamref name="TTile"/>.</summary>
    public static WinogradWeights Create<TTile>(int rows, int outChannels, int inChannels, ReadOnlySpan<float> weight)
        where TTile : struct, IWinogradTile
    {
        int alpha = TTile.InputTile;
        int stride = RowBlocks(outChannels, rows) * inChannels * rows;
        var entry = new WinogradWeights(alpha, rows, outChannels, inChannels, new float[weight.Length], new float[alpha * alpha * stride]);
        entry.Refill<TTile>(weight);
        return entry;
    }

    /// <summary>
    /// Makes this entry hold <paramref name="weight"/> (same variant and shape) without allocating: copies it and
    /// transforms it in float64, one rounding per value (the padding rows of the last panel stay zero).
    /// </summary>
    public unsafe void Refill<TTile>(ReadOnlySpan<float> weight)
        where TTile : struct, IWinogradTile
    {
        int alpha = TTile.InputTile, rows = Rows, inChannels = InChannels;
        int stride = PositionStride;
        weight.CopyTo(Source);
        float[] transformed = Transformed;
        double* column = stackalloc double[3 * 8];
        double* u = stackalloc double[8];
        for (int co = 0; co < OutChannels; co++)
        {
            int panel = (co / rows * inChannels * rows) + (co % rows);
            for (int ci = 0; ci < inChannels; ci++)
            {
                ReadOnlySpan<float> g = weight.Slice(((co * inChannels) + ci) * 9, 9);

                // Columns first (G g: alpha x 3), then each row of that (times G^T: alpha x alpha).
                for (int kx = 0; kx < 3; kx++)
                {
                    TTile.Filter(g[kx], g[3 + kx], g[6 + kx], u);
                    for (int i = 0; i < alpha; i++)
                    {
                        column[(i * 3) + kx] = u[i];
                    }
                }

                for (int i = 0; i < alpha; i++)
                {
                    TTile.Filter(column[i * 3], column[(i * 3) + 1], column[(i * 3) + 2], u);
                    for (int j = 0; j < alpha; j++)
                    {
                        transformed[(((i * alpha) + j) * stride) + panel + (ci * rows)] = (float)u[j];
                    }
                }
            }
        }
    }

    private static int RowBlocks(int m, int rows) => (m + rows - 1) / rows;
}
