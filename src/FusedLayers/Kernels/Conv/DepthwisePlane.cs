using System;

namespace FusedLayers.Kernels.Conv;

/// <summary>
/// One source plane copied into a zero-padded buffer laid out for a direct convolution vectorised along output
/// columns: <c>y[oy, ox] = sum_{ky,kx} w[ky, kx] * P[oy * s + d * ky, ox * s + d * kx]</c>, where <c>P</c> is the
/// padded plane (source element <c>(sy, sx)</c> at <c>(origin + sy * spacing, origin + sx * spacing)</c>, zero
/// elsewhere).
/// </summary>
/// <remarks>
/// <para>Each padded row is stored as <c>s</c> column phases (phase <c>f</c> holds columns <c>f, f + s, f + 2s, ...</c>),
/// each <see cref="PhaseWidth"/> long, so the taps of a stride-<c>s</c> row are contiguous too: column
/// <c>ox * s + d * kx</c> is element <c>ox + (d * kx) / s</c> of phase <c>(d * kx) % s</c>, and a vector of
/// consecutive <c>ox</c> is one unaligned load. With stride 1 there is one phase and this is the plain padded plane.</para>
/// <para>The forward pass places the input at <c>origin = p</c>, <c>spacing = 1</c>. The input gradient is a
/// stride-1 correlation of the output gradient spread by the stride (<c>spacing = s</c>) and placed at
/// <c>origin = d (k - 1) - p</c> (negative crops), with the kernel rotated by 180 degrees.</para>
/// <para>Phase rows are <see cref="PhaseWidth"/> = <c>roundup(Wo, vector) + d (k - 1) / s</c> long, so the last
/// (partial) vector of a row reads inside the row; every element of the buffer is written by <see cref="Fill"/>.</para>
/// </remarks>
internal readonly unsafe struct DepthwisePlane
{
    /// <summary>Describes the buffer for one source plane and one output plane shape.</summary>
    /// <param name="sourceHeight">Rows of the source plane.</param>
    /// <param name="sourceWidth">Columns of the source plane.</param>
    /// <param name="origin">Where source element <c>(0, 0)</c> lands in the padded plane (negative crops).</param>
    /// <param name="spacing">Distance between consecutive source elements in the padded plane.</param>
    /// <param name="stride">Output stride.</param>
    /// <param name="dilation">Distance between kernel taps.</param>
    /// <param name="kernel">Kernel side.</param>
    /// <param name="outHeight">Output rows.</param>
    /// <param name="outWidth">Output columns.</param>
    /// <param name="vectorWidth">Floats per vector of the path.</param>
    public DepthwisePlane(
        int sourceHeight, int sourceWidth, int origin, int spacing, int stride, int dilation, int kernel, int outHeight, int outWidth, int vectorWidth)
    {
        SourceHeight = sourceHeight;
        SourceWidth = sourceWidth;
        Origin = origin;
        Spacing = spacing;
        Stride = stride;
        Dilation = dilation;
        Kernel = kernel;
        OutHeight = outHeight;
        OutWidth = outWidth;
        int reach = dilation * (kernel - 1);
        Rows = ((outHeight - 1) * stride) + reach + 1;
        PaddedOutWidth = (outWidth + vectorWidth - 1) / vectorWidth * vectorWidth;
        PhaseWidth = PaddedOutWidth + (reach / stride);
    }

    /// <summary>Rows of the source plane.</summary>
    public int SourceHeight { get; }

    /// <summary>Columns of the source plane.</summary>
    public int SourceWidth { get; }

    /// <summary>Where source element <c>(0, 0)</c> lands in the padded plane.</summary>
    public int Origin { get; }

    /// <summary>Distance between consecutive source elements in the padded plane.</summary>
    public int Spacing { get; }

    /// <summary>Output stride (number of column phases).</summary>
    public int Stride { get; }

    /// <summary>Distance between kernel taps.</summary>
    public int Dilation { get; }

    /// <summary>Kernel side.</summary>
    public int Kernel { get; }

    /// <summary>Output rows.</summary>
    public int OutHeight { get; }

    /// <summary>Output columns.</summary>
    public int OutWidth { get; }

    /// <summary><see cref="OutWidth"/> rounded up to whole vectors.</summary>
    public int PaddedOutWidth { get; }

    /// <summary>Padded rows held (the ones the output reads).</summary>
    public int Rows { get; }

    /// <summary>Elements of one column phase of a row.</summary>
    public int PhaseWidth { get; }

    /// <summary>Elements of one padded row (all phases).</summary>
    public int RowLength => Stride * PhaseWidth;

    /// <summary>Distance in the buffer between the rows read by consecutive output rows.</summary>
    public nint OutputRowStep => (nint)Stride * RowLength;

    /// <summary>Floats of the buffer.</summary>
    public int Length => Rows * RowLength;

    /// <summary>
    /// Output vectors of the plane ("units"): <c>OutHeight * PaddedOutWidth / vector</c>. Unit <c>u</c> is the vector at
    /// row <c>u / (PaddedOutWidth / vector)</c>; in an output held with rows <see cref="PaddedOutWidth"/> apart it starts at <c>u * vector</c>.
    /// </summary>
    public int UnitCount(int vectorWidth) => OutHeight * (PaddedOutWidth / vectorWidth);

    /// <summary><see cref="UnitCount"/> rounded up to whole blocks of <paramref name="block"/> units.</summary>
    public int PaddedUnitCount(int vectorWidth, int block) => (UnitCount(vectorWidth) + block - 1) / block * block;

    /// <summary>
    /// Writes the buffer offset of each unit's first tap-(0, 0) element; the entries past <see cref="UnitCount"/> (up to
    /// <paramref name="offsets"/>' length) repeat the last unit, so a block of units can always be read whole.
    /// </summary>
    public void WriteUnitOffsets(Span<int> offsets, int vectorWidth)
    {
        int perRow = PaddedOutWidth / vectorWidth, units = UnitCount(vectorWidth), step = (int)OutputRowStep;
        int u = 0;
        for (int oy = 0; oy < OutHeight; oy++)
        {
            for (int v = 0; v < perRow; v++)
            {
                offsets[u++] = (oy * step) + (v * vectorWidth);
            }
        }

        offsets.Slice(units).Fill(offsets[units - 1]);
    }

    /// <summary>Writes, for each tap <c>(ky, kx)</c>, the buffer offset of the element output <c>(0, 0)</c> reads.</summary>
    /// <param name="offsets">Receives <c>k * k</c> offsets.</param>
    public void WriteTapOffsets(Span<int> offsets)
    {
        int k = Kernel, d = Dilation, s = Stride;
        for (int ky = 0; ky < k; ky++)
        {
            for (int kx = 0; kx < k; kx++)
            {
                int column = d * kx;
                offsets[(ky * k) + kx] = (d * ky * RowLength) + (column % s * PhaseWidth) + (column / s);
            }
        }
    }

    /// <summary>Copies <paramref name="source"/> (<c>SourceHeight x SourceWidth</c>) into <paramref name="buffer"/> (<see cref="Length"/> floats), zero elsewhere.</summary>
    public void Fill(float* source, float* buffer)
    {
        int sh = SourceHeight, sw = SourceWidth, o = Origin, sp = Spacing, s = Stride, q = PhaseWidth, rowLength = RowLength;

        // Source columns that land inside the held columns [0, s * q): 0 <= o + sx * sp < s * q.
        int sxStart = o >= 0 ? 0 : (-o + sp - 1) / sp;
        int sxEnd = rowLength - 1 - o < 0 ? 0 : Math.Min(sw, ((rowLength - 1 - o) / sp) + 1);
        int count = Math.Max(0, sxEnd - sxStart);
        int left = o + (sxStart * sp);
        for (int r = 0; r < Rows; r++)
        {
            float* row = buffer + ((nint)r * rowLength);
            int t = r - o;
            int sy = t / sp;
            if (t < 0 || t % sp != 0 || sy >= sh || count == 0)
            {
                new Span<float>(row, rowLength).Clear();
                continue;
            }

            float* src = source + ((nint)sy * sw);
            if (s == 1 && sp == 1)
            {
                // One phase, contiguous: zero borders and one copy for the interior.
                new Span<float>(row, left).Clear();
                new ReadOnlySpan<float>(src + sxStart, count).CopyTo(new Span<float>(row + left, count));
                new Span<float>(row + left + count, rowLength - left - count).Clear();
                continue;
            }

            // Column c = o + sx * sp is element c / s of phase c % s; both advance without a division per element.
            new Span<float>(row, rowLength).Clear();
            int phase = left % s, at = left / s, phaseStep = sp % s, atStep = sp / s;
            for (int sx = sxStart; sx < sxEnd; sx++)
            {
                row[(phase * q) + at] = src[sx];
                phase += phaseStep;
                at += atStep;
                if (phase >= s)
                {
                    phase -= s;
                    at++;
                }
            }
        }
    }
}
