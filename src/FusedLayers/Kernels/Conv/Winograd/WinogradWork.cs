using System;
using System.Buffers;
using System.Runtime.Intrinsics;
using System.Threading;
using FusedLayers.Execution;
using FusedLayers.Kernels.Gemm;

namespace FusedLayers.Kernels.Conv.Winograd;

/// <summary>
/// The parallel loop body of <see cref="WinogradConv{TPath}"/>: one index per (sample, run of tile batches).
/// A tile batch is <see cref="TileBatch"/> consecutive output tiles of one sample (row-major over the tile grid).
/// Per batch: the input transform <c>V[pos][ci][t] = (B^T d B)[pos]</c> (tiles gathered from the NCHW input with
/// the zero padding applied on the fly, then transformed a vector of tiles at a time), then, per block of output
/// channels, one GEMM per transform position <c>M[pos] = U[pos] V[pos]</c> on the path's micro-kernel and the output
/// transform <c>Y = A^T M A</c> with the bias and the activation applied before the tiles are stored (partial tiles at
/// the right and bottom edges are clipped). <c>V</c> and the block of <c>M</c> are sized to stay in L2; nothing
/// of full-tensor size is transformed. Every output element is produced by one index in a fixed order, so results
/// are bit-identical whatever the thread count.
/// </summary>
/// <typeparam name="TPath">The instruction-set path (GEMM micro-kernel and vector width).</typeparam>
/// <typeparam name="TTile">The Winograd variant.</typeparam>
internal sealed unsafe class WinogradWork<TPath, TTile> : ParallelWork
    where TPath : struct, IGemmPath
    where TTile : struct, IWinogradTile
{
    /// <summary>Bytes of transformed input per tile batch the batch size aims at.</summary>
    private const int InputBudget = 512 * 1024;

    /// <summary>Bytes of GEMM results per output-channel block.</summary>
    private const int ProductBudget = 256 * 1024;

    [ThreadStatic]
    private static WinogradWork<TPath, TTile>? cached;

    private Conv2dGeometry geometry;
    private float* input;
    private nint inputLength;
    private float* weights;
    private int positionStride;
    private float* bias;
    private float* output;
    private int* offsets;
    private Activation activation;
    private double* planeMean;
    private double* planeM2;
    private int tilesX;
    private int tilesPerSample;
    private int batchesPerSample;
    private int chunks;
    private int blockRows;
    private int nonFinite;

    /// <summary>The calling thread's instance.</summary>
    public static WinogradWork<TPath, TTile> Instance => cached ??= new WinogradWork<TPath, TTile>();

    /// <summary>Tiles per batch for <paramref name="g"/>: whole column tiles of the micro-kernel, as many as fit <see cref="InputBudget"/> (1 to 4 tiles).</summary>
    public static int TileBatch(in Conv2dGeometry g)
    {
        int alpha = TTile.InputTile, m = TTile.OutputTile;
        int width = GemmDriver<TPath>.TileWidth;
        int perTile = alpha * alpha * g.InChannels * sizeof(float);
        int tiles = Math.Clamp(InputBudget / (perTile * width), 1, 4) * width;
        int perSample = ((g.OutHeight + m - 1) / m) * ((g.OutWidth + m - 1) / m);
        return Math.Min(tiles, GemmDriver<TPath>.PadColumns(perSample));
    }

    /// <summary>
    /// Runs the convolution. <paramref name="weights"/> is <see cref="WinogradWeights.Transformed"/>; <paramref name="offsets"/>
    /// holds <c>ci * TileBatch</c> for every input channel; <paramref name="planeMean"/> / <paramref name="planeM2"/> (or null)
    /// receive every output plane's mean and sum of squared deviations, taken per sample right after its planes are written.
    /// Returns false when the input holds a NaN or an infinity: a tile transform spreads it to outputs outside its
    /// 3 x 3 receptive field (and <c>inf - inf</c> makes NaNs), so the caller must redo the call with the direct algorithm.
    /// </summary>
    public bool Run(
        int threads, in Conv2dGeometry g, int batch, float* input, float* weights, int positionStride, float* bias, float* output, int* offsets,
        Activation activation, double* planeMean, double* planeM2)
    {
        if (batch == 0)
        {
            return true;
        }

        int m = TTile.OutputTile, alpha = TTile.InputTile;
        nonFinite = 0;
        geometry = g;
        this.input = input;
        inputLength = (nint)batch * g.InputSampleLength;
        this.weights = weights;
        this.positionStride = positionStride;
        this.bias = bias;
        this.output = output;
        this.offsets = offsets;
        this.activation = activation;
        this.planeMean = planeMean;
        this.planeM2 = planeM2;
        tilesX = (g.OutWidth + m - 1) / m;
        tilesPerSample = tilesX * ((g.OutHeight + m - 1) / m);
        int tileBatch = TileBatch(g);
        batchesPerSample = (tilesPerSample + tileBatch - 1) / tileBatch;
        bool oneChunk = planeMean != null || threads == 1 || batch >= 4 * threads;
        int wanted = oneChunk ? 1 : Math.Min(batchesPerSample, ((4 * threads) + batch - 1) / batch);
        int perChunk = (batchesPerSample + wanted - 1) / wanted;
        chunks = (batchesPerSample + perChunk - 1) / perChunk;
        int rows = ProductBudget / (alpha * alpha * tileBatch * sizeof(float)) / TPath.Rows * TPath.Rows;
        blockRows = Math.Clamp(rows, TPath.Rows, GemmDriver<TPath>.PadRows(g.OutChannels));
        KernelThreadPool.Run(this, batch * chunks, threads);
        this.input = this.weights = this.bias = this.output = null;
        this.offsets = null;
        this.planeMean = this.planeM2 = null;
        return Volatile.Read(ref nonFinite) == 0;
    }

    /// <inheritdoc />
    public override void Execute(int index)
    {
        if (TPath.Width == ConvVectors512.Width)
        {
            Execute<ConvVectors512, Vector512<float>>(index);
        }
        else
        {
            Execute<ConvVectors256, Vector256<float>>(index);
        }
    }

    private void Execute<TOps, TVector>(int index)
        where TOps : struct, IConvVectors<TVector>
        where TVector : unmanaged
    {
        Conv2dGeometry g = geometry;
        int alpha = TTile.InputTile, m = TTile.OutputTile, positions = alpha * alpha;
        int tileBatch = TileBatch(g);
        int n = index / chunks, chunk = index % chunks;
        int perChunk = (batchesPerSample + chunks - 1) / chunks;
        int firstBatch = chunk * perChunk, endBatch = Math.Min(batchesPerSample, firstBatch + perChunk);
        int productRows = GemmDriver<TPath>.PadRows(blockRows);
        int cin = g.InChannels, cout = g.OutChannels;

        int gatherStride = tileBatch + TOps.Width;
        float[] gatherArray = ArrayPool<float>.Shared.Rent(positions * gatherStride);
        float[] scratchArray = ArrayPool<float>.Shared.Rent(positions * TOps.Width);
        float[] transformedArray = ArrayPool<float>.Shared.Rent(positions * cin * tileBatch);
        float[] productArray = ArrayPool<float>.Shared.Rent(positions * productRows * tileBatch);
        float[] tileArray = ArrayPool<float>.Shared.Rent((m * m * tileBatch) + TOps.Width);
        float[] rowArray = ArrayPool<float>.Shared.Rent(((tilesX + TOps.Width + 1) * m) + alpha);
        rowArray.AsSpan().Clear(); // its slack is read by vectors past a run: only input values and zeros may be there
        try
        {
            fixed (float* gather = gatherArray)
            fixed (float* scratch = scratchArray)
            fixed (float* transformed = transformedArray)
            fixed (float* product = productArray)
            fixed (float* tiles = tileArray)
            fixed (float* row = rowArray)
            {
                for (int b = firstBatch; b < endBatch; b++)
                {
                    int first = b * tileBatch;
                    int count = Math.Min(tileBatch, tilesPerSample - first);
                    int padded = GemmDriver<TPath>.PadColumns(count);
                    for (int ci = 0; ci < cin; ci++)
                    {
                        Gather<TOps, TVector>(n, ci, first, count, gatherStride, gather, row);
                        for (int t = 0; t < padded; t += TOps.Width)
                        {
                            Transform2d<TOps, TVector>(gather + t, gatherStride, scratch, transformed + ((nint)ci * tileBatch) + t, (nint)cin * tileBatch, input: true);
                        }
                    }

                    for (int row0 = 0; row0 < cout; row0 += blockRows)
                    {
                        int rows = Math.Min(blockRows, cout - row0);
                        Multiply(row0, rows, count, tileBatch, productRows, transformed, product);
                        for (int r = 0; r < rows; r++)
                        {
                            int co = row0 + r;
                            for (int t = 0; t < padded; t += TOps.Width)
                            {
                                Transform2d<TOps, TVector>(product + ((nint)r * tileBatch) + t, (nint)productRows * tileBatch, scratch, tiles + t, tileBatch, input: false);
                            }

                            Finish<TOps, TVector>(tiles, m * m * tileBatch, co);
                            Scatter<TOps, TVector>(n, co, first, count, tileBatch, tiles, row);
                        }
                    }
                }
            }

            if (planeMean != null)
            {
                int planeLength = g.OutputPlaneLength;
                for (int co = 0; co < cout; co++)
                {
                    float* plane = output + ((((nint)n * cout) + co) * planeLength);
                    double mean = TPath.Sum(plane, planeLength) / planeLength;
                    planeMean[(n * cout) + co] = mean;
                    planeM2[(n * cout) + co] = TPath.SquaredDeviations(plane, planeLength, mean);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rowArray);
            ArrayPool<float>.Shared.Return(tileArray);
            ArrayPool<float>.Shared.Return(productArray);
            ArrayPool<float>.Shared.Return(transformedArray);
            ArrayPool<float>.Shared.Return(scratchArray);
            ArrayPool<float>.Shared.Return(gatherArray);
        }
    }

    /// <summary>
    /// The 2-D transform of one vector of tiles: element <c>(i, j)</c> of the source tile is at
    /// <c>source[(i * alpha + j) * sourceStride]</c> (the input transform: <c>alpha x alpha</c> to <c>alpha x alpha</c>;
    /// the output transform: <c>alpha x alpha</c> to <c>m x m</c>), the result at <c>destination[(i * side + j) * destinationStride]</c>.
    /// Columns first into <paramref name="scratch"/>, then rows.
    /// </summary>
    private static void Transform2d<TOps, TVector>(float* source, nint sourceStride, float* scratch, float* destination, nint destinationStride, bool input)
        where TOps : struct, IConvVectors<TVector>
        where TVector : unmanaged
    {
        int alpha = TTile.InputTile, m = TTile.OutputTile, w = TOps.Width;
        if (input)
        {
            for (int j = 0; j < alpha; j++)
            {
                TTile.Input<TOps, TVector>(source + (j * sourceStride), alpha * sourceStride, scratch + (j * w), alpha * w);
            }

            for (int i = 0; i < alpha; i++)
            {
                TTile.Input<TOps, TVector>(scratch + (i * alpha * w), w, destination + (i * alpha * destinationStride), destinationStride);
            }
        }
        else
        {
            for (int j = 0; j < alpha; j++)
            {
                TTile.Output<TOps, TVector>(source + (j * sourceStride), alpha * sourceStride, scratch + (j * w), alpha * w);
            }

            for (int i = 0; i < m; i++)
            {
                TTile.Output<TOps, TVector>(scratch + (i * alpha * w), w, destination + (i * m * destinationStride), destinationStride);
            }
        }
    }

    /// <summary>
    /// <c>gather[(r * alpha + c) * stride + t] = x[n, ci, ty*m - p + r, tx*m - p + c]</c> (zero outside the input) for the
    /// <paramref name="count"/> tiles from <paramref name="first"/>, one run of tiles of a tile row at a time: each input row
    /// the run needs is copied once, zero-padded, into <paramref name="row"/>, then split into its <c>alpha</c> column
    /// offsets with stride-<c>m</c> vector loads (a vector may run past the run into columns the next run overwrites, so
    /// <paramref name="stride"/> has a vector of slack).
    /// </summary>
    private void Gather<TOps, TVector>(int n, int ci, int first, int count, int stride, float* gather, float* row)
        where TOps : struct, IConvVectors<TVector>
        where TVector : unmanaged
    {
        Conv2dGeometry g = geometry;
        int alpha = TTile.InputTile, m = TTile.OutputTile, h = g.InHeight, wd = g.InWidth, p = g.Padding, w = TOps.Width;
        float* plane = input + ((((nint)n * g.InChannels) + ci) * h * wd);
        float* end = input + inputLength;
        TVector check = TOps.Zero;
        int t = 0;
        while (t < count)
        {
            int tile = first + t;
            int ty = tile / tilesX, tx0 = tile - (ty * tilesX);
            int run = Math.Min(count - t, tilesX - tx0);
            int iy0 = (ty * m) - p, xs = (tx0 * m) - p, length = ((run - 1) * m) + alpha;
            int lo = Math.Max(0, -xs), hi = Math.Min(length, wd - xs);
            bool inside = xs >= 0 && xs + length <= wd;
            int reach = ((run + w - 1) / w * w * m) + m;
            for (int r = 0; r < alpha; r++)
            {
                int iy = iy0 + r;
                float* dst = gather + ((nint)r * alpha * stride) + t;
                if ((uint)iy >= (uint)h)
                {
                    for (int c = 0; c < alpha; c++)
                    {
                        new Span<float>(dst + ((nint)c * stride), run).Clear();
                    }

                    continue;
                }

                // An interior run reads the input row in place (its vectors may run on into the next row, inside the
                // input: checked by `inside`); a run that reaches into the padding reads a zero-padded copy.
                float* s0 = plane + ((nint)iy * wd) + xs;
                if (!inside || s0 + reach > end)
                {
                    for (int i = 0; i < lo; i++)
                    {
                        row[i] = 0f;
                    }

                    int i0 = lo;
                    for (; i0 + w <= hi; i0 += w)
                    {
                        TOps.Store(TOps.Load(s0 + i0), row + i0);
                    }

                    for (; i0 < hi; i0++)
                    {
                        row[i0] = s0[i0];
                    }

                    for (int i = Math.Max(lo, hi); i < length; i++)
                    {
                        row[i] = 0f;
                    }

                    s0 = row;
                }

                for (int c = 0; c < alpha; c++)
                {
                    float* d = dst + ((nint)c * stride);
                    float* s = s0 + (c / m * m);
                    int phase = c % m;
                    for (int j = 0; j < run; j += w)
                    {
                        TVector v = TOps.LoadStrided(s + (j * m), m, phase);
                        check = TOps.MultiplyAdd(v, TOps.Zero, check); // NaN from here on if v holds a NaN or an infinity
                        TOps.Store(v, d + j);
                    }
                }
            }

            t += run;
        }

        if (double.IsNaN(TOps.SumLanes(check)))
        {
            // Lanes past a run hold other input values (or zeros), so this only fires for a non-finite input.
            Volatile.Write(ref nonFinite, 1);
        }
    }

    /// <summary><c>product[pos][r][t] = sum_ci U[pos][row0 + r][ci] * V[pos][ci][t]</c> for every position: one GEMM each.</summary>
    private void Multiply(int row0, int rows, int count, int stride, int productRows, float* transformed, float* product)
    {
        int positions = TTile.InputTile * TTile.InputTile;
        int cin = geometry.InChannels;
        for (int pos = 0; pos < positions; pos++)
        {
            var operands = new GemmOperands
            {
                A = weights + ((nint)pos * positionStride) + ((nint)(row0 / TPath.Rows) * cin * TPath.Rows),
                APanelStride = (nint)cin * TPath.Rows,
                AColumnStride = TPath.Rows,
                M = rows,
                B = transformed + ((nint)pos * cin * stride),
                BOffsets = offsets,
                N = count,
                K = cin,
                KBlock = GemmDriver<TPath>.DepthBlock(cin, 256),
                C = product + ((nint)pos * productRows * stride),
                Ldc = stride,
            };
            GemmDriver<TPath>.Run(operands, 0, GemmDriver<TPath>.RowBlockCount(rows), 0, GemmDriver<TPath>.TileCount(count));
        }
    }

    /// <summary>Bias and activation over the output tiles of one channel (<paramref name="length"/> floats, whole vectors).</summary>
    private void Finish<TOps, TVector>(float* tiles, int length, int co)
        where TOps : struct, IConvVectors<TVector>
        where TVector : unmanaged
    {
        bool relu = activation.Kind == ActivationKind.ReLU;
        if (bias != null || relu)
        {
            TVector b = TOps.Broadcast(bias != null ? bias[co] : 0f);
            for (int i = 0; i < length; i += TOps.Width)
            {
                TVector v = TOps.Add(TOps.Load(tiles + i), b);
                TOps.Store(relu ? TOps.Relu(v) : v, tiles + i);
            }
        }

        if (activation.Kind is not (ActivationKind.Identity or ActivationKind.ReLU))
        {
            ActivationKernels.ApplyInPlace(TPath.Isa, activation, new Span<float>(tiles, length));
        }
    }

    /// <summary>
    /// Stores the output tiles of channel <paramref name="co"/> (element <c>(i, j)</c> of tile <c>t</c> at
    /// <c>tiles[(i * m + j) * stride + t]</c>), one run of tiles of a tile row at a time: each output row of the run is
    /// interleaved into <paramref name="row"/> with vector permutes and copied out, clipped to the plane at the bottom and
    /// right edges.
    /// </summary>
    private void Scatter<TOps, TVector>(int n, int co, int first, int count, int stride, float* tiles, float* row)
        where TOps : struct, IConvVectors<TVector>
        where TVector : unmanaged
    {
        Conv2dGeometry g = geometry;
        int m = TTile.OutputTile, oh = g.OutHeight, ow = g.OutWidth, w = TOps.Width;
        float* plane = output + ((((nint)n * g.OutChannels) + co) * oh * ow);
        int t = 0;
        while (t < count)
        {
            int tile = first + t;
            int ty = tile / tilesX, tx0 = tile - (ty * tilesX);
            int run = Math.Min(count - t, tilesX - tx0);
            int oy0 = ty * m, ox0 = tx0 * m;
            int rows = Math.Min(m, oh - oy0), columns = Math.Min(run * m, ow - ox0);
            for (int i = 0; i < rows; i++)
            {
                float* src = tiles + ((nint)i * m * stride) + t;
                for (int k = 0; k < run; k += w)
                {
                    TOps.StoreInterleaved(src + k, stride, m, row + (k * m));
                }

                new ReadOnlySpan<float>(row, columns).CopyTo(new Span<float>(plane + ((nint)(oy0 + i) * ow) + ox0, columns));
            }

            t += run;
        }
    }
}
