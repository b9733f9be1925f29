using System;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedLayers.Kernels.Conv;

/// <summary>
/// How a band of output rows of one sample (and one channel group) of a convolution becomes a GEMM
/// <c>C[M x N] = W[M x K] B[K x N]</c> with <c>K = channels * k * k</c> (the group's channels), without
/// materialising <c>B</c> when the stride is 1.
/// </summary>
/// <remarks>
/// <para><b>Plane mode</b> (stride 1). The input rows a band needs are copied into a buffer of zero-padded
/// planes <c>(rows + d (k - 1)) x Wp</c>. Output position <c>(oy, ox)</c> of the band becomes column
/// <c>q = oy * Wp + ox</c>; it reads <c>plane[q + d * (ky * Wp + kx)]</c> for tap <c>(ky, kx)</c> (dilation
/// <c>d</c>), so row <c>(c, ky, kx)</c> of <c>B</c> is the buffer itself starting at
/// <c>c * stride + ky * d * Wp + kx * d</c>, contiguous along <c>q</c>. Each output row is computed <c>Wp</c>
/// wide; its last <c>d * (k - 1)</c> columns wrap into the next row and are discarded by the epilogue (the
/// price: <c>d (k - 1) / Wp</c> of the FLOPs, 3.4 % for 56 x 56 with padding 1). The same mode serves the
/// input gradient of any stride, as a stride-1 convolution of the output gradient <i>spread</i> by the stride
/// (values placed <c>s</c> apart) and padded by <c>d (k - 1) - p</c>, with the (dilated) kernel rotated by
/// 180 degrees and the channel roles swapped; a negative padding (when <c>p &gt; d (k - 1)</c>) simply crops.</para>
/// <para><b>Column mode</b> (forward and weight gradient with stride &gt; 1). <c>B</c> is built explicitly
/// (im2col, <c>K x rows*Wo</c>: per tap row a copy for stride 1, an even-lane permute for stride 2, scalar otherwise) and fed to the same micro-kernel: a correct vectorised
/// fallback whose cost is one extra pass over a <c>k * k</c> times larger buffer.</para>
/// <para><b>Bands.</b> With several threads a sample is processed in bands of output rows sized so that the
/// band's <c>B</c> buffer and its block of <c>C</c> together take about 320 KiB: they are built, multiplied and
/// consumed by the epilogue inside L2 (512 KiB on Zen 3; with an L2 of 1 MiB or more, as on Zen 5, the single-thread
/// budget below is used instead, measured faster there), so the only traffic beyond L2 is the input read once
/// and the output written once. With whole 56 x 56 planes (860 KiB per sample for each of the two) every pass
/// goes to L3, and on two cores sharing it the convolution of block R measured about 10 % slower than with
/// bands. A single thread has L3 to itself; there the halo rows (<c>k - 1</c> per band, copied again) and the
/// extra edge tiles made bands ~4 % slower, so it uses bands of up to 2 MiB, i.e. whole planes for block R,
/// which still bounds the scratch for large images. Band boundaries change only how BatchNorm moments and
/// weight-gradient partial sums are grouped, so results stay bit-identical for a given thread count.
/// All bands of a call share the strides of the nominal band, so one offsets table serves them all.</para>
/// </remarks>
internal readonly struct ConvLowering
{
    /// <summary>Bytes per band for a single thread, which has L3 to itself: bands only to bound the scratch.</summary>
    private const int SingleBandBudget = 2 * 1024 * 1024;

    /// <summary>
    /// Bytes of <c>B</c> buffer plus <c>C</c> block one band aims at when several threads share L3: 320 KiB where L2 is
    /// 512 KiB (Zen 3, where whole planes measured ~10 % slower on two cores), the single-thread budget where L2 is at
    /// least 1 MiB (Zen 5: there 320 KiB bands made ResNet-18's 3x3 convolutions ~10 % slower on two cores, halo rows and
    /// edge tiles costing more than the L3 traffic they save).
    /// </summary>
    private static readonly int SharedBandBudget = CpuCache.L2Bytes >= 1024 * 1024 ? SingleBandBudget : 320 * 1024;

    private ConvLowering(
        int channels, int sourceHeight, int sourceWidth, int kernel, int totalOutHeight, int outWidth, int outChannels,
        bool columnMode, int stride, int padding, int planeWidth, int origin, int sourceSpacing, int tapSpacing, int vectorWidth, int threads,
        int minBands = 1)
    {
        Channels = channels;
        SourceHeight = sourceHeight;
        SourceWidth = sourceWidth;
        Kernel = kernel;
        TotalOutHeight = totalOutHeight;
        OutWidth = outWidth;
        ColumnMode = columnMode;
        Stride = stride;
        Padding = padding;
        PlaneWidth = planeWidth;
        Origin = origin;
        SourceSpacing = sourceSpacing;
        TapSpacing = tapSpacing;
        VectorWidth = vectorWidth;
        Depth = channels * kernel * kernel;
        RowWidth = columnMode ? outWidth : planeWidth;

        // Band height: B rows per output row (plane: one padded row per channel; columns: K values per
        // position) plus C (outChannels rounded up) per output row, in the budget; then evened out.
        long perRow = 4L * ((columnMode ? (long)Depth * outWidth : (long)channels * planeWidth) + ((long)((outChannels + 7) & ~7) * RowWidth));
        int budget = threads > 1 ? SharedBandBudget : SingleBandBudget;
        int maxRows = (int)Math.Clamp(budget / perRow, 1, totalOutHeight);
        maxRows = Math.Max(1, Math.Min(maxRows, (totalOutHeight + minBands - 1) / minBands));
        int bands = (totalOutHeight + maxRows - 1) / maxRows;
        BandRows = (totalOutHeight + bands - 1) / bands;
        RowStart = 0;
        OutHeight = BandRows;

        ChannelStride = CacheFriendlyStride((BandRows + (tapSpacing * (kernel - 1))) * planeWidth);
        ColumnRowStride = CacheFriendlyStride(RoundUp(BandRows * outWidth, vectorWidth));

        // Plane mode reads up to (channels - 1) * stride + d (k - 1) * Wp + d (k - 1) + PaddedColumns - 1
        // <= channels * stride + d (k - 1) + (PaddedColumns - Columns) - 1; the slack after the planes is zero.
        BufferLength = columnMode
            ? Depth * ColumnRowStride
            : (channels * ChannelStride) + (tapSpacing * (kernel - 1)) + 1 + vectorWidth;
    }

    private ConvLowering(in ConvLowering nominal, int rowStart, int rows)
    {
        this = nominal;
        RowStart = rowStart;
        OutHeight = rows;
    }

    /// <summary>Channels of the tensor that is read (the GEMM depth is <c>Channels * k * k</c>).</summary>
    public int Channels { get; }

    /// <summary>Height of the tensor that is read.</summary>
    public int SourceHeight { get; }

    /// <summary>Width of the tensor that is read.</summary>
    public int SourceWidth { get; }

    /// <summary>Kernel side.</summary>
    public int Kernel { get; }

    /// <summary>Height of the produced planes (all bands).</summary>
    public int TotalOutHeight { get; }

    /// <summary>Output rows per band (the last band may have fewer).</summary>
    public int BandRows { get; }

    /// <summary>Number of bands.</summary>
    public int BandCount => (TotalOutHeight + BandRows - 1) / BandRows;

    /// <summary>First output row of this band.</summary>
    public int RowStart { get; }

    /// <summary>Output rows of this band.</summary>
    public int OutHeight { get; }

    /// <summary>Width of the produced planes.</summary>
    public int OutWidth { get; }

    /// <summary>Explicit im2col buffer instead of shifted planes.</summary>
    public bool ColumnMode { get; }

    /// <summary>Stride (column mode).</summary>
    public int Stride { get; }

    /// <summary>Padding (column mode).</summary>
    public int Padding { get; }

    /// <summary>Padded plane width <c>Wp</c> (plane mode).</summary>
    public int PlaneWidth { get; }

    /// <summary>Rows of this band's padded planes (plane mode).</summary>
    public int PlaneHeight => OutHeight + (TapSpacing * (Kernel - 1));

    /// <summary>Where source element <c>(0, 0)</c> lands in the full padded plane (padding; negative crops).</summary>
    public int Origin { get; }

    /// <summary>Spacing of source elements in the plane (the stride for the input gradient, else 1).</summary>
    public int SourceSpacing { get; }

    /// <summary>Spacing of kernel taps (the convolution's dilation).</summary>
    public int TapSpacing { get; }

    /// <summary>Floats per vector of the path (columns are padded to whole vectors).</summary>
    public int VectorWidth { get; }

    /// <summary>GEMM depth <c>K = Channels * k * k</c>.</summary>
    public int Depth { get; }

    /// <summary>Columns per output row in the GEMM (<c>Wp</c> in plane mode, <c>Wo</c> in column mode).</summary>
    public int RowWidth { get; }

    /// <summary>GEMM columns of this band, <c>N = OutHeight * RowWidth</c>.</summary>
    public int Columns => OutHeight * RowWidth;

    /// <summary><see cref="Columns"/> rounded up to whole vectors.</summary>
    public int PaddedColumns => RoundUp(Columns, VectorWidth);

    /// <summary><see cref="PaddedColumns"/> of the nominal (largest) band: the size of per-band scratch.</summary>
    public int MaxPaddedColumns => RoundUp(BandRows * RowWidth, VectorWidth);

    /// <summary>
    /// Distance between planes in the buffer (plane mode): the nominal band's plane rounded up to an odd number
    /// of cache lines, so that the rows of <c>B</c> one stride apart start in different L1 sets (with 30 x 30
    /// inputs and padding 1 a plane is exactly 4 KiB, and every channel's rows would otherwise share sets).
    /// </summary>
    public int ChannelStride { get; }

    /// <summary>Distance between rows of the im2col buffer (column mode), likewise an odd number of cache lines.</summary>
    public int ColumnRowStride { get; }

    /// <summary>Floats of the per-band <c>B</c> buffer.</summary>
    public int BufferLength { get; }

    /// <summary>Elements of the source read for one channel group of one sample (<see cref="Channels"/> planes).</summary>
    public int SourceSampleLength => Channels * SourceHeight * SourceWidth;

    /// <summary>
    /// The lowering of the forward convolution (and of the weight gradient) of one channel group for a thread
    /// count: the group's <c>Cin / groups</c> input channels, dilated taps.
    /// </summary>
    /// <remarks>
    /// <paramref name="minBands"/> asks for at least that many bands (output rows split further than the cache budget
    /// needs): <see cref="ConvGemmWork{TPath}"/> runs bands in parallel when a batch has fewer samples than threads.
    /// </remarks>
    public static ConvLowering Forward(in Conv2dGeometry g, int vectorWidth, int threads, int minBands = 1)
    {
        int k = g.KernelSize, d = g.Dilation;
        return ConvLoweringRule.ShiftedPlanes(g.Stride)
            ? new ConvLowering(
                g.GroupInChannels, g.InHeight, g.InWidth, k, g.OutHeight, g.OutWidth, g.GroupOutChannels, columnMode: false, 1, g.Padding,
                g.InWidth + (2 * g.Padding), g.Padding, 1, d, vectorWidth, threads, minBands)
            : new ConvLowering(
                g.GroupInChannels, g.InHeight, g.InWidth, k, g.OutHeight, g.OutWidth, g.GroupOutChannels, columnMode: true, g.Stride, g.Padding,
                0, 0, 1, d, vectorWidth, threads, minBands);
    }

    /// <summary>
    /// The lowering of the input gradient of one channel group: a stride-1 convolution (taps <c>d</c> apart) of
    /// the group's output gradient, spread by the stride and placed at <c>d (k - 1) - p</c> in planes
    /// <c>W + d (k - 1)</c> wide, so the result is exactly <c>H x W</c>.
    /// </summary>
    public static ConvLowering BackwardInput(in Conv2dGeometry g, int vectorWidth, int threads)
    {
        int k = g.KernelSize, d = g.Dilation;
        int reach = d * (k - 1);
        return new ConvLowering(
            g.GroupOutChannels, g.OutHeight, g.OutWidth, k, g.InHeight, g.InWidth, g.GroupInChannels, columnMode: false, 1, 0,
            g.InWidth + reach, reach - g.Padding, g.Stride, d, vectorWidth, threads);
    }

    /// <summary>Band <paramref name="band"/> of this (nominal) lowering.</summary>
    public ConvLowering Band(int band)
    {
        int start = band * BandRows;
        return new ConvLowering(this, start, Math.Min(BandRows, TotalOutHeight - start));
    }

    /// <summary>Fills <paramref name="offsets"/> (length <see cref="Depth"/>) with the start of each row of <c>B</c>.</summary>
    public void WriteRowOffsets(Span<int> offsets)
    {
        int k = Kernel;
        for (int c = 0; c < Channels; c++)
        {
            for (int ky = 0; ky < k; ky++)
            {
                for (int kx = 0; kx < k; kx++)
                {
                    int kk = (((c * k) + ky) * k) + kx;
                    offsets[kk] = ColumnMode ? kk * ColumnRowStride : (c * ChannelStride) + (TapSpacing * ((ky * PlaneWidth) + kx));
                }
            }
        }
    }

    /// <summary>Builds this band's <c>B</c> buffer from one sample (<paramref name="buffer"/> has <see cref="BufferLength"/> floats).</summary>
    public void Fill(ReadOnlySpan<float> sample, Span<float> buffer)
    {
        if (ColumnMode)
        {
            FillColumns(sample, buffer);
        }
        else
        {
            FillPlanes(sample, buffer);
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>The smallest stride of at least <paramref name="floats"/> floats that is an odd number of 64-byte lines.</summary>
    private static int CacheFriendlyStride(int floats)
    {
        int lines = (floats + 15) / 16;
        if (lines % 2 == 0)
        {
            lines++;
        }

        return lines * 16;
    }

    private void FillPlanes(ReadOnlySpan<float> sample, Span<float> buffer)
    {
        int sh = SourceHeight, sw = SourceWidth, pw = PlaneWidth, d = SourceSpacing, o = Origin;
        int planeLength = PlaneHeight * pw;

        // Source columns sx that land inside the plane: 0 <= o + sx * d < pw.
        int sxStart = o >= 0 ? 0 : (-o + d - 1) / d;
        int sxEnd = pw - 1 - o < 0 ? 0 : Math.Min(sw, ((pw - 1 - o) / d) + 1);
        int count = Math.Max(0, sxEnd - sxStart);
        int left = o + (sxStart * d);
        for (int c = 0; c < Channels; c++)
        {
            ReadOnlySpan<float> src = sample.Slice(c * sh * sw, sh * sw);
            Span<float> plane = buffer.Slice(c * ChannelStride, ChannelStride);
            for (int y = 0; y < PlaneHeight; y++)
            {
                // Local row y is row RowStart + y of the full padded plane, i.e. source row (that - o) / d.
                Span<float> dstRow = plane.Slice(y * pw, pw);
                int g = RowStart + y - o;
                int sy = g / d;
                if (g < 0 || g % d != 0 || sy >= sh || count == 0)
                {
                    dstRow.Clear();
                    continue;
                }

                ReadOnlySpan<float> srcRow = src.Slice(sy * sw, sw);
                if (d == 1)
                {
                    // Every element written once: zero borders, one copy for the interior.
                    dstRow.Slice(0, left).Clear();
                    srcRow.Slice(sxStart, count).CopyTo(dstRow.Slice(left));
                    dstRow.Slice(left + count).Clear();
                }
                else
                {
                    dstRow.Clear();
                    for (int sx = sxStart; sx < sxEnd; sx++)
                    {
                        dstRow[o + (sx * d)] = srcRow[sx];
                    }
                }
            }

            plane.Slice(planeLength).Clear();
        }

        buffer.Slice(Channels * ChannelStride, BufferLength - (Channels * ChannelStride)).Clear();
    }

    private unsafe void FillColumns(ReadOnlySpan<float> sample, Span<float> buffer)
    {
        int k = Kernel, s = Stride, p = Padding, d = TapSpacing, h = SourceHeight, w = SourceWidth, oh = OutHeight, ow = OutWidth;
        int columns = Columns;
        int padded = PaddedColumns;
        if (sample.Length < Channels * h * w || buffer.Length < ((Depth - 1) * ColumnRowStride) + padded)
        {
            throw new ArgumentException("The sample or the column buffer is shorter than the lowering needs.");
        }

        fixed (float* sampleStart = sample)
        fixed (float* bufferStart = buffer)
        {
            for (int c = 0; c < Channels; c++)
            {
                float* src = sampleStart + ((long)c * h * w);
                for (int ky = 0; ky < k; ky++)
                {
                    for (int kx = 0; kx < k; kx++)
                    {
                        float* row = bufferStart + ((long)((((c * k) + ky) * k) + kx) * ColumnRowStride);

                        // Output columns whose tap lies inside the row: 0 <= ox * s - p + d * kx < w.
                        int shift = (d * kx) - p;
                        (int oxLo, int oxHi) = InsideColumns(shift, s, w, ow);
                        for (int oy = 0; oy < oh; oy++)
                        {
                            int iy = ((RowStart + oy) * s) - p + (d * ky);
                            float* dst = row + ((long)oy * ow);
                            if ((uint)iy >= (uint)h)
                            {
                                new Span<float>(dst, ow).Clear();
                                continue;
                            }

                            new Span<float>(dst, oxLo).Clear();
                            new Span<float>(dst + oxHi, ow - oxHi).Clear();
                            float* srcRow = src + ((long)iy * w);
                            CopyStrided(srcRow, (oxLo * s) + shift, w, s, dst + oxLo, oxHi - oxLo);
                        }

                        new Span<float>(row + columns, padded - columns).Clear();
                    }
                }
            }
        }
    }

    /// <summary>
    /// The output columns <c>[lo, hi)</c> whose tap reads inside a source row: <c>0 &lt;= ox * stride + shift &lt; width</c>
    /// for <c>ox &lt; outWidth</c>, with <c>shift = d * kx - p</c> (im2col reads there, col2im adds back there).
    /// </summary>
    internal static (int Lo, int Hi) InsideColumns(int shift, int stride, int width, int outWidth)
    {
        int lo = Math.Min(outWidth, shift >= 0 ? 0 : (-shift + stride - 1) / stride);
        int hi = width - 1 - shift < 0 ? 0 : Math.Min(outWidth, ((width - 1 - shift) / stride) + 1);
        return (lo, Math.Max(lo, hi));
    }

    /// <summary>
    /// <c>dst[j] = srcRow[start + j * s]</c> for <c>j &lt; count</c> (all inside the row of <paramref name="width"/>).
    /// Stride 1 is a copy; stride 2, the usual downsampling, picks the even lanes of two vectors with one two-source
    /// permute (on the path's own width: AVX-512 only when the convolution runs the 16-wide path); others are scalar.
    /// A copy, so every path produces the same buffer.
    /// </summary>
    private unsafe void CopyStrided(float* srcRow, int start, int width, int s, float* dst, int count)
    {
        float* from = srcRow + start;
        if (s == 1)
        {
            new ReadOnlySpan<float>(from, count).CopyTo(new Span<float>(dst, count));
            return;
        }

        int j = 0;
        if (s == 2)
        {
            // A vector of outputs reads 2 * lanes inputs from 'from + 2j': stay inside the row.
            int readable = width - start;
            if (VectorWidth == 16 && Avx512F.IsSupported)
            {
                Vector512<int> evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
                for (; j + 16 <= count && (2 * j) + 32 <= readable; j += 16)
                {
                    Avx512F.PermuteVar16x32x2(Vector512.Load(from + (2 * j)), evens, Vector512.Load(from + (2 * j) + 16)).Store(dst + j);
                }
            }
            else if (VectorWidth >= 8 && Avx2.IsSupported)
            {
                Vector256<int> evensFirst = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
                for (; j + 8 <= count && (2 * j) + 16 <= readable; j += 8)
                {
                    Vector256<float> a = Avx2.PermuteVar8x32(Vector256.Load(from + (2 * j)), evensFirst);
                    Vector256<float> b = Avx2.PermuteVar8x32(Vector256.Load(from + (2 * j) + 8), evensFirst);
                    Avx.Permute2x128(a, b, 0x20).Store(dst + j);
                }
            }
        }

        for (; j < count; j++)
        {
            dst[j] = from[(long)j * s];
        }
    }
}
