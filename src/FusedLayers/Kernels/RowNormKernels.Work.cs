using System;
using FusedLayers.Execution;

namespace FusedLayers.Kernels;

/// <summary>
/// The parallel loop bodies of <see cref="RowNormKernels"/>: one index per chunk of consecutive rows (or,
/// for the column sums, per block of channels). The calling method pins its spans for the duration of the
/// region and hands the bodies raw pointers; each thread caches its own body instance, so a region
/// allocates nothing.
/// </summary>
public static unsafe partial class RowNormKernels
{
    /// <summary>Rows per parallel index are chosen so that an index covers about this many values.</summary>
    private const int ChunkValues = 4096;

    /// <summary>Channels per parallel index of the column pass (S = 1 parameter gradients).</summary>
    private const int ColumnBlock = 256;

    /// <summary>How a <c>[N, C, S]</c> tensor with G groups is cut into rows and parallel chunks.</summary>
    private readonly struct RowPlan
    {
        private RowPlan(int batch, int channels, int spatial, int groups, int threads)
        {
            Batch = batch;
            Channels = channels;
            Spatial = spatial;
            Groups = groups;
            ChannelsPerGroup = channels / groups;
            RowLength = ChannelsPerGroup * spatial;
            Rows = batch * groups;
            RowsPerChunk = Math.Max(1, ChunkValues / RowLength);
            Chunks = (Rows + RowsPerChunk - 1) / RowsPerChunk;
            Threads = (long)Rows * RowLength >= ParallelThreshold ? Math.Max(1, threads) : 1;
        }

        public int Batch { get; }

        public int Channels { get; }

        public int Spatial { get; }

        public int Groups { get; }

        public int ChannelsPerGroup { get; }

        /// <summary><c>L = (C / G) * S</c>.</summary>
        public int RowLength { get; }

        /// <summary><c>N * G</c>.</summary>
        public int Rows { get; }

        public int RowsPerChunk { get; }

        public int Chunks { get; }

        public int Threads { get; }

        public static RowPlan Create(int batch, int channels, int spatial, int groups, int threads) =>
            new(batch, channels, spatial, groups, threads);

        /// <summary>The rows of chunk <paramref name="chunk"/>: <c>[first, end)</c>.</summary>
        public (int First, int End) ChunkRows(int chunk)
        {
            int first = chunk * RowsPerChunk;
            return (first, Math.Min(Rows, first + RowsPerChunk));
        }
    }

    /// <summary>Row statistics and the normalised, affine-transformed output.</summary>
    private sealed class ForwardWork : ParallelWork
    {
        [ThreadStatic]
        private static ForwardWork? instance;

        private KernelIsa isa;
        private RowPlan plan;
        private float* x;
        private float* gamma;
        private float* beta;
        private double eps;
        private float* y;
        private float* mean;
        private float* invStd;
        private float* variance;
        private Activation activation;
        private float* activated;
        private float* skip;

        public static ForwardWork Instance => instance ??= new ForwardWork();

        /// <summary>Sets (or, with null, clears) the skip connection added to each finished row before its activation.</summary>
        public void SetSkip(float* skip) => this.skip = skip;

        /// <summary>Sets (or, with null, clears) the activation applied to each finished row, into <paramref name="output"/>.</summary>
        public void SetActivation(Activation activation, float* output)
        {
            this.activation = activation;
            activated = output;
        }

        public void Set(KernelIsa isa, in RowPlan plan, float* x, float* gamma, float* beta, double eps, float* y, float* mean, float* invStd, float* variance)
        {
            this.isa = isa;
            this.plan = plan;
            this.x = x;
            this.gamma = gamma;
            this.beta = beta;
            this.eps = eps;
            this.y = y;
            this.mean = mean;
            this.invStd = invStd;
            this.variance = variance;
        }

