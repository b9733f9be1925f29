using System;
using FusedLayers.Execution;

namespace FusedLayers.Kernels;

/// <summary>
/// The parallel loop bodies of <see cref="BatchNormKernels"/>: one index per sample. The calling
/// method pins its spans for the duration of the region and hands the bodies raw pointers; each thread
/// caches its own body instance, so a region allocates nothing.
/// </summary>
public static unsafe partial class BatchNormKernels
{
    private static ReadOnlySpan<float> Plane(float* p, int channels, int spatial, int n, int c) =>
        new(p + ((((long)n * channels) + c) * spatial), spatial);

    /// <summary>Each plane's mean and M2 into <c>partial[2p], partial[2p + 1]</c>.</summary>
    private sealed class PlaneMomentsWork : ParallelWork
    {
        [ThreadStatic]
        private static PlaneMomentsWork? instance;

        private KernelIsa isa;
        private int channels;
        private int spatial;
        private float* x;
        private double* partial;

        public static PlaneMomentsWork Instance => instance ??= new PlaneMomentsWork();

        public void Set(KernelIsa isa, int channels, int spatial, float* x, double* partial)
        {
            this.isa = isa;
            this.channels = channels;
            this.spatial = spatial;
            this.x = x;
            this.partial = partial;
        }

        public override void Execute(int index)
        {
            for (int c = 0; c < channels; c++)
            {
                (double mean, double m2) = PlaneOps.Moments(isa, Plane(x, channels, spatial, index, c));
                int p = (index * channels) + c;
                partial[2 * p] = mean;
                partial[(2 * p) + 1] = m2;
            }
        }
    }

    /// <summary><c>y = x * scale + shift</c> (+ ReLU) for one sample.</summary>
    private sealed class ApplyWork : ParallelWork
    {
        [ThreadStatic]
        private static ApplyWork? instance;

        private KernelIsa isa;
        private int channels;
        private int spatial;
        private float* x;
        private float* scale;
        private float* shift;
        private bool relu;
        private float* y;

        public static ApplyWork Instance => instance ??= new ApplyWork();

        public void Set(KernelIsa isa, int channels, int spatial, float* x, float* scale, float* shift, bool relu, float* y)
        {
            this.isa = isa;
            this.channels = channels;
            this.spatial = spatial;
            this.x = x;
            this.scale = scale;
            this.shift = shift;
            this.relu = relu;
            this.y = y;
        }

        public override void Execute(int index)
        {
            if (spatial == 1)
            {
                // One value per channel (after a linear layer): vectorise across the channels of the row.
                PlaneOps.AffineRow(isa, new ReadOnlySpan<float>(x + ((long)index * channels), channels), new ReadOnlySpan<float>(scale, channels),
                    new ReadOnlySpan<float>(shift, channels), relu, new Span<float>(y + ((long)index * channels), channels));
                return;
            }

            for (int c = 0; c < channels; c++)
            {
                long offset = (((long)index * channels) + c) * spatial;
                PlaneOps.Affine(isa, new ReadOnlySpan<float>(x + offset, spatial), scale[c], shift[c], relu, new Span<float>(y + offset, spatial));
            }
        }
    }

    /// <summary>Masked <c>sum dy</c> and <c>sum dy * (x - mu)</c> per plane into <c>partial</c>.</summary>
    private sealed class ReduceWork : ParallelWork
    {
        [ThreadStatic]
        private static ReduceWork? instance;

        private KernelIsa isa;
        private int channels;
        private int spatial;
        private float* dy;
        private float* y;
        private float* x;
        private float* mean;
        private double* partial;

        public static ReduceWork Instance => instance ??= new ReduceWork();

        public void Set(KernelIsa isa, int channels, int spatial, float* dy, float* y, float* x, float* mean, double* partial)
        {
            this.isa = isa;
            this.channels = channels;
            this.spatial = spatial;
            this.dy = dy;
            this.y = y;
            this.x = x;
            this.mean = mean;
            this.partial = partial;
        }

