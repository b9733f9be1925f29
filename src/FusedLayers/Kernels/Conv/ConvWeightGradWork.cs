using System;
using System.Buffers;
using FusedLayers.Execution;
using FusedLayers.Kernels.Gemm;

namespace FusedLayers.Kernels.Conv;

/// <summary>
/// Weight and bias gradients of a convolution as a GEMM over output positions:
/// <c>dW^T[(ci,ky,kx), co] = sum_q B[(ci,ky,kx), q] * dZt[q, co]</c>, where <c>B</c> is the forward lowering's
/// buffer (shifted padded planes, or im2col) and <c>dZt</c> the sample's output gradient transposed to
/// <c>[q][co]</c> (8 x 8 register transposes), written straight into column-tile panels (one tile of channels x
/// all positions of a row band, contiguous), with its wrap-around columns zero. The micro-kernel then
/// broadcasts from the shifted planes (rows of <c>A</c> through the tap offsets table) and reads <c>dZt</c> rows
/// contiguously: the same engine as the forward pass, accumulating over row bands and depth blocks of
/// <c>q</c>. (The alternative, dot products along <c>q</c> with horizontal sums, needs more loads per FMA and
/// a reduction per output.)
/// </summary>
/// <remarks>
/// Samples are split into a fixed number of sample groups (a function of batch and thread count only); each
/// sums its samples in order into its own float64 partial (in float32 over up to <see cref="PositionsPerMerge"/>
/// positions first: one sample, or several whole small ones), and the partials are added in group order
/// afterwards, so the result is bit-identical run to run for a given thread count whatever the scheduling.
/// A grouped convolution (<c>groups</c> &gt; 1) is one such GEMM per channel group, over the group's input
/// planes and output channels; the channel groups are independent work items. When there are fewer
/// (sample group, channel group) pairs than threads the taps are split as well.
/// </remarks>
/// <typeparam name="TPath">The instruction-set path.</typeparam>
internal sealed unsafe class ConvWeightGradWork<TPath> : ParallelWork
    where TPath : struct, IGemmPath
{
    /// <summary>Output positions per depth block: a tile of <c>dZt</c> (about 256 positions x 24 channels = 24 KiB with AVX2) stays in L1.</summary>
    private const int DepthBlock = 256;

    /// <summary>
    /// Output positions summed in float32 before a float64 merge: one sample's plane, or as many whole small planes as
    /// fit (16 samples of layer4's 7 x 7 in ResNet-18 at 224). Merging after every 49-position sample wrote and re-read
    /// the whole float32 tile and float64 partial of a 512 x 4608 gradient per sample, which made that layer's weight
    /// gradient 2.2x its forward time; a float32 sum over 1,024 positions is what a 32 x 32 plane already gets.
    /// </summary>
    private const int PositionsPerMerge = 1024;

    [ThreadStatic]
    private static ConvWeightGradWork<TPath>? cached;

    private ConvLowering lowering;
    private int outChannels;
    private int convGroups;
    private int groupOutChannels;
    private int outPad;
    private int batch;
    private int samplesPerGroup;
    private int parts;
    private int tapsPerPart;
    private float* input;
    private float* gradOutput;
    private nint* tapOffsets;
    private int* dzOffsets;
    private double* partial;
    private double* biasPartial;

    /// <summary>The calling thread's instance.</summary>
    public static ConvWeightGradWork<TPath> Instance => cached ??= new ConvWeightGradWork<TPath>();

    /// <summary>
    /// Number of sample groups (partials) for a batch, thread count and output plane size: one per thread, except for
    /// planes small enough that several samples share a float32 sum (<see cref="PositionsPerMerge"/>), where one group
    /// runs every sample and the threads split the taps instead. With a group per thread, layer4 of ResNet-18 (7 x 7
    /// planes, a 512 x 4608 gradient) kept a float32 tile and a float64 partial of the whole gradient per thread, and its
    /// weight gradient took as long on two cores as on one.
    /// </summary>
    public static int GroupCount(int batch, int threads, int outPlane) =>
        PositionsPerMerge / Math.Max(1, outPlane) >= 2 ? 1 : Math.Max(1, Math.Min(batch, threads));

    /// <summary>
    /// Runs the (sample group, channel group) pairs. <paramref name="outPad"/> is the channels of one group
    /// (<c>outChannels / convGroups</c>) rounded up to whole vectors. <paramref name="partial"/> holds
    /// <c>sampleGroups * convGroups * DepthPad * outPad</c> doubles laid out <c>[sample group][channel group][tap][co in group]</c>
    /// and <paramref name="biasPartial"/> <c>sampleGroups * outChannels</c> (or null); both zeroed by the caller.
    /// <paramref name="tapOffsets"/> are the lowering's row offsets; <paramref name="dzOffsets"/> holds
    /// <c>q * TileWidth</c> for <c>q &lt; PaddedColumns</c> (rows of a panel).
    /// </summary>
    public void Run(
        int threads, in ConvLowering lowering, int outChannels, int convGroups, int outPad, int batch, float* input, float* gradOutput,
        nint* tapOffsets, int* dzOffsets, double* partial, double* biasPartial)
    {
        this.lowering = lowering;
        this.outChannels = outChannels;
        this.convGroups = convGroups;
        this.groupOutChannels = outChannels / convGroups;
        this.outPad = outPad;
        this.batch = batch;
        this.input = input;
        this.gradOutput = gradOutput;
        this.tapOffsets = tapOffsets;
        this.dzOffsets = dzOffsets;
        this.partial = partial;
        this.biasPartial = biasPartial;
        int sampleGroups = GroupCount(batch, threads, lowering.TotalOutHeight * lowering.OutWidth);
        samplesPerGroup = (batch + sampleGroups - 1) / sampleGroups;
        int units = sampleGroups * convGroups;
        int tapBlocks = GemmDriver<TPath>.RowBlockCount(lowering.Depth);
        int wantedParts = Math.Min(tapBlocks, (threads + units - 1) / units);
        int blocksPerPart = (tapBlocks + wantedParts - 1) / wantedParts;
        tapsPerPart = blocksPerPart * TPath.Rows;
        parts = (tapBlocks + blocksPerPart - 1) / blocksPerPart;
        KernelThreadPool.Run(this, units * parts, threads);
        this.input = this.gradOutput = null;
        this.tapOffsets = null;
        this.dzOffsets = null;
        this.partial = this.biasPartial = null;
    }

    /// <inheritdoc />
    public override void Execute(int index)
    {
        ConvLowering nominal = lowering;
        int unit = index / parts;
        int group = unit / convGroups;
        int convGroup = unit % convGroups;
        int tap0 = index % parts * tapsPerPart;
        int taps = Math.Min(nominal.Depth - tap0, tapsPerPart);
        int first = group * samplesPerGroup;
        int last = Math.Min(batch, first + samplesPerGroup);
        int depthPad = GemmDriver<TPath>.PadRows(nominal.Depth);
        int outPlane = nominal.TotalOutHeight * nominal.OutWidth;
        int maxColumns = nominal.MaxPaddedColumns;
        int dztLength = GemmPacking<TPath>.BPackedLength(maxColumns, outPad);
        float[] bufferArray = ArrayPool<float>.Shared.Rent(nominal.BufferLength);
        float[] dztArray = ArrayPool<float>.Shared.Rent(dztLength);
        float[] sampleArray = ArrayPool<float>.Shared.Rent(GemmDriver<TPath>.PadRows(taps) * outPad);
        try
        {
            fixed (float* buffer = bufferArray)
            fixed (float* dzt = dztArray)
            fixed (float* sampleGrad = sampleArray)
            {
                double* groupPartial = partial + ((nint)unit * depthPad * outPad) + ((nint)tap0 * outPad);

                // Zero once: the transposes below only write valid (position, channel) entries, so the wrap-around
                // columns and the padding channels stay zero for every band of every sample.
                new Span<float>(dzt, dztLength).Clear();
                int samplesPerMerge = Math.Max(1, PositionsPerMerge / Math.Max(1, outPlane));
                for (int n = first; n < last; n++)
                {
                    bool firstOfMerge = (n - first) % samplesPerMerge == 0;
                    bool lastOfMerge = (n - first + 1) % samplesPerMerge == 0 || n == last - 1;
                    nint sampleOffset = (((nint)n * convGroups) + convGroup) * nominal.SourceSampleLength;
                    var sample = new ReadOnlySpan<float>(input + sampleOffset, nominal.SourceSampleLength);
                    int co0 = convGroup * groupOutChannels;
                    float* dz = gradOutput + ((((nint)n * outChannels) + co0) * outPlane);
                    if (biasPartial != null && tap0 == 0)
                    {
                        for (int co = 0; co < groupOutChannels; co++)
                        {
                            biasPartial[(group * outChannels) + co0 + co] += TPath.Sum(dz + ((nint)co * outPlane), outPlane);
                        }
                    }

                    for (int band = 0; band < nominal.BandCount; band++)
                    {
                        ConvLowering l = nominal.Band(band);
                        l.Fill(sample, bufferArray);
                        Transpose(l, dz, dzt);
                        var operands = new GemmOperands
                        {
                            A = buffer,
                            ARowOffsets = tapOffsets + tap0,
                            AColumnStride = 1,
                            M = taps,
                            B = dzt,
                            BOffsets = dzOffsets,
                            BPanelStride = GemmPacking<TPath>.BPanelStride(maxColumns),
                            N = outPad,
                            K = l.PaddedColumns,
                            KBlock = GemmDriver<TPath>.DepthBlock(l.PaddedColumns, DepthBlock),
                            C = sampleGrad,
                            Ldc = outPad,
                            Accumulate = band > 0 || !firstOfMerge,
                        };
                        GemmDriver<TPath>.Run(operands, 0, GemmDriver<TPath>.RowBlockCount(taps), 0, GemmDriver<TPath>.TileCount(outPad));
                    }

                    if (lastOfMerge)
                    {
                        TPath.AddRowToDouble(sampleGrad, groupPartial, taps * outPad);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(sampleArray);
            ArrayPool<float>.Shared.Return(dztArray);
            ArrayPool<float>.Shared.Return(bufferArray);
        }
    }

    /// <summary>
    /// <c>dZt[q, co] = dz[co, RowStart + oy, ox]</c> with <c>q = oy * RowWidth + ox</c> for the band's rows and the
    /// channel group's <c>co</c> (<paramref name="dz"/> points at the group's first channel), stored
    /// as panels of <c>TileWidth</c> channels: <c>dzt[(co / TileWidth) * panel + q * TileWidth + co % TileWidth]</c>.
    /// Wrap-around columns and padding channels are never written (the caller zeroes the buffer once), so they
    /// add nothing; the positions between a short last band's end and its vector padding held data of the full
    /// bands before it and are zeroed here.
    /// </summary>
    private void Transpose(in ConvLowering l, float* dz, float* dzt)
    {
        int oh = l.OutHeight, ow = l.OutWidth, rw = l.RowWidth, cout = groupOutChannels;
        int width = GemmDriver<TPath>.TileWidth;
        nint panel = GemmPacking<TPath>.BPanelStride(l.MaxPaddedColumns);
        int outPlane = l.TotalOutHeight * ow;
        int tail = l.PaddedColumns - l.Columns;
        for (int co0 = 0; co0 < cout; co0 += width)
        {
            int channels = Math.Min(width, cout - co0);
            float* panelBase = dzt + (co0 / width * panel);
            for (int oy = 0; oy < oh; oy++)
            {
                Transposer.Transpose(
                    dz + ((nint)co0 * outPlane) + ((nint)(l.RowStart + oy) * ow), outPlane, panelBase + ((nint)oy * rw * width), width, channels, ow);
            }

            new Span<float>(panelBase + ((nint)l.Columns * width), tail * width).Clear();
        }
    }
}
