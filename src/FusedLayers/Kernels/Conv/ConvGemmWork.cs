using System;
using System.Buffers;
using FusedLayers.Execution;
using FusedLayers.Kernels.Gemm;

namespace FusedLayers.Kernels.Conv;

/// <summary>
/// One tile of a lowered convolution (see <see cref="ConvLowering"/>): sample <c>n</c> times a block of
/// output channels of one channel group (<c>groups</c> of the convolution; a tile never straddles two), walked
/// in bands of output rows. Per band it builds the band's <c>B</c> buffer, runs the
/// GEMM into a block of <c>C</c> that is <see cref="ConvLowering.RowWidth"/> wide, then, while both are in L2,
/// runs the epilogue per channel: compact to <c>Wo</c>-wide NCHW rows with bias and ReLU, or, for BatchNorm
/// statistics, the band's sum (taken while storing) and sum of squared deviations (over the fresh rows) in
/// float64, merged into the plane's moments band after band (Chan's formula, fixed order).
/// Used for the forward pass and, with the rotated weights, for the input gradient.
/// </summary>
/// <typeparam name="TPath">The instruction-set path.</typeparam>
internal sealed unsafe class ConvGemmWork<TPath> : ParallelWork
    where TPath : struct, IGemmPath
{
    /// <summary>
    /// Depth per block, split evenly (576 = 3 x 192): with 3 x 3 taps a block of 192 steps touches 21 channels x
    /// 3 rows x 2 cache lines of the padded planes for one 24-column tile (~8 KiB) plus 4 x 192 weights (3 KiB),
    /// which stay in L1 while every row block reuses them. (One block of 576 overflows L1 and measured ~20 % slower.)
    /// </summary>
    private const int DepthBlockTarget = 256;

    [ThreadStatic]
    private static ConvGemmWork<TPath>? cached;

    private ConvLowering lowering;
    private int outChannels;
    private int convGroups;
    private int convGroupRows;
    private int tilesPerConvGroup;
    private int tileRows;
    private int bandTiles;
    private float* source;
    private float* weight;
    private float* bias;
    private float* output;
    private int* offsets;
    private Activation activation;
    private double* planeMean;
    private double* planeM2;

    /// <summary>
    /// Whether a run splits bands of output rows across threads rather than output channels: several threads, fewer than
    /// four (sample, group) units per thread, and no per-plane statistics (those merge band after band in order).
    /// </summary>
    public static bool BandSplit(int threads, int units, bool statistics) => threads > 1 && units < 4 * threads && !statistics;

    /// <summary>The calling thread's instance (one per call site and thread, so a call allocates nothing).</summary>
    public static ConvGemmWork<TPath> Instance => cached ??= new ConvGemmWork<TPath>();

    /// <summary>
    /// Runs every (sample, channel group, block of the group's output channels) tile on up to
    /// <paramref name="threads"/> threads. <paramref name="convGroups"/> is the convolution's channel groups:
    /// output channel <c>co</c> belongs to group <c>co / (outChannels / convGroups)</c> and reads that group's
    /// <see cref="ConvLowering.Channels"/> source planes, so a source sample is <c>convGroups</c> lowering samples.
    /// <paramref name="weight"/> is row-major <c>[outChannels][Depth]</c>; <paramref name="bias"/> may be null;
    /// <paramref name="planeMean"/> / <paramref name="planeM2"/> (<c>batch * outChannels</c>, or null) receive
    /// per-plane statistics.
    /// </summary>
    public void Run(
        int threads, in ConvLowering lowering, int outChannels, int convGroups, int batch, float* source, float* weight, float* bias,
        float* output, int* offsets, Activation activation, double* planeMean, double* planeM2)
    {
        this.lowering = lowering;
        this.outChannels = outChannels;
        this.convGroups = convGroups;
        this.source = source;
        this.weight = weight;
        this.bias = bias;
        this.output = output;
        this.offsets = offsets;
        this.activation = activation;
        this.planeMean = planeMean;
        this.planeM2 = planeM2;

        if (batch == 0)
        {
            return;
        }

        // One tile per (sample, channel group) when those alone keep every thread busy (the padded group is
        // then built once); otherwise the group's channels are split too, each tile building its own copy.
        convGroupRows = outChannels / convGroups;
        int units = batch * convGroups;
        int blocks = GemmDriver<TPath>.RowBlockCount(convGroupRows);
        if (BandSplit(threads, units, planeMean != null) && units * lowering.BandCount >= threads)
        {
            // Few samples and no statistics: each tile is one band of one (sample, group), all its output channels, so
            // every band's B is built once and the GEMM keeps its full height (a channel split would rebuild B per tile
            // and shrink M; on ResNet-18's stem at batch 1 it ran 2-3x slower on 2 threads than on 1).
            bandTiles = lowering.BandCount;
            tileRows = convGroupRows;
            tilesPerConvGroup = 1;
        }
        else
        {
            int wanted = threads == 1 || units >= 4 * threads ? 1 : Math.Min(blocks, ((4 * threads) + units - 1) / units);
            int blocksPerTile = (blocks + wanted - 1) / wanted;
            bandTiles = 1;
            tileRows = blocksPerTile * TPath.Rows;
            tilesPerConvGroup = (blocks + blocksPerTile - 1) / blocksPerTile;
        }

        KernelThreadPool.Run(this, units * tilesPerConvGroup * bandTiles, threads);
        this.source = this.weight = this.bias = this.output = null;
        this.offsets = null;
        this.planeMean = this.planeM2 = null;
    }

    /// <inheritdoc />
    public override void Execute(int index)
    {
        ConvLowering nominal = lowering;
        int bandTile = index % bandTiles;
        index /= bandTiles;
        int unit = index / tilesPerConvGroup;
        int n = unit / convGroups;
        int convGroup = unit % convGroups;
        int first = index % tilesPerConvGroup * tileRows;
        int row0 = (convGroup * convGroupRows) + first;
        int rows = Math.Min(convGroupRows - first, tileRows);
        int ldc = nominal.MaxPaddedColumns;
        float[] bufferArray = ArrayPool<float>.Shared.Rent(nominal.BufferLength);
        float[] planesArray = ArrayPool<float>.Shared.Rent(GemmDriver<TPath>.PadRows(rows) * ldc);
        try
        {
            fixed (float* buffer = bufferArray)
            fixed (float* planes = planesArray)
            {
                nint sampleOffset = (((nint)n * convGroups) + convGroup) * nominal.SourceSampleLength;
                var sample = new ReadOnlySpan<float>(source + sampleOffset, nominal.SourceSampleLength);
                int firstBand = bandTiles == 1 ? 0 : bandTile;
                int endBand = bandTiles == 1 ? nominal.BandCount : bandTile + 1;
                for (int band = firstBand; band < endBand; band++)
                {
                    ConvLowering l = nominal.Band(band);
                    l.Fill(sample, bufferArray);
                    var operands = new GemmOperands
                    {
                        A = weight + ((nint)row0 * l.Depth),
                        ARowStride = l.Depth,
                        AColumnStride = 1,
                        M = rows,
                        B = buffer,
                        BOffsets = offsets,
                        N = l.Columns,
                        K = l.Depth,
                        KBlock = GemmDriver<TPath>.DepthBlock(l.Depth, DepthBlockTarget),
                        C = planes,
                        Ldc = ldc,
                    };
                    GemmDriver<TPath>.Run(operands, 0, GemmDriver<TPath>.RowBlockCount(rows), 0, GemmDriver<TPath>.TileCount(l.Columns));
                    Epilogue(l, n, row0, rows, planes, ldc);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(planesArray);
            ArrayPool<float>.Shared.Return(bufferArray);
        }
    }

    private void Epilogue(in ConvLowering l, int n, int row0, int rows, float* planes, int ldc)
    {
        int oh = l.OutHeight, ow = l.OutWidth, rw = l.RowWidth;
        int planeLength = l.TotalOutHeight * ow;
        int bandLength = oh * ow;

        // Rows that are contiguous on both sides (no wrap-around columns) are stored as one long row.
        bool contiguous = rw == ow;
        int storeRows = contiguous ? 1 : oh;
        int storeLength = contiguous ? bandLength : ow;
        for (int r = 0; r < rows; r++)
        {
            int co = row0 + r;
            float b = bias != null ? bias[co] : 0f;
            float* src = planes + ((nint)r * ldc);
            float* dst = output + ((((nint)n * outChannels) + co) * planeLength) + ((nint)l.RowStart * ow);
            if (planeMean == null)
            {
                TPath.StoreRows(src, rw, dst, ow, storeRows, storeLength, b, activation.Kind == ActivationKind.ReLU);
                if (activation.Kind is not (ActivationKind.Identity or ActivationKind.ReLU))
                {
                    // Other activations run over the rows just stored, while they are still in L1.
                    for (int s = 0; s < storeRows; s++)
                    {
                        ActivationKernels.ApplyInPlace(TPath.Isa, activation, new Span<float>(dst + ((nint)s * ow), storeLength));
                    }
                }

                continue;
            }

            // Two passes per band (the sum while storing, the squared deviations over the fresh rows), then
            // Chan's merge into the plane's moments, bands in order.
            double bandMean = TPath.StoreRowsAndSum(src, rw, dst, ow, storeRows, storeLength, b) / bandLength;
            double bandM2 = TPath.SquaredDeviations(dst, bandLength, bandMean);
            int at = (n * outChannels) + co;
            if (l.RowStart == 0)
            {
                planeMean[at] = bandMean;
                planeM2[at] = bandM2;
            }
            else
            {
                double before = (double)l.RowStart * ow;
                double total = before + bandLength;
                double delta = bandMean - planeMean[at];
                planeMean[at] += delta * bandLength / total;
                planeM2[at] += bandM2 + (delta * delta * before * bandLength / total);
            }
        }
    }
}
