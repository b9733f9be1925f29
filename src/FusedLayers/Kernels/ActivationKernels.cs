using System;
using FusedLayers.Execution;

namespace FusedLayers.Kernels;

/// <summary>
/// Element-wise activations and their gradients, on the context's ISA path. ReLU has its own mask-based
/// entry points (the mask is the output); every other activation goes through <see cref="Forward"/> and
/// <see cref="Backward"/>, which also fuse BatchNorm's apply step (<c>f(x * scale[c] + shift[c])</c>) and
/// recompute the pre-activation from the saved BatchNorm input in backward, so nothing extra is stored.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // for generated code; out of IntelliSense
public static unsafe class ActivationKernels
{
    /// <summary><c>y = max(0, x)</c>; <paramref name="y"/> may be <paramref name="x"/>.</summary>
    /// <param name="context">ISA path.</param>
    /// <param name="x">Input.</param>
    /// <param name="y">Output, same length.</param>
    public static void Relu(in KernelContext context, ReadOnlySpan<float> x, Span<float> y) => PlaneOps.Relu(context.PathFor(KernelFamily.Activation), x, y);

    /// <summary>
    /// <c>gradInput = output &gt; 0 ? gradOutput : 0</c>, PyTorch's <c>threshold_backward</c> (the gradient at 0 is 0).
    /// </summary>
    /// <param name="context">ISA path.</param>
    /// <param name="gradOutput">Gradient of the output.</param>
    /// <param name="output">The forward output (the mask).</param>
    /// <param name="gradInput">Receives the gradient of the input; may be <paramref name="gradOutput"/>.</param>
    public static void ReluBackward(in KernelContext context, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> output, Span<float> gradInput) =>
        PlaneOps.ReluBackward(context.PathFor(KernelFamily.Activation), gradOutput, output, gradInput);

    /// <summary><c>y = max(0, x)</c> on the portable path (kept for the portable convolution's epilogue).</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output, same length.</param>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y) => PlaneOps.Relu(KernelIsa.Scalar, x, y);

    /// <summary>
    /// <c>y = f(x * scale[c] + shift[c])</c> over activations laid out <c>[N, C, S]</c>: the BatchNorm-apply
    /// pass with the activation fused, or the activation alone when <paramref name="scale"/> and
    /// <paramref name="shift"/> are empty. <paramref name="y"/> may be <paramref name="x"/>.
    /// </summary>
    /// <param name="context">ISA path and threads.</param>
    /// <param name="activation">The activation.</param>
    /// <param name="batch">N.</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">S (1 after a linear layer).</param>
    /// <param name="x">Input, <c>N * C * S</c>.</param>
    /// <param name="scale">Per-channel scale, or empty.</param>
    /// <param name="shift">Per-channel shift, or empty (required when <paramref name="scale"/> is given).</param>
    /// <param name="y">Output, same length.</param>
    public static void Forward(
        in KernelContext context, Activation activation, int batch, int channels, int spatial,
        ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, Span<float> y)
    {
        Check(batch, channels, spatial, x.Length, y.Length, scale.Length, shift.Length);
        Run(context, activation, batch, channels, spatial, default, x, scale, shift, y);
    }

    /// <summary>
    /// <c>dx = dy * f'(x * scale[c] + shift[c])</c>: the activation's gradient, with the pre-activation
    /// recomputed from the saved input (and BatchNorm's scale and shift when the activation follows one).
    /// <paramref name="dx"/> may be <paramref name="dy"/>.
    /// </summary>
    /// <param name="context">ISA path and threads.</param>
    /// <param name="activation">The activation.</param>
    /// <param name="batch">N.</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">S.</param>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="x">The forward pass's input.</param>
    /// <param name="scale">Per-channel scale used in forward, or empty.</param>
    /// <param name="shift">Per-channel shift used in forward, or empty.</param>
    /// <param name="dx">Receives the gradient of the pre-activation.</param>
    public static void Backward(
        in KernelContext context, Activation activation, int batch, int channels, int spatial,
        ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, Span<float> dx)
    {
        Check(batch, channels, spatial, x.Length, dx.Length, scale.Length, shift.Length);
        if (dy.Length != x.Length)
        {
            throw new ArgumentException($"The gradient has {dy.Length} elements; the input has {x.Length}.", nameof(dy));
        }

        Run(context, activation, batch, channels, spatial, dy, x, scale, shift, dx);
    }

