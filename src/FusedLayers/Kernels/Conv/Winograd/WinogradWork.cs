using System;
using System.Buffers;
using System.Runtime.Intrinsics;
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
    /// </summary>
    public void Run(
        int threads, in Conv2dGeometry g, int batch, float* input, float* weights, int positionStride, float* bias, float* output, int* offsets,
        Activation activation, double* planeMean, double* planeM2)
    {
        if (batch == 0)
        {
            return;
        }

        int m = TTile.OutputTile, alpha = TTile.InputTile;
        geometry = g;
        this.input = input;
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

        float[] gatherArray = ArrayPool<float>.Shared.Rent(positions * tileBatch);
        float[] scratchArray = ArrayPool<float>.Shared.Rent(positions * TOps.Width);
        float[] transformedArray = ArrayPool<float>.Shared.Rent(positions * cin * tileBatch);
        float[] productArray = ArrayPool<float>.Shared.Rent(positions * productRows * tileBatch);
        float[] tileArray = ArrayPool<float>.Shared.Rent(m * m * tileBatch);
        try
        {
            fixed (float* gather = gatherArray)
            fixed (float* scratch = scratchArray)
            fixed (float* transformed = transformedArray)
            fixed (float* product = productArray)
            fixed (float* tiles = tileArray)
            {
                for (int b = firstBatch; b < endBatch; b++)
                {
                    int first = b * tileBatch;
                    int count = Math.Min(tileBatch, tilesPerSample - first);
                    int padded = GemmDriver<TPath>.PadColumns(count);
                    for (int ci = 0; ci < cin; ci++)
                    {
                        Gather(n, ci, first, count, tileBatch, gather);
                        for (int t = 0; t < padded; t += TOps.Width)
                        {
                            Transform2d<TOps, TVector>(gather + t, tileBatch, scratch, transformed + ((nint)ci * tileBatch) + t, (nint)cin * tileBatch, input: true);
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
                            Scatter(n, co, first, count, tileBatch, tiles);
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
    /// <paramref name="count"/> tiles from <paramref name="first"/>.
    /// </summary>
    private void Gather(int n, int ci, int first, int count, int stride, float* gather)
    {
        Conv2dGeometry g = geometry;
        int alpha = TTile.InputTile, m = TTile.OutputTile, h = g.InHeight, wd = g.InWidth, p = g.Padding;
        float* plane = input + ((((nint)n * g.InChannels) + ci) * h * wd);
        for (int t = 0; t < count; t++)
        {
            int tile = first + t;
            int ty = tile / tilesX, tx = tile - (ty * tilesX);
            int iy0 = (ty * m) - p, ix0 = (tx * m) - p;
            bool inside = ix0 >= 0 && ix0 + alpha <= wd;
            float* d = gather + t;
            for (int r = 0; r < alpha; r++)
            {
                int iy = iy0 + r;
                float* dst = d + ((nint)r * alpha * stride);
                if ((uint)iy >= (uint)h)
                {
                    for (int c = 0; c < alpha; c++)
                    {
                        dst[c * stride] = 0f;
                    }

                    continue;
                }

                float* src = plane + ((nint)iy * wd) + ix0;
                if (inside)
                {
                    for (int c = 0; c < alpha; c++)
                    {
                        dst[c * stride] = src[c];
                    }
                }
                else
                {
                    for (int c = 0; c < alpha; c++)
                    {
                        dst[c * stride] = (uint)(ix0 + c) < (uint)wd ? src[c] : 0f;
                    }
                }
            }
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

    /// <summary>Stores the output tiles of channel <paramref name="co"/> (element <c>(i, j)</c> of tile <c>t</c> at <c>tiles[(i * m + j) * stride + t]</c>), clipped to the plane.</summary>
    private void Scatter(int n, int co, int first, int count, int stride, float* tiles)
    {
        Conv2dGeometry g = geometry;
        int m = TTile.OutputTile, oh = g.OutHeight, ow = g.OutWidth;
        float* plane = output + ((((nint)n * g.OutChannels) + co) * oh * ow);
        for (int t = 0; t < count; t++)
        {
            int tile = first + t;
            int ty = tile / tilesX, tx = tile - (ty * tilesX);
            int oy0 = ty * m, ox0 = tx * m;
            int rows = Math.Min(m, oh - oy0), columns = Math.Min(m, ow - ox0);
            float* src = tiles + t;
            for (int i = 0; i < rows; i++)
            {
                float* dst = plane + ((nint)(oy0 + i) * ow) + ox0;
                float* s = src + ((nint)i * m * stride);
                for (int j = 0; j < columns; j++)
                {
                    dst[j] = s[j * stride];
                }
            }
        }
    }
}
