namespace FusedLayers.Kernels.Gemm;

/// <summary>
/// One instruction-set path of the GEMM engine: the register-blocked micro-kernel and the few vector
/// loops the epilogues need. Implemented by <see cref="Avx2Path"/> (Vector256 + FMA) and
/// <see cref="Avx512Path"/> (Vector512); drivers are generic over it, so the JIT specialises every
/// driver per path and inlines these static calls.
/// </summary>
/// <remarks>
/// The micro-kernel computes a <c>Rows x (vectors * Width)</c> tile
/// <c>C[i, j] (+)= sum_k A(i, k) * B(k, j)</c> where <c>A(i, k) = a[rowOffsets[i] + k * columnStride]</c>
/// is broadcast from memory and row <c>k</c> of <c>B</c> is read contiguously from
/// <c>b[bOffsets[k] + j]</c>. The offsets table is what lets a convolution be a GEMM without im2col:
/// row <c>(ci, ky, kx)</c> of <c>B</c> is the zero-padded input plane shifted by <c>ky * Wp + kx</c>.
/// Per-row offsets for <c>A</c> cover a row-major matrix (<c>i * lda</c>), a transposed one
/// (<c>i</c>, column stride <c>lda</c>) and the shifted planes of the weight gradient alike, and the
/// JIT keeps the row pointers in registers with one shared column index.
/// </remarks>
internal unsafe interface IGemmPath
{
    /// <summary>Rows of the micro-tile (broadcast operand).</summary>
    static abstract int Rows { get; }

    /// <summary>The instruction set this path's vectors map to (for the element-wise epilogues).</summary>
    static abstract KernelIsa Isa { get; }

    /// <summary>Floats per vector.</summary>
    static abstract int Width { get; }

    /// <summary>Vectors per micro-tile row at most.</summary>
    static abstract int MaxVectors { get; }

    /// <summary>
    /// <c>C[i, j] = (accumulate ? C[i, j] : 0) + sum_{k &lt; depth} a[rowOffsets[i] + k * columnStride] * b[bOffsets[k] + j]</c>
    /// for <c>i &lt; Rows</c>, <c>j &lt; tiles * vectors * Width</c>; <c>C[i, j]</c> is <c>c[i * ldc + j]</c>. The
    /// <paramref name="tiles"/> tiles side by side are computed one after the other with the row pointers of
    /// <c>A</c> set up once: for a shallow product (3 input channels x 3 x 3 = 27 steps) the per-call setup
    /// would otherwise cost a quarter of the FMA time.
    /// </summary>
    static abstract void MicroTile(
        int vectors, int tiles, float* a, nint* rowOffsets, nint columnStride, float* b, int* bOffsets, int depth, float* c, nint ldc, bool accumulate);

    /// <summary>
    /// <c>dst[r * dstStride + i] = max?(src[r * srcStride + i] + bias)</c> for <c>r &lt; rows</c>, <c>i &lt; length</c>
    /// (ReLU when <paramref name="relu"/>): the compaction of a plane computed <c>srcStride</c> wide.
    /// <paramref name="src"/> and <paramref name="dst"/> must not overlap.
    /// </summary>
    static abstract void StoreRows(float* src, nint srcStride, float* dst, nint dstStride, int rows, int length, float bias, bool relu);

    /// <summary>
    /// As <see cref="StoreRows"/> without ReLU, and returns the float64 sum of the stored values (the first pass of
    /// the plane's statistics, taken while the values are in registers; fixed order).
    /// </summary>
    static abstract double StoreRowsAndSum(float* src, nint srcStride, float* dst, nint dstStride, int rows, int length, float bias);

    /// <summary><c>dst[i] = max?(src[i] + bias[i])</c>; <paramref name="bias"/> may be null (zero).</summary>
    static abstract void StoreRowWithBiasVector(float* src, float* dst, int length, float* bias, bool relu);

    /// <summary><c>dst[i] += src[i]</c>.</summary>
    static abstract void AddRow(float* src, float* dst, int length);

    /// <summary><c>dst[i] += src[i]</c> in float64.</summary>
    static abstract void AddRowToDouble(float* src, double* dst, int length);

    /// <summary><c>sum_i p[i]</c> in float64 (fixed order: four lane-wise accumulators, then lanes in order, then the scalar tail).</summary>
    static abstract double Sum(float* p, int length);

    /// <summary><c>sum_i (p[i] - mean)^2</c> in float64, in the same fixed order as <see cref="Sum"/>.</summary>
    static abstract double SquaredDeviations(float* p, int length, double mean);

    /// <summary><c>sums[i] += row[i]</c> in float64 (column sums over a batch, one row at a time).</summary>
    static abstract void AccumulateColumns(float* row, double* sums, int length);

    /// <summary><c>m2[i] += (row[i] - mean[i])^2</c> in float64.</summary>
    static abstract void AccumulateSquaredDeviations(float* row, double* mean, double* m2, int length);
}
