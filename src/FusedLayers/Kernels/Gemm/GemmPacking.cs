using System;

namespace FusedLayers.Kernels.Gemm;

/// <summary>
/// Packing of dense operands into the panel layouts the micro-kernel streams best, and the cache-friendly
/// strides of the unpacked buffers. A panel of <c>B</c> is one column tile (<c>MaxVectors * Width</c> floats)
/// wide with its <c>K</c> rows contiguous; a panel of <c>A</c> is one row block (<c>Rows</c>) with the
/// <c>Rows</c> values of each step contiguous. Both are zero-padded, so edge tiles need no special code, and
/// both are read strictly sequentially, so a row stride that is a power of two (a 256-wide layer, a 64-channel
/// transposed gradient) cannot make the rows of a tile collide in a few L1 sets.
/// </summary>
/// <typeparam name="TPath">The instruction-set path.</typeparam>
internal static unsafe class GemmPacking<TPath>
    where TPath : struct, IGemmPath
{
    /// <summary>Floats of one packed panel of <c>B</c> with <paramref name="k"/> rows.</summary>
    public static nint BPanelStride(int k) => (nint)k * GemmDriver<TPath>.TileWidth;

    /// <summary>Floats of all packed panels of a <paramref name="k"/> x <paramref name="n"/> <c>B</c>.</summary>
    public static int BPackedLength(int k, int n) => GemmDriver<TPath>.TileCount(n) * k * GemmDriver<TPath>.TileWidth;

    /// <summary>Floats of one packed panel of <c>A</c> with <paramref name="k"/> steps.</summary>
    public static nint APanelStride(int k) => (nint)k * TPath.Rows;

    /// <summary>Floats of all packed panels of an <paramref name="m"/> x <paramref name="k"/> <c>A</c>.</summary>
    public static int APackedLength(int m, int k) => GemmDriver<TPath>.RowBlockCount(m) * k * TPath.Rows;

    /// <summary>Writes <c>offsets[k] = k * TileWidth</c>, the row offsets inside a <c>B</c> panel.</summary>
    public static void WritePanelOffsets(Span<int> offsets, int k)
    {
        int width = GemmDriver<TPath>.TileWidth;
        for (int r = 0; r < k; r++)
        {
            offsets[r] = r * width;
        }
    }

    /// <summary>
    /// Packs <c>B(r, j) = source[r * rowStride + j * columnStride]</c> (<paramref name="k"/> x <paramref name="n"/>)
    /// into panels of <paramref name="destination"/> (<see cref="BPackedLength"/> floats).
    /// </summary>
    public static void PackBPanels(float* source, nint rowStride, nint columnStride, int k, int n, float* destination)
    {
        int width = GemmDriver<TPath>.TileWidth;
        int tiles = GemmDriver<TPath>.TileCount(n);
        for (int t = 0; t < tiles; t++)
        {
            int j0 = t * width;
            int valid = Math.Min(width, n - j0);
            float* panel = destination + (t * BPanelStride(k));
            if (columnStride == 1)
            {
                for (int r = 0; r < k; r++)
                {
                    float* dst = panel + ((nint)r * width);
                    new ReadOnlySpan<float>(source + (r * rowStride) + j0, valid).CopyTo(new Span<float>(dst, valid));
                    new Span<float>(dst + valid, width - valid).Clear();
                }
            }
            else if (rowStride == 1)
            {
                // B is the transpose of a row-major matrix (W^T of a linear layer): 8 x 8 register transposes.
                if (valid < width)
                {
                    new Span<float>(panel, k * width).Clear();
                }

                Transposer.Transpose(source + (j0 * columnStride), columnStride, panel, width, valid, k);
            }
            else
            {
                for (int r = 0; r < k; r++)
                {
                    float* dst = panel + ((nint)r * width);
                    for (int jj = 0; jj < width; jj++)
                    {
                        dst[jj] = jj < valid ? source[(r * rowStride) + ((j0 + jj) * columnStride)] : 0f;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Packs <c>A(i, r) = source[i * rowStride + r * columnStride]</c> (<paramref name="m"/> x <paramref name="k"/>)
    /// into row-block panels of <paramref name="destination"/> (<see cref="APackedLength"/> floats).
    /// </summary>
    public static void PackAPanels(float* source, nint rowStride, nint columnStride, int m, int k, float* destination)
    {
        int rows = TPath.Rows;
        int blocks = GemmDriver<TPath>.RowBlockCount(m);
        for (int b = 0; b < blocks; b++)
        {
            float* panel = destination + (b * APanelStride(k));
            int valid = Math.Min(rows, m - (b * rows));
            for (int r = 0; r < k; r++)
            {
                float* src = source + (b * rows * rowStride) + (r * columnStride);
                float* dst = panel + ((nint)r * rows);
                for (int i = 0; i < valid; i++)
                {
                    dst[i] = src[i * rowStride];
                }

                for (int i = valid; i < rows; i++)
                {
                    dst[i] = 0f;
                }
            }
        }
    }
}
