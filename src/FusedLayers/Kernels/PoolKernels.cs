using System;
using FusedLayers.Execution;

namespace FusedLayers.Kernels;

/// <summary>
/// 2-D max and average pooling and global average pooling over NCHW float32 tensors, with PyTorch's semantics
/// (see <see cref="Reference.ReferenceMaxPool2d"/>, <see cref="Reference.ReferenceAvgPool2d"/> and
/// <see cref="Reference.ReferenceAdaptiveAvgPool2d"/>, which these kernels are tested against).
/// </summary>
/// <remarks>
/// <para>Paths (<see cref="KernelContext.Isa"/>): the window reductions of max and average pooling are
/// vectorised over output columns (8 lanes with Vector256, 16 with Vector512). Columns whose window lies
/// horizontally inside the input take contiguous loads: with stride 1 they are the outputs themselves; with
/// stride s &gt; 1 the vector code reduces the window at every column start (s times the needed work, still
/// 8 / s or 16 / s times fewer instructions than scalar) and keeps every s-th result. The few border columns
/// whose window is clipped by the padding, and the scalar path, scan each window directly. Per element the
/// scan order is the same on every path (rows, then columns; no FMA), so max pooling (values and arg-max)
/// and average pooling are bit-identical across paths. The average-pooling backward is vectorised the same
/// way (each output gradient, divided by its divisor, is laid out at its window start, and each input column
/// sums the k starts that cover it). Global average pooling sums each plane with vector accumulators.</para>
/// <para>Scalar by design: the max-pooling backward is a scatter (<c>dx[argmax] += dy</c>) through the indices
/// saved by the forward pass; AVX2 has no scatter, and AVX-512's scatter would need conflict detection where
/// windows overlap, for a pass that moves one value per output.</para>
/// <para>Max pooling saves the arg-max (flat index within the input plane, PyTorch's <c>return_indices</c>)
/// instead of recomputing it in backward: one int per output, and backward then needs neither the input nor
/// a second window scan.</para>
/// <para>Work is split over blocks of N*C planes on <see cref="KernelThreadPool"/>; planes are independent, so
/// results do not depend on the thread count. Scratch rows come from the shared array pool and the loop
/// bodies are cached per thread: steady-state calls allocate nothing.</para>
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // for generated code; out of IntelliSense
public static partial class PoolKernels
{
    /// <summary>Elements per parallel work item (planes are grouped until a block holds about this many).</summary>
    private const int ElementsPerWorkItem = 8192;

    /// <summary>
    /// Max pooling: <c>output[n,c,oy,ox] = max over the window of input</c> (padding is -infinity; the first maximum
    /// in row-major window order wins ties; a NaN propagates, the last NaN being the arg-max, as PyTorch's CPU
    /// kernel), and <c>indices[n,c,oy,ox] = iy * W + ix</c> of the arg-max.
    /// </summary>
    /// <param name="context">Instruction-set path and threads.</param>
    /// <param name="geometry">Shapes.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="input">Input, <c>N * C * H * W</c>.</param>
    /// <param name="output">Output, <c>N * C * Hout * Wout</c>.</param>
    /// <param name="indices">Arg-max per output, <c>N * C * Hout * Wout</c>., or empty for values only (inference: the arg-max bookkeeping is skipped; <see cref="MaxBackward"/> needs them).</param>
    /// <exception cref="ArgumentException">Invalid geometry or a span too short.</exception>
    public static void MaxForward(
        in KernelContext context, in Pool2dGeometry geometry, int batch, ReadOnlySpan<float> input, Span<float> output, Span<int> indices)
    {
        Pool2dGeometry g = geometry;
        long planes = CheckGeometry(g, batch);
        CheckLength(input.Length, planes * g.InputPlaneLength, nameof(input));
        CheckLength(output.Length, planes * g.OutputPlaneLength, nameof(output));
        if (!indices.IsEmpty)
        {
            CheckLength(indices.Length, planes * g.OutputPlaneLength, nameof(indices));
        }

        MaxForwardOn(context.NativePathFor(KernelFamily.Pool), context.Threads, g, batch, input, output, indices);
    }

    /// <summary>
    /// Max-pooling input gradient: <c>gradInput</c> is cleared, then <c>gradInput[plane][indices[o]] += gradOutput[o]</c>
    /// for every output <c>o</c> of the plane (accumulating where overlapping windows share an arg-max).
    /// </summary>
    /// <param name="context">Instruction-set path and threads (this pass is scalar on every path).</param>
    /// <param name="geometry">Shapes.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="gradOutput">Gradient of the output.</param>
    /// <param name="indices">The arg-max indices written by <see cref="MaxForward(in KernelContext, in Pool2dGeometry, int, ReadOnlySpan{float}, Span{float}, Span{int})"/>.</param>
    /// <param name="gradInput">Receives the input gradient (overwritten).</param>
    /// <exception cref="ArgumentException">Invalid geometry or a span too short.</exception>
    /// <exception cref="IndexOutOfRangeException">An index lies outside its input plane.</exception>
    public static void MaxBackward(
        in KernelContext context, in Pool2dGeometry geometry, int batch, ReadOnlySpan<float> gradOutput, ReadOnlySpan<int> indices, Span<float> gradInput)
    {
        Pool2dGeometry g = geometry;
        long planes = CheckGeometry(g, batch);
        CheckLength(gradOutput.Length, planes * g.OutputPlaneLength, nameof(gradOutput));
        CheckLength(indices.Length, planes * g.OutputPlaneLength, nameof(indices));
        CheckLength(gradInput.Length, planes * g.InputPlaneLength, nameof(gradInput));
        MaxBackwardOn(context.Threads, g, batch, gradOutput, indices, gradInput);
    }