        public override void Execute(int index)
        {
            (int first, int end) = plan.ChunkRows(index);
            int length = plan.RowLength, perGroup = plan.ChannelsPerGroup, spatial = plan.Spatial;
            for (int r = first; r < end; r++)
            {
                long offset = (long)r * length;
                var row = new ReadOnlySpan<float>(x + offset, length);
                (double m, double m2) = PlaneOps.Moments(isa, row);
                double biased = m2 / length;
                double inv = 1.0 / Math.Sqrt(biased + eps);
                float mu = (float)m;
                mean[r] = mu;
                invStd[r] = (float)inv;
                if (variance != null)
                {
                    variance[r] = (float)biased;
                }

                int firstChannel = r % plan.Groups * perGroup;
                if (spatial == 1)
                {
                    // One value per channel: the row is the group's channels, the affine is element-wise.
                    RowOps.NormalizeRow(
                        isa, row, mu, (float)inv, Slice(gamma, firstChannel, perGroup), Slice(beta, firstChannel, perGroup),
                        new Span<float>(y + offset, length));
                    AddSkipRow(offset, length);
                    ActivateRow(offset, length);
                    continue;
                }

                for (int k = 0; k < perGroup; k++)
                {
                    int c = firstChannel + k;
                    double scale = (gamma == null ? 1.0 : gamma[c]) * inv;
                    float shift = beta == null ? 0f : beta[c];
                    long planeOffset = offset + ((long)k * spatial);
                    RowOps.NormalizePlane(
                        isa, new ReadOnlySpan<float>(x + planeOffset, spatial), mu, (float)scale, shift, new Span<float>(y + planeOffset, spatial));
                }

                AddSkipRow(offset, length);
                ActivateRow(offset, length);
            }
        }

        /// <summary>The fused residual add of one finished row, before its activation: <c>y += skip</c>.</summary>
        private void AddSkipRow(long offset, int length)
        {
            if (skip != null)
            {
                var row = new Span<float>(y + offset, length);
                ResidualMath.Run(isa, Activation.Identity, default, row, default, new ReadOnlySpan<float>(skip + offset, length), default, row);
            }
        }

        /// <summary>The fused activation of one finished row, while it is in cache.</summary>
        private void ActivateRow(long offset, int length)
        {
            if (activated != null)
            {
                ActivationMath.Forward(isa, activation, new ReadOnlySpan<float>(y + offset, length), 1f, 0f, default, default, new Span<float>(activated + offset, length));
            }
        }
    }

    /// <summary>
    /// Input gradient per row; with S &gt; 1 also each plane's <c>(sum dy, sum dy * (x - mean))</c> for the
    /// parameter gradients (at <c>partial[2 (n C + c)]</c>).
    /// </summary>
    private sealed class BackwardWork : ParallelWork
    {
        [ThreadStatic]
        private static BackwardWork? instance;

        private KernelIsa isa;
        private RowPlan plan;
        private float* dy;
        private float* x;
        private float* mean;
        private float* invStd;
        private float* gamma;
        private float* dx;
        private double* partial;

        public static BackwardWork Instance => instance ??= new BackwardWork();

        public void Set(KernelIsa isa, in RowPlan plan, float* dy, float* x, float* mean, float* invStd, float* gamma, float* dx, double* partial)
        {
            this.isa = isa;
            this.plan = plan;
            this.dy = dy;
            this.x = x;
            this.mean = mean;
            this.invStd = invStd;
            this.gamma = gamma;
            this.dx = dx;
            this.partial = partial;
        }

        public override void Execute(int index)
        {
            (int first, int end) = plan.ChunkRows(index);
            for (int r = first; r < end; r++)
            {
                if (plan.Spatial == 1)
                {
                    ElementAffineRow(r);
                }
                else
                {
                    ChannelAffineRow(r);
                }
            }
        }

        /// <summary>
        /// S = 1: <c>A = sum g dy</c>, <c>B = sum g dy (x - mean)</c> over the row, then
        /// <c>dx = invStd g dy - invStd A / L - invStd^3 B / L (x - mean)</c> (<c>xhat * mean(g * xhat)</c> carries invStd twice).
        /// </summary>
        private void ElementAffineRow(int r)
        {
            int length = plan.RowLength;
            long offset = (long)r * length;
            var dyRow = new ReadOnlySpan<float>(dy + offset, length);
            var xRow = new ReadOnlySpan<float>(x + offset, length);
            var dxRow = new Span<float>(dx + offset, length);
            float mu = mean[r];
            double inv = invStd[r];
            ReadOnlySpan<float> weights = Slice(gamma, r % plan.Groups * plan.ChannelsPerGroup, plan.ChannelsPerGroup);
            (double a, double b) = weights.IsEmpty
                ? PlaneOps.MaskedSums(isa, dyRow, default, xRow, mu)
                : RowOps.WeightedSums(isa, dyRow, xRow, mu, weights);
            float constant = (float)(-inv * a / length);
            float slope = (float)(-inv * inv * inv * b / length);
            if (weights.IsEmpty)
            {
                PlaneOps.InputGradient(isa, dyRow, default, xRow, mu, (float)inv, constant, slope, dxRow);
            }
            else
            {
                RowOps.WeightedInputGradient(isa, dyRow, xRow, mu, weights, (float)inv, constant, slope, dxRow);
            }
        }