    /// <summary>Applies <paramref name="activation"/> in place on one span (the epilogues of the GEMM engines).</summary>
    internal static void ApplyInPlace(KernelIsa isa, in Activation activation, Span<float> y) =>
        ActivationMath.Forward(isa, activation, y, 1f, 0f, default, default, y);

    private static void Check(int batch, int channels, int spatial, int xLength, int yLength, int scaleLength, int shiftLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spatial);
        long expected = (long)batch * channels * spatial;
        if (xLength != expected || yLength != expected)
        {
            throw new ArgumentException($"Expected {expected} elements ({batch} x {channels} x {spatial}); got input {xLength}, output {yLength}.");
        }

        if ((scaleLength != 0 && scaleLength != channels) || shiftLength != scaleLength)
        {
            throw new ArgumentException($"Scale and shift must both be empty or both have {channels} elements; got {scaleLength} and {shiftLength}.");
        }
    }

    private static void Run(
        in KernelContext context, in Activation activation, int batch, int channels, int spatial,
        ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, Span<float> result)
    {
        fixed (float* pdy = dy)
        fixed (float* px = x)
        fixed (float* ps = scale)
        fixed (float* pt = shift)
        fixed (float* pr = result)
        {
            ActivationWork work = ActivationWork.Instance;
            work.Set(context.PathFor(KernelFamily.Activation), activation, channels, spatial, dy.IsEmpty ? null : pdy, px, scale.IsEmpty ? null : ps, pt, pr);
            KernelThreadPool.Run(work, batch, (long)channels * spatial < 4096 ? 1 : context.Threads);
            work.Clear();
        }
    }

    /// <summary>One sample: every plane (or the row of channels when S = 1).</summary>
    private sealed class ActivationWork : ParallelWork
    {
        [ThreadStatic]
        private static ActivationWork? instance;

        private KernelIsa isa;
        private Activation activation;
        private int channels;
        private int spatial;
        private float* dy;
        private float* x;
        private float* scale;
        private float* shift;
        private float* result;

        public static ActivationWork Instance => instance ??= new ActivationWork();

        public void Set(KernelIsa isa, Activation activation, int channels, int spatial, float* dy, float* x, float* scale, float* shift, float* result)
        {
            this.isa = isa;
            this.activation = activation;
            this.channels = channels;
            this.spatial = spatial;
            this.dy = dy;
            this.x = x;
            this.scale = scale;
            this.shift = shift;
            this.result = result;
        }

        public void Clear()
        {
            dy = x = scale = shift = result = null;
        }

        public override void Execute(int index)
        {
            int length = channels * spatial;
            long offset = (long)index * length;
            if (scale == null || spatial == 1)
            {
                // Whole sample at once: no affine, or one value per channel (the row's scale/shift per element).
                var xs = new ReadOnlySpan<float>(x + offset, length);
                var rs = new Span<float>(result + offset, length);
                var sRow = scale == null ? default : new ReadOnlySpan<float>(scale, channels);
                var tRow = scale == null ? default : new ReadOnlySpan<float>(shift, channels);
                if (dy == null)
                {
                    ActivationMath.Forward(isa, activation, xs, 1f, 0f, sRow, tRow, rs);
                }
                else
                {
                    ActivationMath.Gradient(isa, activation, new ReadOnlySpan<float>(dy + offset, length), xs, 1f, 0f, sRow, tRow, rs);
                }

                return;
            }

            for (int c = 0; c < channels; c++)
            {
                long at = offset + ((long)c * spatial);
                var xs = new ReadOnlySpan<float>(x + at, spatial);
                var rs = new Span<float>(result + at, spatial);
                if (dy == null)
                {
                    ActivationMath.Forward(isa, activation, xs, scale[c], shift[c], default, default, rs);
                }
                else
                {
                    ActivationMath.Gradient(isa, activation, new ReadOnlySpan<float>(dy + at, spatial), xs, scale[c], shift[c], default, default, rs);
                }
            }
        }
    }
}
