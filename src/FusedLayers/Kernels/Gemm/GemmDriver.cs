using System;

namespace FusedLayers.Kernels.Gemm;

/// <summary>
/// The operands of one GEMM <c>C[M x N] (+)= A[M x K] B[K x N]</c> as the micro-kernel reads them (see
/// <see cref="IGemmPath"/>). Plain pointers: the caller pins everything for the duration of the call.
/// </summary>
internal unsafe struct GemmOperands
{
    /// <summary>Base of <c>A</c>.</summary>
    public float* A;

    /// <summary>Offset of row <c>i</c> of <c>A</c> (length <see cref="M"/>), or null for <c>i * ARowStride</c>.</summary>
    public nint* ARowOffsets;

    /// <summary>Row stride of <c>A</c> when <see cref="ARowOffsets"/> is null.</summary>
    public nint ARowStride;

    /// <summary>Distance between <c>A(i, k)</c> and <c>A(i, k + 1)</c>.</summary>
    public nint AColumnStride;

    /// <summary>
    /// When non-zero, <c>A</c> is packed in panels (see <see cref="GemmPacking{TPath}.PackAPanels"/>): row block <c>b</c>
    /// starts at <c>A + b * APanelStride</c>, holds <c>Rows</c> values per step and <see cref="AColumnStride"/> is ignored.
    /// </summary>
    public nint APanelStride;

    /// <summary>Rows of <c>A</c> and <c>C</c>. Rows past <c>M</c> in the last micro-tile re-read row <c>M - 1</c> (or a zero panel row); <c>C</c> needs <c>roundup(M, Rows)</c> rows.</summary>
    public int M;

    /// <summary>Base of <c>B</c>: row <c>k</c>, column <c>j</c> is <c>B[BOffsets[k] + j]</c> (or, with panels, see <see cref="BPanelStride"/>).</summary>
    public float* B;

    /// <summary>Row offsets of <c>B</c> (length <see cref="K"/>), or of one panel.</summary>
    public int* BOffsets;

    /// <summary>
    /// When non-zero, <c>B</c> is packed in panels one tile wide (see <see cref="GemmPacking{TPath}"/>): tile <c>t</c> reads
    /// <c>B[t * BPanelStride + BOffsets[k] + j']</c>. Panels keep a tile's rows contiguous, so they never collide in
    /// the cache the way rows of a power-of-two leading dimension do. Otherwise <c>B</c> must be readable
    /// <c>roundup(N, Width)</c> columns wide.
    /// </summary>
    public nint BPanelStride;

    /// <summary>Columns to compute. Tiles are <c>MaxVectors * Width</c> wide; the last one is rounded up to whole vectors, so <c>C</c> needs <c>roundup(N, Width)</c> columns.</summary>
    public int N;

    /// <summary>Depth of the product.</summary>
    public int K;

    /// <summary>Depth block: <c>C</c> is finished over <c>K</c> in chunks of this many steps, so a tile of <c>B</c> stays in L1.</summary>
    public int KBlock;

    /// <summary>Base of <c>C</c>.</summary>
    public float* C;

    /// <summary>Row stride of <c>C</c>.</summary>
    public nint Ldc;

    /// <summary>Add to <c>C</c> instead of overwriting it.</summary>
    public bool Accumulate;
}

