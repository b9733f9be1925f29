using System;
using System.Buffers;
using FusedLayers.Execution;
using FusedLayers.Kernels.Gemm;

namespace FusedLayers.Kernels.Conv;

/// <summary>
/// The input gradient of a strided, ungrouped convolution as a GEMM and a col2im: per sample,
/// <c>dcol[Cin k k x Ho Wo] = W^T dY</c>, then every row of <c>dcol</c> is added back to the input positions its tap
/// reads (<c>dx[ci, oy s - p + d ky, ox s - p + d kx] += dcol[(ci, ky, kx), (oy, ox)]</c>).
/// <para>
/// The alternative the engine uses for stride 1, a stride-1 convolution of the output gradient spread by the stride,
/// multiplies <c>s^2 - 1</c> zeros for every value (75% of its work at stride 2) and, for a layer with few input
/// channels such as ResNet's 3-channel stem, runs a GEMM with 3 rows. Here the GEMM has the forward's size with the
/// roles of its dimensions changed (<c>Cin k k</c> rows, <c>Cout</c> deep), and the col2im is one add per element of
/// <c>dcol</c>, in a fixed order, so results do not depend on the thread count.
/// </para>
/// </summary>
/// <typeparam name="TPath">The instruction-set path.</typeparam>
internal static unsafe class ConvColumnBackward<TPath>
    where TPath : struct, IGemmPath
{
    /// <summary>Whether this form computes the input gradient of <paramref name="g"/>: stride above 1, one group.</summary>
    public static bool Applies(in Conv2dGeometry g) => ConvLoweringRule.InputGradient(g.InChannels, g.Groups, g.Stride) == ConvLoweringKind.ColumnGemm;

    /// <summary>
    /// Input gradient, overwriting <paramref name="gradInput"/> (see the type). With at least as many samples as threads
    /// the samples are the parallel work items (each a single-threaded GEMM and col2im into its own rented buffer);
    /// otherwise the samples run in turn, each GEMM on every thread and the col2im on the caller's. The GEMM's result
    /// does not depend on how its tiles are shared out, so neither does the gradient.
    /// </summary>
    public static void BackwardInput(
        int threads, in Conv2dGeometry g, int batch, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight, Span<float> gradInput)
    {
        gradInput.Slice(0, batch * g.InputSampleLength).Clear();
        if (batch == 0 || g.OutHeight * g.OutWidth == 0)
        {
            return;
        }

        fixed (float* w = weight)
        fixed (float* dy = gradOutput)
        fixed (float* dx = gradInput)
        {
            if (threads > 1 && batch >= threads)
            {
                SampleWork.Instance.Run(threads, g, batch, w, dy, dx);
                return;
            }

            float[] columnArray = ArrayPool<float>.Shared.Rent(ColumnLength(g));
            try
            {
                fixed (float* columns = columnArray)
                {
                    for (int n = 0; n < batch; n++)
                    {
                        Sample(threads, g, n, w, dy, dx, columns);
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(columnArray);
            }
        }
    }

    /// <summary>Floats of one sample's <c>dcol</c>.</summary>
    private static int ColumnLength(in Conv2dGeometry g) => g.InChannels * g.KernelSize * g.KernelSize * g.OutHeight * g.OutWidth;

    /// <summary>Sample <paramref name="n"/>: <c>dcol = W^T dY[n]</c> on <paramref name="threads"/>, then the col2im into <c>dx[n]</c>.</summary>
    private static void Sample(int threads, in Conv2dGeometry g, int n, float* w, float* dy, float* dx, float* columns)
    {
        int depth = g.InChannels * g.KernelSize * g.KernelSize;
        int positions = g.OutHeight * g.OutWidth;
        int cout = g.OutChannels;

        // A(r, co) = W[co, r]: row stride 1, column stride depth; B(co, q) = dY[n, co, q].
        LinearEngine<TPath>.Multiply(
            threads, w, 1, depth, packA: true, depth, dy + ((long)n * cout * positions), positions, 1, positions, cout,
            GemmEpilogue.Store, columns, null, Activation.Identity);
        ColumnsToImage(g, columns, dx + ((long)n * g.InputSampleLength));
    }

    /// <summary>Adds each row of <paramref name="columns"/> (<c>Cin k k x Ho Wo</c>) to the input positions its tap reads.</summary>
    private static void ColumnsToImage(in Conv2dGeometry g, float* columns, float* dx)
    {
        int k = g.KernelSize, s = g.Stride, p = g.Padding, d = g.Dilation, h = g.InHeight, w = g.InWidth, oh = g.OutHeight, ow = g.OutWidth;
        int positions = oh * ow;
        for (int c = 0; c < g.InChannels; c++)
        {
            float* plane = dx + ((long)c * h * w);
            for (int ky = 0; ky < k; ky++)
            {
                for (int kx = 0; kx < k; kx++)
                {
                    float* row = columns + ((long)((((c * k) + ky) * k) + kx) * positions);

                    int shift = (d * kx) - p;
                    (int oxLo, int oxHi) = ConvLowering.InsideColumns(shift, s, w, ow);
                    for (int oy = 0; oy < oh; oy++)
                    {
                        int iy = (oy * s) - p + (d * ky);
                        if ((uint)iy >= (uint)h)
                        {
                            continue;
                        }

                        float* target = plane + ((long)iy * w) + shift;
                        float* source = row + ((long)oy * ow);
                        for (int ox = oxLo; ox < oxHi; ox++)
                        {
                            target[ox * s] += source[ox];
                        }
                    }
                }
            }
        }
    }

    /// <summary>One sample per work item, each on one thread with its own <c>dcol</c> (rented per item).</summary>
    private sealed class SampleWork : ParallelWork
    {
        [ThreadStatic]
        private static SampleWork? cached;

        private Conv2dGeometry geometry;
        private float* weight;
        private float* gradOutput;
        private float* gradInput;

        /// <summary>The calling thread's instance (a call allocates nothing).</summary>
        public static SampleWork Instance => cached ??= new SampleWork();

        /// <summary>Runs every sample on up to <paramref name="threads"/> threads.</summary>
        public void Run(int threads, in Conv2dGeometry g, int batch, float* w, float* dy, float* dx)
        {
            geometry = g;
            weight = w;
            gradOutput = dy;
            gradInput = dx;
            try
            {
                KernelThreadPool.Run(this, batch, threads);
            }
            finally
            {
                weight = gradOutput = gradInput = null;
            }
        }

        /// <inheritdoc />
        public override void Execute(int index)
        {
            float[] columnArray = ArrayPool<float>.Shared.Rent(ColumnLength(geometry));
            try
            {
                fixed (float* columns = columnArray)
                {
                    Sample(1, geometry, index, weight, gradOutput, gradInput, columns);
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(columnArray);
            }
        }
    }
}
