using System;
using FusedLayers.Execution;

namespace FusedLayers.Kernels;

/// <summary>
/// The residual epilogue over activations laid out <c>[N, C, S]</c>: BatchNorm-apply of the main path, the skip
/// connection's add (identity, or a 1x1-projection's output with its own BatchNorm) and the activation in one
/// pass, <c>y = f(x * scale[c] + shift[c] + skip * skipScale[c] + skipShift[c])</c>; and its backward, the
/// gradient of the pre-activation recomputed from the same inputs (nothing extra stored). Empty scale/shift
/// spans mean the identity on that operand. cuDNN offers this BN + add + ReLU fusion on GPUs; on CPUs it
/// saves the two extra memory passes of an unfused add and ReLU.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // for generated code; out of IntelliSense
public static unsafe class ResidualKernels
{
    /// <summary><c>y = f(x * scale[c] + shift[c] + skip * skipScale[c] + skipShift[c])</c>; <paramref name="y"/> may be <paramref name="x"/>.</summary>
    /// <param name="context">ISA path and threads.</param>
    /// <param name="activation">Activation after the add (Identity for none).</param>
    /// <param name="batch">N.</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">S (1 after a linear layer).</param>
    /// <param name="x">Main path, <c>N * C * S</c>.</param>
    /// <param name="scale">Main path per-channel scale, or empty.</param>
    /// <param name="shift">Main path per-channel shift, or empty.</param>
    /// <param name="skip">Skip path, same length.</param>
    /// <param name="skipScale">Skip path per-channel scale (a projection's BatchNorm), or empty.</param>
    /// <param name="skipShift">Skip path per-channel shift, or empty.</param>
    /// <param name="y">Output, same length.</param>
    public static void Forward(
        in KernelContext context, Activation activation, int batch, int channels, int spatial, ReadOnlySpan<float> x, ReadOnlySpan<float> scale,
        ReadOnlySpan<float> shift, ReadOnlySpan<float> skip, ReadOnlySpan<float> skipScale, ReadOnlySpan<float> skipShift, Span<float> y)
    {
        Check(batch, channels, spatial, x.Length, skip.Length, y.Length, scale.Length, shift.Length, skipScale.Length, skipShift.Length);
        Run(context, activation, batch, channels, spatial, default, x, scale, shift, skip, skipScale, skipShift, y);
    }

    /// <summary>
    /// <c>da = dy * f'(a)</c> with the pre-activation <c>a</c> recomputed as in <see cref="Forward"/>: the gradient
    /// that flows into both the main path (its BatchNorm or anchor) and the skip path. <paramref name="da"/> may
    /// be <paramref name="dy"/>.
    /// </summary>
    /// <param name="context">ISA path and threads.</param>
    /// <param name="activation">Activation after the add.</param>
    /// <param name="batch">N.</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">S.</param>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="x">Main path as in forward.</param>
    /// <param name="scale">Main path scale as in forward, or empty.</param>
    /// <param name="shift">Main path shift as in forward, or empty.</param>
    /// <param name="skip">Skip path as in forward.</param>
    /// <param name="skipScale">Skip path scale as in forward, or empty.</param>
    /// <param name="skipShift">Skip path shift as in forward, or empty.</param>
    /// <param name="da">Receives the gradient of the pre-activation.</param>
    public static void Backward(
        in KernelContext context, Activation activation, int batch, int channels, int spatial, ReadOnlySpan<float> dy, ReadOnlySpan<float> x,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, ReadOnlySpan<float> skip, ReadOnlySpan<float> skipScale, ReadOnlySpan<float> skipShift,
        Span<float> da)
    {
        Check(batch, channels, spatial, x.Length, skip.Length, da.Length, scale.Length, shift.Length, skipScale.Length, skipShift.Length);
        if (dy.Length != x.Length)
        {
            throw new ArgumentException($"The gradient has {dy.Length} elements; the input has {x.Length}.", nameof(dy));
        }

        Run(context, activation, batch, channels, spatial, dy, x, scale, shift, skip, skipScale, skipShift, da);
    }

    /// <summary><c>into += add</c>: a skip connection's gradient joining its source's gradient.</summary>
    /// <param name="context">ISA path.</param>
    /// <param name="add">The skip path's gradient.</param>
    /// <param name="into">The source's output gradient, same length.</param>
    public static void Accumulate(in KernelContext context, ReadOnlySpan<float> add, Span<float> into)
    {
        if (add.Length != into.Length)
        {
            throw new ArgumentException($"Lengths differ: {add.Length} and {into.Length}.", nameof(add));
        }

        ResidualMath.Run(context.PathFor(KernelFamily.Residual), Activation.Identity, default, into, default, add, default, into);
    }