/// <summary>
/// Walks a GEMM in micro-tiles (see <see cref="Run"/> for the loop order and why). Each element of <c>C</c> is
/// produced by one micro-tile with a fixed order over <c>k</c>, so results do not depend on how callers split
/// the tiles across threads.
/// </summary>
/// <typeparam name="TPath">The instruction-set path.</typeparam>
internal static unsafe class GemmDriver<TPath>
    where TPath : struct, IGemmPath
{
    /// <summary>Columns per full tile.</summary>
    public static int TileWidth => TPath.MaxVectors * TPath.Width;

    /// <summary>Number of column tiles for <paramref name="n"/> columns.</summary>
    public static int TileCount(int n) => (n + TileWidth - 1) / TileWidth;

    /// <summary>Number of row blocks for <paramref name="m"/> rows.</summary>
    public static int RowBlockCount(int m) => (m + TPath.Rows - 1) / TPath.Rows;

    /// <summary>Rounds <paramref name="m"/> up to whole micro-tile rows.</summary>
    public static int PadRows(int m) => RowBlockCount(m) * TPath.Rows;

    /// <summary>Rounds <paramref name="n"/> up to whole vectors.</summary>
    public static int PadColumns(int n) => (n + TPath.Width - 1) / TPath.Width * TPath.Width;

    /// <summary>
    /// A depth block near <paramref name="target"/> that splits <paramref name="depth"/> evenly (576 = 3 x 192), so a
    /// micro-tile's rows of <c>B</c> and <c>A</c> fit L1 together.
    /// </summary>
    public static int DepthBlock(int depth, int target)
    {
        int chunks = (depth + target - 1) / target;
        return chunks <= 1 ? depth : (depth + chunks - 1) / chunks;
    }

    /// <summary>
    /// Computes row blocks <c>[blockStart, blockEnd)</c> times column tiles <c>[tileStart, tileEnd)</c> of <c>C</c>.
    /// Loop order (outer to inner): bands of tiles whose block of <c>C</c> fits L2 (~128 KiB), depth blocks,
    /// tiles, row blocks. Within a depth block one tile of <c>B</c> is reused from L1 by every row block; the
    /// partial tiles of <c>C</c> a depth block leaves behind are picked up again from L2, not from memory.
    /// A shallow depth (at most 64 steps, e.g. a 3-channel 3 x 3 convolution) swaps the two inner loops and
    /// hands the band's tiles to one micro-kernel call per row block, so the call setup is paid once per band.
    /// </summary>
    public static void Run(in GemmOperands p, int blockStart, int blockEnd, int tileStart, int tileEnd)
    {
        const int MaxPrecomputedBlocks = 256;
        const int ShallowDepth = 64;
        int rows = TPath.Rows;
        int width = TPath.Width;
        int tileWidth = TileWidth;
        int kBlock = p.KBlock > 0 ? p.KBlock : p.K;
        int blocks = blockEnd - blockStart;
        int bandTiles = Math.Max(1, (128 * 1024) / (Math.Max(1, blocks) * rows * tileWidth * sizeof(float)));
        bool panelA = p.APanelStride != 0;
        nint aColumnStride = panelA ? rows : p.AColumnStride;

        // Row offsets of A per row block, computed once (rows past M re-read row M - 1).
        bool precomputed = blocks <= MaxPrecomputedBlocks;
        nint* offsetTable = stackalloc nint[rows * (precomputed ? Math.Max(1, blocks) : 1)];
        if (precomputed)
        {
            for (int block = blockStart; block < blockEnd; block++)
            {
                RowOffsets(p, block, offsetTable + ((block - blockStart) * rows));
            }
        }

        for (int band = tileStart; band < tileEnd; band += bandTiles)
        {
            int bandEnd = Math.Min(tileEnd, band + bandTiles);
            int k0 = 0;
            do
            {
                int kc = Math.Min(kBlock, p.K - k0);
                bool accumulate = p.Accumulate || k0 > 0;
                int* bOffsets = p.BOffsets + k0;
                if (kc <= ShallowDepth && p.BPanelStride == 0)
                {
                    // Shallow product: row blocks outside, and the band's full tiles in one micro-kernel call
                    // (B here is a padded plane, so consecutive tiles are consecutive columns).
                    int fullEnd = Math.Min(bandEnd, p.N / tileWidth);
                    for (int block = blockStart; block < blockEnd; block++)
                    {
                        nint* rowOffsets = BlockRowOffsets(p, offsetTable, precomputed, block, blockStart);
                        float* a = (panelA ? p.A + (block * p.APanelStride) : p.A) + (k0 * aColumnStride);
                        float* c = p.C + (block * rows * p.Ldc);
                        if (fullEnd > band)
                        {
                            int j = band * tileWidth;
                            TPath.MicroTile(TPath.MaxVectors, fullEnd - band, a, rowOffsets, aColumnStride, p.B + j, bOffsets, kc, c + j, p.Ldc, accumulate);
                        }

                        for (int t = Math.Max(band, fullEnd); t < bandEnd; t++)
                        {
                            int j = t * tileWidth;
                            int vectors = Math.Min(TPath.MaxVectors, (p.N - j + width - 1) / width);
                            TPath.MicroTile(vectors, 1, a, rowOffsets, aColumnStride, p.B + j, bOffsets, kc, c + j, p.Ldc, accumulate);
                        }
                    }
                }
                else
                {
                    for (int t = band; t < bandEnd; t++)
                    {
                        int j = t * tileWidth;
                        int vectors = Math.Min(TPath.MaxVectors, (p.N - j + width - 1) / width);
                        float* b = p.BPanelStride != 0 ? p.B + (t * p.BPanelStride) : p.B + j;
                        for (int block = blockStart; block < blockEnd; block++)
                        {
                            nint* rowOffsets = BlockRowOffsets(p, offsetTable, precomputed, block, blockStart);
                            float* a = (panelA ? p.A + (block * p.APanelStride) : p.A) + (k0 * aColumnStride);
                            TPath.MicroTile(vectors, 1, a, rowOffsets, aColumnStride, b, bOffsets, kc, p.C + (block * rows * p.Ldc) + j, p.Ldc, accumulate);
                        }
                    }
                }

                k0 += kc;
            }
            while (k0 < p.K);
        }
    }

    /// <summary>The row offsets of <paramref name="block"/>: from the table, or computed into its single slot.</summary>
    private static nint* BlockRowOffsets(in GemmOperands p, nint* table, bool precomputed, int block, int blockStart)
    {
        if (precomputed)
        {
            return table + ((block - blockStart) * TPath.Rows);
        }

        RowOffsets(p, block, table);
        return table;
    }

    private static void RowOffsets(in GemmOperands p, int block, nint* offsets)
    {
        int rows = TPath.Rows;
        int i0 = block * rows;
        for (int r = 0; r < rows; r++)
        {
            if (p.APanelStride != 0)
            {
                offsets[r] = r;
            }
            else
            {
                int row = Math.Min(i0 + r, p.M - 1);
                offsets[r] = p.ARowOffsets != null ? p.ARowOffsets[row] : row * p.ARowStride;
            }
        }
    }
}
