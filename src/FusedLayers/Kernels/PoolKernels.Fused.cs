using System;
using FusedLayers.Execution;

namespace FusedLayers.Kernels;

/// <summary>
/// Pooling with a fused prologue: each input plane is first mapped through BatchNorm's per-channel scale and
/// shift and an activation, <c>f(x * scale[c] + shift[c])</c>, into a plane-sized scratch buffer that stays in
/// cache, and pooled from there. The full-resolution BatchNorm/activation output is never written to memory,
/// which saves a write and a read of it per training step (backward recomputes what it needs from
/// <c>x</c>, <c>scale</c> and <c>shift</c>).
/// </summary>
public static unsafe partial class PoolKernels
{
    /// <summary>Max pooling of <c>f(input * scale[c] + shift[c])</c>; see <see cref="MaxForward(in KernelContext, in Pool2dGeometry, int, ReadOnlySpan{float}, Span{float}, Span{int})"/> for the rest.</summary>
    /// <param name="context">Instruction-set path and threads.</param>
    /// <param name="geometry">Shapes.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="input">Input (BatchNorm's input), <c>N * C * H * W</c>.</param>
    /// <param name="scale">Per-channel scale (<c>C</c>).</param>
    /// <param name="shift">Per-channel shift (<c>C</c>).</param>
    /// <param name="activation">Activation applied before pooling.</param>
    /// <param name="output">Output, <c>N * C * Hout * Wout</c>.</param>
    /// <param name="indices">Arg-max per output (index within the input plane)., or empty for values only (inference: the arg-max bookkeeping is skipped; <see cref="MaxBackward"/> needs them).</param>
    /// <exception cref="ArgumentException">Invalid geometry or a span too short.</exception>
    public static void MaxForward(
        in KernelContext context, in Pool2dGeometry geometry, int batch, ReadOnlySpan<float> input, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift,
        Activation activation, Span<float> output, Span<int> indices)
    {
        Pool2dGeometry g = geometry;
        long planes = CheckGeometry(g, batch);
        CheckLength(input.Length, planes * g.InputPlaneLength, nameof(input));
        CheckLength(output.Length, planes * g.OutputPlaneLength, nameof(output));
        if (!indices.IsEmpty)
        {
            CheckLength(indices.Length, planes * g.OutputPlaneLength, nameof(indices));
        }

        CheckPrologue(g, scale, shift);
        fixed (float* px = input)
        fixed (float* py = output)
        fixed (int* pi = indices)
        fixed (float* ps = scale)
        fixed (float* pt = shift)
        {
            RunFused(PoolOperation.MaxForward, context.NativePathFor(KernelFamily.Pool), context.Threads, g, batch, false, px, py, pi, ps, pt, activation);
        }
    }

    /// <summary>Average pooling of <c>f(input * scale[c] + shift[c])</c>; see <see cref="AvgForward(in KernelContext, in Pool2dGeometry, int, bool, ReadOnlySpan{float}, Span{float})"/> for the rest.</summary>
    /// <param name="context">Instruction-set path and threads.</param>
    /// <param name="geometry">Shapes.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="countIncludePad">PyTorch's <c>count_include_pad</c>.</param>
    /// <param name="input">Input (BatchNorm's input), <c>N * C * H * W</c>.</param>
    /// <param name="scale">Per-channel scale (<c>C</c>).</param>
    /// <param name="shift">Per-channel shift (<c>C</c>).</param>
    /// <param name="activation">Activation applied before pooling.</param>
    /// <param name="output">Output, <c>N * C * Hout * Wout</c>.</param>
    /// <exception cref="ArgumentException">Invalid geometry or a span too short.</exception>
    public static void AvgForward(
        in KernelContext context, in Pool2dGeometry geometry, int batch, bool countIncludePad, ReadOnlySpan<float> input, ReadOnlySpan<float> scale,
        ReadOnlySpan<float> shift, Activation activation, Span<float> output)
    {
        Pool2dGeometry g = geometry;
        long planes = CheckGeometry(g, batch);
        CheckLength(input.Length, planes * g.InputPlaneLength, nameof(input));
        CheckLength(output.Length, planes * g.OutputPlaneLength, nameof(output));
        CheckPrologue(g, scale, shift);
        fixed (float* px = input)
        fixed (float* py = output)
        fixed (float* ps = scale)
        fixed (float* pt = shift)
        {
            RunFused(PoolOperation.AvgForward, context.NativePathFor(KernelFamily.Pool), context.Threads, g, batch, countIncludePad, px, py, null, ps, pt, activation);
        }
    }

    /// <summary>The fused forms on an explicit path (tests force the Vector512 code through this).</summary>
    internal static void FusedForwardOn(
        KernelIsa isa, int threads, bool max, in Pool2dGeometry g, int batch, bool countIncludePad, ReadOnlySpan<float> input, ReadOnlySpan<float> scale,
        ReadOnlySpan<float> shift, Activation activation, Span<float> output, Span<int> indices)
    {
        fixed (float* px = input)
        fixed (float* py = output)
        fixed (int* pi = indices)
        fixed (float* ps = scale)
        fixed (float* pt = shift)
        {
            RunFused(max ? PoolOperation.MaxForward : PoolOperation.AvgForward, isa, threads, g, batch, countIncludePad, px, py, max ? pi : null, ps, pt, activation);
        }
    }

    private static void CheckPrologue(in Pool2dGeometry g, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift)
    {
        if (scale.Length != g.Channels || shift.Length != g.Channels)
        {
            throw new ArgumentException($"Scale and shift need {g.Channels} elements (one per channel); got {scale.Length} and {shift.Length}.");
        }
    }

    private static void RunFused(
        PoolOperation operation, KernelIsa isa, int threads, in Pool2dGeometry geometry, int batch, bool countIncludePad,
        float* source, float* destination, int* indices, float* scale, float* shift, Activation activation)
    {
        int planes = batch * geometry.Channels;
        if (planes == 0)
        {
            return;
        }

        int perItem = PlanesPerItem(geometry.InputPlaneLength);
        PlaneWork work = PlaneWork.Instance;
        work.Set(operation, isa, geometry, countIncludePad, 0, planes, perItem, source, destination, indices);
        work.SetPrologue(scale, shift, activation);
        try
        {
            KernelThreadPool.Run(work, (planes + perItem - 1) / perItem, threads);
        }
        finally
        {
            work.SetPrologue(null, null, default);
        }
    }
}