        public override void Execute(int index)
        {
            if (spatial == 1)
            {
                ExecuteFeatureRow(index);
                return;
            }

            for (int c = 0; c < channels; c++)
            {
                ReadOnlySpan<float> mask = y == null ? default : Plane(y, channels, spatial, index, c);
                (double sd, double sdx) = PlaneOps.MaskedSums(isa, Plane(dy, channels, spatial, index, c), mask, Plane(x, channels, spatial, index, c), mean[c]);
                int p = (index * channels) + c;
                partial[2 * p] = sd;
                partial[(2 * p) + 1] = sdx;
            }
        }

        /// <summary>
        /// One sample of a [N, C] input (BatchNorm1d after Linear): every "plane" is one value, so the sums are
        /// written straight from the row instead of through a per-value <see cref="PlaneOps.MaskedSums"/> call
        /// (its scalar tail, the same operations, so the results are bit-identical).
        /// </summary>
        private void ExecuteFeatureRow(int index)
        {
            long row = (long)index * channels;
            float* g = dy + row;
            float* mask = y == null ? null : y + row;
            float* input = x + row;
            double* sums = partial + (2 * row);
            for (int c = 0; c < channels; c++)
            {
                float v = mask != null && mask[c] <= 0f ? 0f : g[c]; // threshold_backward: a NaN output passes the gradient on
                sums[2 * c] = 0.0 + v;
                sums[(2 * c) + 1] = 0.0 + (v * (double)(input[c] - mean[c]));
            }
        }
    }

    /// <summary><c>dx = a * dy_masked + b + c * (x - mu)</c> per plane, coefficients from <c>k[3c..3c+2]</c>.</summary>
    private sealed class InputGradientWork : ParallelWork
    {
        [ThreadStatic]
        private static InputGradientWork? instance;

        private KernelIsa isa;
        private int channels;
        private int spatial;
        private float* dy;
        private float* y;
        private float* x;
        private float* mean;
        private float* k;
        private float* dx;

        public static InputGradientWork Instance => instance ??= new InputGradientWork();

        public void Set(KernelIsa isa, int channels, int spatial, float* dy, float* y, float* x, float* mean, float* k, float* dx)
        {
            this.isa = isa;
            this.channels = channels;
            this.spatial = spatial;
            this.dy = dy;
            this.y = y;
            this.x = x;
            this.mean = mean;
            this.k = k;
            this.dx = dx;
        }

        public override void Execute(int index)
        {
            if (spatial == 1)
            {
                ExecuteFeatureRow(index);
                return;
            }

            for (int c = 0; c < channels; c++)
            {
                ReadOnlySpan<float> mask = y == null ? default : Plane(y, channels, spatial, index, c);
                long offset = (((long)index * channels) + c) * spatial;
                PlaneOps.InputGradient(
                    isa, Plane(dy, channels, spatial, index, c), mask, Plane(x, channels, spatial, index, c), mean[c],
                    k[3 * c], k[(3 * c) + 1], k[(3 * c) + 2], new Span<float>(dx + offset, spatial));
            }
        }

        /// <summary>One sample of a [N, C] input: the scalar tail of <see cref="PlaneOps.InputGradient"/> over the row, bit-identical.</summary>
        private void ExecuteFeatureRow(int index)
        {
            long row = (long)index * channels;
            float* g = dy + row;
            float* mask = y == null ? null : y + row;
            float* input = x + row;
            float* output = dx + row;
            for (int c = 0; c < channels; c++)
            {
                float v = mask != null && mask[c] <= 0f ? 0f : g[c]; // threshold_backward: a NaN output passes the gradient on
                output[c] = (v * k[3 * c]) + ((input[c] - mean[c]) * k[(3 * c) + 2]) + k[(3 * c) + 1];
            }
        }
    }
}