    /// <summary>
    /// Average pooling: <c>output = (sum of the window's real inputs) / divisor</c>, the divisor being the window's
    /// area clipped to the padded input when <paramref name="countIncludePad"/> is set (PyTorch's default), else the
    /// number of real inputs it covers.
    /// </summary>
    /// <param name="context">Instruction-set path and threads.</param>
    /// <param name="geometry">Shapes.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="countIncludePad">PyTorch's <c>count_include_pad</c>.</param>
    /// <param name="input">Input, <c>N * C * H * W</c>.</param>
    /// <param name="output">Output, <c>N * C * Hout * Wout</c>.</param>
    /// <exception cref="ArgumentException">Invalid geometry or a span too short.</exception>
    public static void AvgForward(
        in KernelContext context, in Pool2dGeometry geometry, int batch, bool countIncludePad, ReadOnlySpan<float> input, Span<float> output)
    {
        Pool2dGeometry g = geometry;
        long planes = CheckGeometry(g, batch);
        CheckLength(input.Length, planes * g.InputPlaneLength, nameof(input));
        CheckLength(output.Length, planes * g.OutputPlaneLength, nameof(output));
        AvgForwardOn(context.NativePathFor(KernelFamily.Pool), context.Threads, g, batch, countIncludePad, input, output);
    }

    /// <summary>
    /// Average-pooling input gradient: <c>gradInput[iy, ix] = sum over the windows covering (iy, ix) of
    /// gradOutput / divisor</c> (overwritten).
    /// </summary>
    /// <param name="context">Instruction-set path and threads.</param>
    /// <param name="geometry">Shapes.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="countIncludePad">PyTorch's <c>count_include_pad</c>, as in the forward pass.</param>
    /// <param name="gradOutput">Gradient of the output.</param>
    /// <param name="gradInput">Receives the input gradient.</param>
    /// <exception cref="ArgumentException">Invalid geometry or a span too short.</exception>
    public static void AvgBackward(
        in KernelContext context, in Pool2dGeometry geometry, int batch, bool countIncludePad, ReadOnlySpan<float> gradOutput, Span<float> gradInput)
    {
        Pool2dGeometry g = geometry;
        long planes = CheckGeometry(g, batch);
        CheckLength(gradOutput.Length, planes * g.OutputPlaneLength, nameof(gradOutput));
        CheckLength(gradInput.Length, planes * g.InputPlaneLength, nameof(gradInput));
        AvgBackwardOn(context.NativePathFor(KernelFamily.Pool), context.Threads, g, batch, countIncludePad, gradOutput, gradInput);
    }

    /// <summary>
    /// Global average pooling (<c>AdaptiveAvgPool2d(1)</c>): <c>output[n,c] = mean of input[n,c,:,:]</c>, each plane
    /// summed with float32 vector accumulators whose lanes are combined in float64.
    /// </summary>
    /// <param name="context">Instruction-set path and threads.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="channels">Channels C.</param>
    /// <param name="spatial">Elements per plane, <c>H * W</c>.</param>
    /// <param name="input">Input, <c>N * C * spatial</c>.</param>
    /// <param name="output">Output, <c>N * C</c> (shape <c>[N, C, 1, 1]</c>).</param>
    /// <exception cref="ArgumentException">A size is not positive or a span too short.</exception>
    public static void GlobalAvgForward(in KernelContext context, int batch, int channels, int spatial, ReadOnlySpan<float> input, Span<float> output)
    {
        long planes = CheckGlobal(batch, channels, spatial);
        CheckLength(input.Length, planes * spatial, nameof(input));
        CheckLength(output.Length, planes, nameof(output));
        GlobalAvgForwardOn(context.NativePathFor(KernelFamily.Pool), context.Threads, batch, channels, spatial, input, output);
    }

    /// <summary>Global average pooling input gradient: <c>gradInput[n,c,:,:] = gradOutput[n,c] / spatial</c> (overwritten).</summary>
    /// <param name="context">Instruction-set path and threads.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="channels">Channels C.</param>
    /// <param name="spatial">Elements per plane, <c>H * W</c>.</param>
    /// <param name="gradOutput">Gradient of the output, <c>N * C</c>.</param>
    /// <param name="gradInput">Receives the input gradient, <c>N * C * spatial</c>.</param>
    /// <exception cref="ArgumentException">A size is not positive or a span too short.</exception>
    public static void GlobalAvgBackward(in KernelContext context, int batch, int channels, int spatial, ReadOnlySpan<float> gradOutput, Span<float> gradInput)
    {
        long planes = CheckGlobal(batch, channels, spatial);
        CheckLength(gradOutput.Length, planes, nameof(gradOutput));
        CheckLength(gradInput.Length, planes * spatial, nameof(gradInput));
        GlobalAvgBackwardOn(context.NativePathFor(KernelFamily.Pool), context.Threads, batch, channels, spatial, gradOutput, gradInput);
    }

    /// <summary>Planes per parallel work item for planes of <paramref name="planeLength"/> elements.</summary>
    private static int PlanesPerItem(int planeLength) => Math.Max(1, ElementsPerWorkItem / Math.Max(1, planeLength));

    private static long CheckGeometry(in Pool2dGeometry geometry, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        if (!geometry.IsValid)
        {
            throw new ArgumentException($"Invalid pooling geometry {geometry} (sizes >= 1, 0 <= padding <= kernel / 2, non-empty output).", nameof(geometry));
        }

        return (long)batch * geometry.Channels;
    }

    private static long CheckGlobal(int batch, int channels, int spatial)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spatial);
        return (long)batch * channels;
    }

    private static void CheckLength(int length, long required, string name)
    {
        if (length < required)
        {
            throw new ArgumentException($"{name}: expected at least {required} elements, got {length}.", name);
        }
    }
}
