using System;

namespace FusedLayers.Kernels.Conv;

/// <summary>
/// How one sample of a convolution becomes a GEMM <c>C[M x N] = W[M x K] B[K x N]</c> with
/// <c>K = channels * k * k</c>, without materialising <c>B</c> when the stride is 1.
/// </summary>
/// <remarks>
/// <para><b>Plane mode</b> (stride 1). The sample's channels are copied into a buffer of zero-padded planes
/// <c>PlaneHeight x PlaneWidth</c> (<c>Wp</c> wide). Output position <c>(oy, ox)</c> becomes column
/// <c>q = oy * Wp + ox</c>; it reads <c>plane[q + ky * Wp + kx]</c> for tap <c>(ky, kx)</c>, so row
/// <c>(c, ky, kx)</c> of <c>B</c> is the buffer itself starting at <c>c * P + ky * Wp + kx</c>, contiguous
/// along <c>q</c>. Each output row is computed <c>Wp</c> wide; its last <c>k - 1</c> columns wrap into the
/// next row and are discarded by the epilogue (the price: <c>(k - 1) / Wp</c> of the FLOPs, 3.4 % for
/// 56 x 56 with padding 1). The same mode serves the input gradient of any stride, as a stride-1
/// convolution of the output gradient <i>dilated</i> by the stride (values placed <c>s</c> apart) and padded
/// by <c>k - 1 - p</c>, with the kernel rotated by 180 degrees and the channel roles swapped; a negative
/// padding (when <c>p &gt; k - 1</c>) simply crops.</para>
/// <para><b>Column mode</b> (forward and weight gradient with stride &gt; 1). <c>B</c> is built explicitly
/// (im2col, <c>K x Ho*Wo</c>, scalar loops) and fed to the same micro-kernel: a correct vectorised
/// fallback whose cost is one extra pass over a <c>k * k</c> times larger buffer.</para>
/// </remarks>
internal readonly struct ConvLowering
{
    private ConvLowering(
        int channels, int sourceHeight, int sourceWidth, int kernel, int outHeight, int outWidth,
        bool columnMode, int stride, int padding, int planeHeight, int planeWidth, int origin, int dilation, int vectorWidth)
    {
        Channels = channels;
        SourceHeight = sourceHeight;
        SourceWidth = sourceWidth;
        Kernel = kernel;
        OutHeight = outHeight;
        OutWidth = outWidth;
        ColumnMode = columnMode;
        Stride = stride;
        Padding = padding;
        PlaneHeight = planeHeight;
        PlaneWidth = planeWidth;
        Origin = origin;
        Dilation = dilation;
        Depth = channels * kernel * kernel;
        RowWidth = columnMode ? outWidth : planeWidth;
        Columns = outHeight * RowWidth;
        PaddedColumns = (Columns + vectorWidth - 1) / vectorWidth * vectorWidth;

        ChannelStride = CacheFriendlyStride(PlaneLength);
        ColumnRowStride = CacheFriendlyStride(PaddedColumns);

        // Plane mode reads up to (channels - 1) * stride + (k - 1) * Wp + (k - 1) + PaddedColumns - 1
        // <= channels * stride + (k - 1) + (PaddedColumns - Columns) - 1; the slack after the planes is zero.
        BufferLength = columnMode
            ? Depth * ColumnRowStride
            : (channels * ChannelStride) + kernel + vectorWidth;
    }

    /// <summary>Channels of the tensor that is read (the GEMM depth is <c>Channels * k * k</c>).</summary>
    public int Channels { get; }

    /// <summary>Height of the tensor that is read.</summary>
    public int SourceHeight { get; }

    /// <summary>Width of the tensor that is read.</summary>
    public int SourceWidth { get; }

    /// <summary>Kernel side.</summary>
    public int Kernel { get; }

    /// <summary>Height of the produced planes.</summary>
    public int OutHeight { get; }

    /// <summary>Width of the produced planes.</summary>
    public int OutWidth { get; }

    /// <summary>Explicit im2col buffer instead of shifted planes.</summary>
    public bool ColumnMode { get; }

    /// <summary>Stride (column mode).</summary>
    public int Stride { get; }

    /// <summary>Padding (column mode).</summary>
    public int Padding { get; }

    /// <summary>Padded plane height (plane mode).</summary>
    public int PlaneHeight { get; }

    /// <summary>Padded plane width <c>Wp</c> (plane mode).</summary>
    public int PlaneWidth { get; }

    /// <summary>Elements of one padded plane.</summary>
    public int PlaneLength => PlaneHeight * PlaneWidth;

    /// <summary>Distance between planes in the buffer (plane mode): <see cref="PlaneLength"/> rounded up to an odd number of cache lines.</summary>
    public int ChannelStride { get; }

    /// <summary>Distance between rows of the im2col buffer (column mode), likewise an odd number of cache lines.</summary>
    public int ColumnRowStride { get; }

    /// <summary>Where source element <c>(0, 0)</c> lands in the plane (padding; negative crops).</summary>
    public int Origin { get; }

    /// <summary>Spacing of source elements in the plane (the stride for the input gradient, else 1).</summary>
    public int Dilation { get; }

    /// <summary>GEMM depth <c>K = Channels * k * k</c>.</summary>
    public int Depth { get; }

    /// <summary>Columns per output row in the GEMM (<c>Wp</c> in plane mode, <c>Wo</c> in column mode).</summary>
    public int RowWidth { get; }

    /// <summary>GEMM columns <c>N = OutHeight * RowWidth</c>.</summary>
    public int Columns { get; }

    /// <summary><see cref="Columns"/> rounded up to whole vectors.</summary>
    public int PaddedColumns { get; }

    /// <summary>Floats of the per-sample <c>B</c> buffer.</summary>
    public int BufferLength { get; }

    /// <summary>Elements of one source sample.</summary>
    public int SourceSampleLength => Channels * SourceHeight * SourceWidth;

    /// <summary>The lowering of the forward convolution.</summary>
    public static ConvLowering Forward(in Conv2dGeometry g, int vectorWidth)
    {
        int k = g.KernelSize;
        return g.Stride == 1
            ? new ConvLowering(
                g.InChannels, g.InHeight, g.InWidth, k, g.OutHeight, g.OutWidth, columnMode: false, 1, g.Padding,
                g.InHeight + (2 * g.Padding), g.InWidth + (2 * g.Padding), g.Padding, 1, vectorWidth)
            : new ConvLowering(
                g.InChannels, g.InHeight, g.InWidth, k, g.OutHeight, g.OutWidth, columnMode: true, g.Stride, g.Padding,
                0, 0, 0, 1, vectorWidth);
    }

    /// <summary>
    /// The lowering of the input gradient: a stride-1 convolution of the output gradient, dilated by the
    /// stride and placed at <c>k - 1 - p</c> in planes of <c>(H + k - 1) x (W + k - 1)</c>, so the result
    /// is exactly <c>H x W</c>.
    /// </summary>
    public static ConvLowering BackwardInput(in Conv2dGeometry g, int vectorWidth)
    {
        int k = g.KernelSize;
        return new ConvLowering(
            g.OutChannels, g.OutHeight, g.OutWidth, k, g.InHeight, g.InWidth, columnMode: false, 1, 0,
            g.InHeight + k - 1, g.InWidth + k - 1, k - 1 - g.Padding, g.Stride, vectorWidth);
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
                    offsets[kk] = ColumnMode ? kk * ColumnRowStride : (c * ChannelStride) + (ky * PlaneWidth) + kx;
                }
            }
        }
    }

    /// <summary>Builds the <c>B</c> buffer of one sample (<paramref name="buffer"/> has <see cref="BufferLength"/> floats).</summary>
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

    /// <summary>
    /// The smallest stride of at least <paramref name="floats"/> floats that is an odd number of 64-byte lines:
    /// rows of <c>B</c> that sit one stride apart then start in different L1 sets. (With 30 x 30 inputs and
    /// padding 1 a plane is exactly 4 KiB, and every channel's rows would otherwise share the same sets.)
    /// </summary>
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
        int sh = SourceHeight, sw = SourceWidth, pw = PlaneWidth, d = Dilation, o = Origin;

        // Source columns sx that land inside the plane: 0 <= o + sx * d < pw.
        int sxStart = o >= 0 ? 0 : (-o + d - 1) / d;
        int sxEnd = pw - 1 - o < 0 ? 0 : Math.Min(sw, ((pw - 1 - o) / d) + 1);
        if (d != 1 || sxEnd <= sxStart)
        {
            // Dilated (input gradient of a strided convolution): zero everything, then scatter.
            buffer.Slice(0, BufferLength).Clear();
            if (sxEnd > sxStart)
            {
                for (int c = 0; c < Channels; c++)
                {
                    ReadOnlySpan<float> src = sample.Slice(c * sh * sw, sh * sw);
                    Span<float> plane = buffer.Slice(c * ChannelStride, PlaneLength);
                    for (int sy = 0; sy < sh; sy++)
                    {
                        int y = o + (sy * d);
                        if ((uint)y < (uint)PlaneHeight)
                        {
                            Span<float> dstRow = plane.Slice(y * pw, pw);
                            for (int sx = sxStart; sx < sxEnd; sx++)
                            {
                                dstRow[o + (sx * d)] = src[(sy * sw) + sx];
                            }
                        }
                    }
                }
            }

            return;
        }

        // Dense: every element is written once, the padding with zeros and the interior with a row copy.
        int left = o + sxStart, count = sxEnd - sxStart, right = pw - left - count;
        for (int c = 0; c < Channels; c++)
        {
            ReadOnlySpan<float> src = sample.Slice(c * sh * sw, sh * sw);
            Span<float> plane = buffer.Slice(c * ChannelStride, ChannelStride);
            for (int y = 0; y < PlaneHeight; y++)
            {
                Span<float> dstRow = plane.Slice(y * pw, pw);
                int sy = y - o;
                if ((uint)sy >= (uint)sh)
                {
                    dstRow.Clear();
                    continue;
                }

                dstRow.Slice(0, left).Clear();
                src.Slice((sy * sw) + sxStart, count).CopyTo(dstRow.Slice(left));
                dstRow.Slice(left + count, right).Clear();
            }

            plane.Slice(PlaneLength).Clear();
        }

        buffer.Slice(Channels * ChannelStride, BufferLength - (Channels * ChannelStride)).Clear();
    }

    private void FillColumns(ReadOnlySpan<float> sample, Span<float> buffer)
    {
        int k = Kernel, s = Stride, p = Padding, h = SourceHeight, w = SourceWidth, oh = OutHeight, ow = OutWidth;
        for (int c = 0; c < Channels; c++)
        {
            ReadOnlySpan<float> src = sample.Slice(c * h * w, h * w);
            for (int ky = 0; ky < k; ky++)
            {
                for (int kx = 0; kx < k; kx++)
                {
                    Span<float> row = buffer.Slice(((((c * k) + ky) * k) + kx) * ColumnRowStride, PaddedColumns);
                    for (int oy = 0; oy < oh; oy++)
                    {
                        int iy = (oy * s) - p + ky;
                        Span<float> dst = row.Slice(oy * ow, ow);
                        if ((uint)iy >= (uint)h)
                        {
                            dst.Clear();
                            continue;
                        }

                        ReadOnlySpan<float> srcRow = src.Slice(iy * w, w);
                        for (int ox = 0; ox < ow; ox++)
                        {
                            int ix = (ox * s) - p + kx;
                            dst[ox] = (uint)ix < (uint)w ? srcRow[ix] : 0f;
                        }
                    }

                    row.Slice(Columns).Clear();
                }
            }
        }
    }
}
