using System;
using FusedLayers.Execution;

namespace FusedLayers.Kernels.Gemm;

/// <summary>What a dense GEMM tile does with its block of <c>C</c> once it is finished.</summary>
internal enum GemmEpilogue
{
    /// <summary><c>dst = max?(C + bias)</c> (bias per column, optional).</summary>
    Store,

    /// <summary><c>dst += C</c>.</summary>
    Accumulate,
}

/// <summary>
/// A dense GEMM split into (row range, column range) tiles on the kernel thread pool, each tile computing
/// its part of a scratch <c>C</c> (padded to whole micro-tiles) and then writing the valid part into the
/// destination while it is hot. Every element has one owner and a fixed order over <c>k</c>, so the result
/// does not depend on the thread count.
/// </summary>
/// <typeparam name="TPath">The instruction-set path.</typeparam>
internal sealed unsafe class GemmWork<TPath> : ParallelWork
    where TPath : struct, IGemmPath
{
    [ThreadStatic]
    private static GemmWork<TPath>? cached;

    private GemmOperands operands;
    private int rowItems;
    private int blocksPerItem;
    private int tilesPerItem;
    private GemmEpilogue epilogue;
    private float* destination;
    private int ldd;
    private float* bias;
    private Activation activation;

    /// <summary>The calling thread's instance.</summary>
    public static GemmWork<TPath> Instance => cached ??= new GemmWork<TPath>();

    /// <summary>
    /// Computes <c>C = A B</c> for the operands (whose <c>C</c> is scratch of <c>PadRows(M) x roundup(N, Width)</c>)
    /// and writes rows <c>&lt; M</c>, columns <c>&lt; N</c> to <paramref name="destination"/> (row stride
    /// <paramref name="ldd"/>) as <paramref name="epilogue"/> says.
    /// </summary>
    public void Run(
        int threads, in GemmOperands operands, GemmEpilogue epilogue, float* destination, int ldd, float* bias, Activation activation)
    {
        this.operands = operands;
        this.epilogue = epilogue;
        this.destination = destination;
        this.ldd = ldd;
        this.bias = bias;
        this.activation = activation;
        int blocks = GemmDriver<TPath>.RowBlockCount(operands.M);
        int tiles = GemmDriver<TPath>.TileCount(operands.N);
        int columnItems = 1;
        rowItems = 1;
        if (threads > 1)
        {
            rowItems = Math.Min(blocks, 4 * threads);
            if (rowItems < 2 * threads)
            {
                columnItems = Math.Min(tiles, ((4 * threads) + rowItems - 1) / rowItems);
            }
        }

        blocksPerItem = (blocks + rowItems - 1) / rowItems;
        rowItems = (blocks + blocksPerItem - 1) / blocksPerItem;
        tilesPerItem = (tiles + columnItems - 1) / columnItems;
        columnItems = (tiles + tilesPerItem - 1) / tilesPerItem;
        KernelThreadPool.Run(this, rowItems * columnItems, threads);
        this.operands = default;
        this.destination = null;
        this.bias = null;
    }

    /// <inheritdoc />
    public override void Execute(int index)
    {
        GemmOperands p = operands;
        int blockStart = index % rowItems * blocksPerItem;
        int blockEnd = Math.Min(GemmDriver<TPath>.RowBlockCount(p.M), blockStart + blocksPerItem);
        int tileStart = index / rowItems * tilesPerItem;
        int tileEnd = Math.Min(GemmDriver<TPath>.TileCount(p.N), tileStart + tilesPerItem);
        GemmDriver<TPath>.Run(p, blockStart, blockEnd, tileStart, tileEnd);

        int rowEnd = Math.Min(p.M, blockEnd * TPath.Rows);
        int column = tileStart * GemmDriver<TPath>.TileWidth;
        int length = Math.Min(p.N, tileEnd * GemmDriver<TPath>.TileWidth) - column;
        for (int i = blockStart * TPath.Rows; i < rowEnd; i++)
        {
            float* c = p.C + (i * p.Ldc) + column;
            float* d = destination + ((nint)i * ldd) + column;
            if (epilogue == GemmEpilogue.Accumulate)
            {
                TPath.AddRow(c, d, length);
            }
            else
            {
                TPath.StoreRowWithBiasVector(c, d, length, bias != null ? bias + column : null, activation.Kind == ActivationKind.ReLU);
                if (activation.Kind is not (ActivationKind.Identity or ActivationKind.ReLU))
                {
                    // Other activations run over the row just stored, while it is still in L1.
                    ActivationKernels.ApplyInPlace(TPath.Isa, activation, new Span<float>(d, length));
                }
            }
        }
    }
}