        /// <summary>S &gt; 1: the same with one weight per plane, reduced plane by plane.</summary>
        private void ChannelAffineRow(int r)
        {
            int spatial = plan.Spatial, perGroup = plan.ChannelsPerGroup, length = plan.RowLength;
            int n = r / plan.Groups, firstChannel = r % plan.Groups * perGroup;
            long offset = (long)r * length;
            float mu = mean[r];
            double inv = invStd[r];
            double a = 0, b = 0;
            for (int k = 0; k < perGroup; k++)
            {
                long planeOffset = offset + ((long)k * spatial);
                (double sumDy, double sumDyCentered) = PlaneOps.MaskedSums(
                    isa, new ReadOnlySpan<float>(dy + planeOffset, spatial), default, new ReadOnlySpan<float>(x + planeOffset, spatial), mu);
                int c = firstChannel + k;
                if (partial != null)
                {
                    long p = ((long)n * plan.Channels) + c;
                    partial[2 * p] = sumDy;
                    partial[(2 * p) + 1] = sumDyCentered;
                }

                double weight = gamma == null ? 1.0 : gamma[c];
                a += weight * sumDy;
                b += weight * sumDyCentered;
            }

            float constant = (float)(-inv * a / length);
            float slope = (float)(-inv * inv * inv * b / length);
            for (int k = 0; k < perGroup; k++)
            {
                long planeOffset = offset + ((long)k * spatial);
                double weight = gamma == null ? 1.0 : gamma[firstChannel + k];
                PlaneOps.InputGradient(
                    isa, new ReadOnlySpan<float>(dy + planeOffset, spatial), default, new ReadOnlySpan<float>(x + planeOffset, spatial), mu,
                    (float)(inv * weight), constant, slope, new Span<float>(dx + planeOffset, spatial));
            }
        }
    }

    /// <summary>S = 1: column sums over the batch of <c>dy * xhat</c> and <c>dy</c> for one block of channels.</summary>
    private sealed class ColumnWork : ParallelWork
    {
        [ThreadStatic]
        private static ColumnWork? instance;

        private KernelIsa isa;
        private RowPlan plan;
        private float* dy;
        private float* x;
        private float* mean;
        private float* invStd;
        private float* sumDyXhat;
        private float* sumDy;
        private bool withSumDy;

        public static ColumnWork Instance => instance ??= new ColumnWork();

        public void Set(KernelIsa isa, in RowPlan plan, float* dy, float* x, float* mean, float* invStd, float* sumDyXhat, float* sumDy, bool withSumDy)
        {
            this.isa = isa;
            this.plan = plan;
            this.dy = dy;
            this.x = x;
            this.mean = mean;
            this.invStd = invStd;
            this.sumDyXhat = sumDyXhat;
            this.sumDy = sumDy;
            this.withSumDy = withSumDy;
        }

        public override void Execute(int index)
        {
            int channels = plan.Channels, perGroup = plan.ChannelsPerGroup;
            int start = index * ColumnBlock, stop = Math.Min(channels, start + ColumnBlock);
            for (int n = 0; n < plan.Batch; n++)
            {
                // The block may span several groups: each stretch has its own row statistics.
                for (int c = start; c < stop;)
                {
                    int g = c / perGroup;
                    int end = Math.Min(stop, (g + 1) * perGroup);
                    int r = (n * plan.Groups) + g;
                    long offset = ((long)n * channels) + c;
                    int count = end - c;
                    RowOps.AccumulateColumns(
                        isa, new ReadOnlySpan<float>(dy + offset, count), new ReadOnlySpan<float>(x + offset, count), mean[r], invStd[r],
                        new Span<float>(sumDyXhat + c, count), withSumDy ? new Span<float>(sumDy + c, count) : default);
                    c = end;
                }
            }
        }
    }

    /// <summary><c>length</c> values from <c>p + start</c>, or empty when <paramref name="p"/> is null.</summary>
    private static ReadOnlySpan<float> Slice(float* p, int start, int length) =>
        p == null ? default : new ReadOnlySpan<float>(p + start, length);
}