    private static void Check(int batch, int channels, int spatial, int x, int skip, int y, int scale, int shift, int skipScale, int skipShift)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spatial);
        long expected = (long)batch * channels * spatial;
        if (x != expected || skip != expected || y != expected)
        {
            throw new ArgumentException($"Expected {expected} elements ({batch} x {channels} x {spatial}); got main {x}, skip {skip}, output {y}.");
        }

        if ((scale != 0 && scale != channels) || shift != scale || (skipScale != 0 && skipScale != channels) || skipShift != skipScale)
        {
            throw new ArgumentException($"Scales and shifts must be empty or have {channels} elements (pairwise); got {scale}, {shift}, {skipScale}, {skipShift}.");
        }
    }

    private static void Run(
        in KernelContext context, in Activation activation, int batch, int channels, int spatial, ReadOnlySpan<float> dy, ReadOnlySpan<float> x,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, ReadOnlySpan<float> skip, ReadOnlySpan<float> skipScale, ReadOnlySpan<float> skipShift,
        Span<float> result)
    {
        fixed (float* pdy = dy)
        fixed (float* px = x)
        fixed (float* ps = scale)
        fixed (float* pt = shift)
        fixed (float* pk = skip)
        fixed (float* pss = skipScale)
        fixed (float* pst = skipShift)
        fixed (float* pr = result)
        {
            ResidualWork work = ResidualWork.Instance;
            work.Isa = context.PathFor(KernelFamily.Residual);
            work.Activation = activation;
            work.Channels = channels;
            work.Spatial = spatial;
            work.Dy = dy.IsEmpty ? null : pdy;
            work.X = px;
            work.Scale = scale.IsEmpty ? null : ps;
            work.Shift = pt;
            work.Skip = pk;
            work.SkipScale = skipScale.IsEmpty ? null : pss;
            work.SkipShift = pst;
            work.Result = pr;
            KernelThreadPool.Run(work, batch, (long)channels * spatial < 4096 ? 1 : context.Threads);
            work.Dy = work.X = work.Scale = work.Shift = work.Skip = work.SkipScale = work.SkipShift = work.Result = null;
        }
    }

    /// <summary>One sample: every channel plane, or the whole row when S = 1.</summary>
    private sealed class ResidualWork : ParallelWork
    {
        [ThreadStatic]
        private static ResidualWork? instance;

        public static ResidualWork Instance => instance ??= new ResidualWork();

        public KernelIsa Isa { get; set; }

        public Activation Activation { get; set; }

        public int Channels { get; set; }

        public int Spatial { get; set; }

        public float* Dy { get; set; }

        public float* X { get; set; }

        public float* Scale { get; set; }

        public float* Shift { get; set; }

        public float* Skip { get; set; }

        public float* SkipScale { get; set; }

        public float* SkipShift { get; set; }

        public float* Result { get; set; }

        public override void Execute(int index)
        {
            int length = Channels * Spatial;
            long offset = (long)index * length;
            if (Spatial == 1)
            {
                RunSpan(offset, length, Affine(Scale, Shift, Channels), Affine(SkipScale, SkipShift, Channels));
                return;
            }

            for (int c = 0; c < Channels; c++)
            {
                ResidualMath.Affine main = Scale == null ? default : new ResidualMath.Affine(Scale[c], Shift[c]);
                ResidualMath.Affine projection = SkipScale == null ? default : new ResidualMath.Affine(SkipScale[c], SkipShift[c]);
                RunSpan(offset + ((long)c * Spatial), Spatial, main, projection);
            }
        }

        private static ResidualMath.Affine Affine(float* s, float* t, int channels) =>
            s == null ? default : new ResidualMath.Affine(new ReadOnlySpan<float>(s, channels), new ReadOnlySpan<float>(t, channels));

        private void RunSpan(long offset, int length, in ResidualMath.Affine main, in ResidualMath.Affine projection) =>
            ResidualMath.Run(
                Isa, Activation, Dy == null ? default : new ReadOnlySpan<float>(Dy + offset, length), new ReadOnlySpan<float>(X + offset, length), main,
                new ReadOnlySpan<float>(Skip + offset, length), projection, new Span<float>(Result + offset, length));
    }
}
