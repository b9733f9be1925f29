using System;
using System.Buffers;
using FusedLayers.Execution;

namespace FusedLayers.Kernels;

/// <summary>
/// Per-sample normalisation over activations laid out as <c>[N, C, S]</c> (S = spatial positions per
/// channel, 1 for <c>[N, C]</c>) with the <c>C</c> channels split into <c>G</c> groups of <c>C / G</c>
/// consecutive channels. Each (sample, group) is one contiguous row of <c>L = (C / G) * S</c> values,
/// normalised with its own mean and biased variance: <c>xhat = (x - mean) * invStd</c>,
/// <c>invStd = 1 / sqrt(var + eps)</c>, then <c>y = gamma[c] * xhat + beta[c]</c> per channel.
/// One family covers three PyTorch layers:
/// <list type="bullet">
/// <item><c>GroupNorm(G, C)</c> over <c>[N, C, *]</c>: rows <c>N * G</c>.</item>
/// <item><c>InstanceNorm</c> over <c>[N, C, *]</c>: <c>G = C</c>, one row per plane; the running statistics
/// come from <see cref="UpdateInstanceRunningStatistics"/>, and inference with them is
/// <see cref="BatchNormKernels.ScaleShift"/> + <see cref="BatchNormKernels.Apply"/> (its gradient is that
/// same apply with <c>scale = gamma * invStd</c>, <c>shift = 0</c>).</item>
/// <item><c>LayerNorm(D)</c> over <c>[N', D]</c> (leading dimensions flattened): <c>C = D</c>, <c>S = 1</c>,
/// <c>G = 1</c>, so the per-channel gamma and beta are LayerNorm's per-element ones.</item>
/// </list>
/// Empty <c>gamma</c> means 1 (no affine); empty <c>beta</c> means 0 (LayerNorm with <c>bias=False</c>).
/// </summary>
/// <remarks>
/// Every pass runs on the context's ISA path (capped to what the CPU supports): Vector512, Vector256 with
/// FMA, or scalar, each with scalar remainders. Row statistics are the stable two-pass
/// <see cref="PlaneOps.Moments"/> (pivot-shifted sums, lanes combined in float64). Rows are split over the
/// context's threads when the tensor has at least <see cref="ParallelThreshold"/> values; every row is
/// computed by one thread in a fixed order and per-channel reductions over the batch are combined in
/// sample order afterwards, so results are bit-identical for any thread count. Scratch comes from the
/// shared array pools: steady-state calls allocate nothing.
/// </remarks>
public static unsafe partial class RowNormKernels
{
    /// <summary>Tensors smaller than this (in values) run on the calling thread only.</summary>
    public const int ParallelThreshold = 32768;

    /// <summary>
    /// Training (and, for GroupNorm and LayerNorm, inference) forward pass: per row <c>mean</c>,
    /// <c>invStd = 1 / sqrt(var + eps)</c> with the biased variance, and <c>y = gamma[c] * (x - mean) * invStd + beta[c]</c>.
    /// </summary>
    /// <param name="context">ISA path and threads.</param>
    /// <param name="batch">N.</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">S (1 for <c>[N, C]</c> and LayerNorm).</param>
    /// <param name="groups">G, dividing C.</param>
    /// <param name="x">Input, <c>N * C * S</c>.</param>
    /// <param name="gamma">Weight per channel, or empty.</param>
    /// <param name="beta">Bias per channel, or empty (must be empty when <paramref name="gamma"/> is).</param>
    /// <param name="eps">Added to the variance.</param>
    /// <param name="y">Output, <c>N * C * S</c>; may be <paramref name="x"/>.</param>
    /// <param name="mean">Receives the mean per row, <c>N * G</c> (row <c>n * G + g</c>); saved for <see cref="Backward"/>.</param>
    /// <param name="invStd">Receives <c>1 / sqrt(var + eps)</c> per row, <c>N * G</c>; saved for <see cref="Backward"/>.</param>
    /// <param name="variance">Receives the biased variance per row (<c>N * G</c>), or empty to skip.</param>
    /// <exception cref="ArgumentException">A size is invalid or a span is too short.</exception>
    public static void Forward(
        in KernelContext context,
        int batch,
        int channels,
        int spatial,
        int groups,
        ReadOnlySpan<float> x,
        ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta,
        double eps,
        Span<float> y,
        Span<float> mean,
        Span<float> invStd,
        Span<float> variance)
    {
        CheckForward(batch, channels, spatial, groups, x, gamma, beta, y, mean, invStd, variance);
        ForwardOn(context.NativePathFor(KernelFamily.RowNorm), context.Threads, batch, channels, spatial, groups, x, gamma, beta, eps, y, mean, invStd, variance);
    }

    /// <summary>
    /// Backward pass with the row statistics depending on <c>x</c>: with <c>g = gamma[c] * dy</c>,
    /// <c>dx = invStd * (g - mean_row(g) - xhat * mean_row(g * xhat))</c>, overwriting
    /// <paramref name="gradInput"/>; and, accumulating, <c>gradGamma[c] += sum dy * xhat</c>,
    /// <c>gradBeta[c] += sum dy</c> over the batch and the channel's positions.
    /// </summary>
    /// <param name="context">ISA path and threads.</param>
    /// <param name="batch">N.</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">S.</param>
    /// <param name="groups">G.</param>
    /// <param name="gradOutput">Gradient of the output, <c>N * C * S</c>.</param>
    /// <param name="x">The forward pass's input.</param>
    /// <param name="mean">The forward pass's row means.</param>
    /// <param name="invStd">The forward pass's row <c>1 / sqrt(var + eps)</c>.</param>
    /// <param name="gamma">Weight per channel, or empty.</param>
    /// <param name="gradInput">Receives the input gradient; must not overlap <paramref name="gradOutput"/> or <paramref name="x"/>.</param>
    /// <param name="gradGamma">Weight gradient to accumulate into, or empty to skip.</param>
    /// <param name="gradBeta">Bias gradient to accumulate into, or empty to skip.</param>
    /// <exception cref="ArgumentException">A size is invalid or a span is too short.</exception>
    public static void Backward(
        in KernelContext context,
        int batch,
        int channels,
        int spatial,
        int groups,
        ReadOnlySpan<float> gradOutput,
        ReadOnlySpan<float> x,
        ReadOnlySpan<float> mean,
        ReadOnlySpan<float> invStd,
        ReadOnlySpan<float> gamma,
        Span<float> gradInput,
        Span<float> gradGamma,
        Span<float> gradBeta)
    {
        CheckShape(batch, channels, spatial, groups);
        long values = (long)batch * channels * spatial;
        int rows = batch * groups;
        CheckLength(gradOutput, values, nameof(gradOutput));
        CheckLength(x, values, nameof(x));
        CheckLength(gradInput, values, nameof(gradInput));
        CheckLength(mean, rows, nameof(mean));
        CheckLength(invStd, rows, nameof(invStd));
        CheckOptional(gamma, channels, nameof(gamma));
        CheckOptional(gradGamma, channels, nameof(gradGamma));
        CheckOptional(gradBeta, channels, nameof(gradBeta));
        BackwardOn(context.NativePathFor(KernelFamily.RowNorm), context.Threads, batch, channels, spatial, groups, gradOutput, x, mean, invStd, gamma, gradInput, gradGamma, gradBeta);
    }

    /// <summary>
    /// InstanceNorm's running-statistics update, as PyTorch (which runs BatchNorm on the input viewed as
    /// <c>[1, N * C, *]</c> with the running statistics repeated N times and averages the copies back):
    /// <c>running_mean = (1 - f) running_mean + f * mean_n(mean[n, c])</c> and
    /// <c>running_var = (1 - f) running_var + f * mean_n(var[n, c] * S / (S - 1))</c> (per-instance unbiased
    /// variances), computed in float64. <c>f</c> is the momentum; PyTorch passes 0 when it is None.
    /// </summary>
    /// <param name="batch">N, at least 1.</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">S, at least 2 (PyTorch refuses one spatial element in training).</param>
    /// <param name="mean">Per-plane means from <see cref="Forward(in KernelContext, int, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, double, Span{float}, Span{float}, Span{float}, Span{float})"/> with <c>G = C</c>, <c>N * C</c>.</param>
    /// <param name="variance">Per-plane biased variances from <see cref="Forward(in KernelContext, int, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, double, Span{float}, Span{float}, Span{float}, Span{float})"/>, <c>N * C</c>.</param>
    /// <param name="momentum">The averaging factor <c>f</c>.</param>
    /// <param name="runningMean">Running mean to update, <c>C</c>.</param>
    /// <param name="runningVar">Running variance to update, <c>C</c>.</param>
    /// <exception cref="ArgumentException">A size is invalid or a span is too short.</exception>
    public static void UpdateInstanceRunningStatistics(
        int batch,
        int channels,
        int spatial,
        ReadOnlySpan<float> mean,
        ReadOnlySpan<float> variance,
        double momentum,
        Span<float> runningMean,
        Span<float> runningVar)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfLessThan(spatial, 2);
        CheckLength(mean, (long)batch * channels, nameof(mean));
        CheckLength(variance, (long)batch * channels, nameof(variance));
        CheckLength(runningMean, channels, nameof(runningMean));
        CheckLength(runningVar, channels, nameof(runningVar));
        double unbias = spatial / (spatial - 1.0);
        for (int c = 0; c < channels; c++)
        {
            double sumMean = 0, sumVar = 0;
            for (int n = 0; n < batch; n++)
            {
                sumMean += mean[(n * channels) + c];
                sumVar += variance[(n * channels) + c] * unbias;
            }

            runningMean[c] = (float)(((1.0 - momentum) * runningMean[c]) + (momentum * sumMean / batch));
            runningVar[c] = (float)(((1.0 - momentum) * runningVar[c]) + (momentum * sumVar / batch));
        }
    }

    /// <summary>
    /// Throws when a per-plane statistic of an InstanceNorm forward (rows <c>n * C + c</c>) is NaN or infinite, before
    /// any running statistic is touched.
    /// </summary>
    /// <param name="layerName">InstanceNorm layer name.</param>
    /// <param name="channels">C.</param>
    /// <param name="mean">Per-plane means.</param>
    /// <param name="variance">Per-plane variances.</param>
    /// <exception cref="ArgumentException">A statistic is not finite.</exception>
    public static void ThrowIfNotFinite(string layerName, int channels, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        for (int p = 0; p < mean.Length; p++)
        {
            if (!float.IsFinite(mean[p]) || !float.IsFinite(variance[p]))
            {
                throw new ArgumentException(
                    string.Create(
                        System.Globalization.CultureInfo.InvariantCulture,
                        $"InstanceNorm layer '{layerName}': the statistics of sample {p / channels}, channel {p % channels} are not finite (mean {mean[p]}, variance {variance[p]}); the input holds NaN or infinity. Weights and running statistics were left unchanged."),
                    "input");
            }
        }
    }

    /// <summary>Forward on an explicit path, not capped to the CPU (tests run the Vector512 code in software with it).</summary>
    internal static void ForwardOn(
        KernelIsa isa,
        int threads,
        int batch,
        int channels,
        int spatial,
        int groups,
        ReadOnlySpan<float> x,
        ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta,
        double eps,
        Span<float> y,
        Span<float> mean,
        Span<float> invStd,
        Span<float> variance,
        Activation activation = default,
        Span<float> activated = default,
        ReadOnlySpan<float> skip = default)
    {
        RowPlan plan = RowPlan.Create(batch, channels, spatial, groups, threads);
        fixed (float* pskip = skip)
        fixed (float* px = x)
        fixed (float* pgamma = gamma)
        fixed (float* pbeta = beta)
        fixed (float* py = y)
        fixed (float* pmean = mean)
        fixed (float* pinv = invStd)
        fixed (float* pvar = variance)
        fixed (float* pact = activated)
        {
            ForwardWork work = ForwardWork.Instance;
            work.Set(isa, plan, px, gamma.IsEmpty ? null : pgamma, beta.IsEmpty ? null : pbeta, eps, py, pmean, pinv, variance.IsEmpty ? null : pvar);
            work.SetActivation(activation, activated.IsEmpty ? null : pact);
            work.SetSkip(skip.IsEmpty ? null : pskip);
            try
            {
                KernelThreadPool.Run(work, plan.Chunks, plan.Threads);
            }
            finally
            {
                work.SetActivation(default, null);
                work.SetSkip(null);
            }
        }
    }

    /// <summary>
    /// <see cref="Forward(in KernelContext, int, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, double, Span{float}, Span{float}, Span{float}, Span{float})"/>
    /// with the activation fused: each row, once normalised into <paramref name="y"/>, is activated into
    /// <paramref name="activated"/> while it is still in cache. <paramref name="activated"/> may be
    /// <paramref name="y"/> (in place) when the pre-activation need not be kept.
    /// </summary>
    /// <param name="context">ISA path and threads.</param>
    /// <param name="batch">N.</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">S.</param>
    /// <param name="groups">G.</param>
    /// <param name="x">Input, <c>N * C * S</c>.</param>
    /// <param name="gamma">Weight per channel, or empty.</param>
    /// <param name="beta">Bias per channel, or empty.</param>
    /// <param name="eps">Epsilon.</param>
    /// <param name="y">Receives the normalised output (the pre-activation).</param>
    /// <param name="mean">Receives the row means.</param>
    /// <param name="invStd">Receives the row <c>1 / sqrt(var + eps)</c>.</param>
    /// <param name="variance">Receives the row biased variances, or empty.</param>
    /// <param name="activation">The activation.</param>
    /// <param name="activated">Receives <c>f(y)</c>, same length as <paramref name="y"/>.</param>
    /// <exception cref="ArgumentException">A size is invalid or a span is too short.</exception>
    public static void Forward(
        in KernelContext context, int batch, int channels, int spatial, int groups, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, double eps, Span<float> y, Span<float> mean, Span<float> invStd, Span<float> variance, Activation activation,
        Span<float> activated)
    {
        CheckForward(batch, channels, spatial, groups, x, gamma, beta, y, mean, invStd, variance);
        CheckLength(activated, (long)batch * channels * spatial, nameof(activated));
        ForwardOn(context.NativePathFor(KernelFamily.RowNorm), context.Threads, batch, channels, spatial, groups, x, gamma, beta, eps, y, mean, invStd, variance, activation, activated);
    }

    /// <summary>
    /// The forward pass with a residual add in the epilogue: each row, once normalised, gets the skip connection added
    /// while it is in cache, <c>y = gamma[c] * xhat + beta[c] + skip</c> (the pre-activation), and, when
    /// <paramref name="activated"/> is not empty, <c>activated = f(y)</c>. One pass over the data instead of three
    /// (normalise, add, activate), for LayerNorm / GroupNorm / InstanceNorm followed by an identity skip connection.
    /// </summary>
    /// <param name="context">ISA path and threads.</param>
    /// <param name="batch">N.</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">S.</param>
    /// <param name="groups">G.</param>
    /// <param name="x">Input, <c>N * C * S</c>.</param>
    /// <param name="gamma">Weight per channel, or empty.</param>
    /// <param name="beta">Bias per channel, or empty.</param>
    /// <param name="eps">Epsilon.</param>
    /// <param name="skip">The skip connection, <c>N * C * S</c>; must not overlap <paramref name="y"/>.</param>
    /// <param name="y">Receives the normalised output plus the skip (the pre-activation); may be <paramref name="x"/>.</param>
    /// <param name="mean">Receives the row means.</param>
    /// <param name="invStd">Receives the row <c>1 / sqrt(var + eps)</c>.</param>
    /// <param name="variance">Receives the row biased variances, or empty.</param>
    /// <param name="activation">The activation (ignored when <paramref name="activated"/> is empty).</param>
    /// <param name="activated">Receives <c>f(y)</c>, or empty for no activation; may be <paramref name="y"/>.</param>
    /// <exception cref="ArgumentException">A size is invalid, a span is too short, or the skip overlaps the output.</exception>
    public static void Forward(
        in KernelContext context, int batch, int channels, int spatial, int groups, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, double eps, ReadOnlySpan<float> skip, Span<float> y, Span<float> mean, Span<float> invStd, Span<float> variance,
        Activation activation, Span<float> activated)
    {
        CheckForward(batch, channels, spatial, groups, x, gamma, beta, y, mean, invStd, variance);
        long values = (long)batch * channels * spatial;
        CheckLength(skip, values, nameof(skip));
        CheckOptional(activated, values, nameof(activated));
        if (skip.Overlaps(y))
        {
            throw new ArgumentException("The skip connection must not overlap the output.", nameof(skip));
        }

        ForwardOn(context.NativePathFor(KernelFamily.RowNorm), context.Threads, batch, channels, spatial, groups, x, gamma, beta, eps, y, mean, invStd, variance, activation, activated, skip);
    }

    /// <summary>Backward on an explicit path, not capped to the CPU.</summary>
    internal static void BackwardOn(
        KernelIsa isa,
        int threads,
        int batch,
        int channels,
        int spatial,
        int groups,
        ReadOnlySpan<float> gradOutput,
        ReadOnlySpan<float> x,
        ReadOnlySpan<float> mean,
        ReadOnlySpan<float> invStd,
        ReadOnlySpan<float> gamma,
        Span<float> gradInput,
        Span<float> gradGamma,
        Span<float> gradBeta)
    {
        RowPlan plan = RowPlan.Create(batch, channels, spatial, groups, threads);
        bool parameters = !gradGamma.IsEmpty || !gradBeta.IsEmpty;

        // Per-plane partial sums (sum dy, sum dy * (x - mean)) for the parameter gradients when S > 1;
        // with S = 1 a column pass over the batch computes them instead.
        bool planePartials = parameters && spatial > 1;
        double[] partial = ArrayPool<double>.Shared.Rent(planePartials ? 2 * batch * channels : 0);
        try
        {
            fixed (float* pdy = gradOutput)
            fixed (float* px = x)
            fixed (float* pmean = mean)
            fixed (float* pinv = invStd)
            fixed (float* pgamma = gamma)
            fixed (float* pdx = gradInput)
            fixed (double* ppartial = partial)
            {
                float* gammaOrNull = gamma.IsEmpty ? null : pgamma;
                BackwardWork work = BackwardWork.Instance;
                work.Set(isa, plan, pdy, px, pmean, pinv, gammaOrNull, pdx, planePartials ? ppartial : null);
                KernelThreadPool.Run(work, plan.Chunks, plan.Threads);
                if (parameters && spatial == 1)
                {
                    AccumulateColumnGradients(isa, plan, pdy, px, pmean, pinv, gradGamma, gradBeta);
                }
            }

            if (planePartials)
            {
                AccumulatePlaneGradients(plan, partial, invStd, gradGamma, gradBeta);
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(partial);
        }
    }

    /// <summary>S &gt; 1: <c>gradBeta[c] += sum_n sumDy[n, c]</c>, <c>gradGamma[c] += sum_n sumDyCentered[n, c] * invStd[n, g(c)]</c>, in sample order.</summary>
    private static void AccumulatePlaneGradients(in RowPlan plan, double[] partial, ReadOnlySpan<float> invStd, Span<float> gradGamma, Span<float> gradBeta)
    {
        int channels = plan.Channels, perGroup = plan.ChannelsPerGroup;
        for (int c = 0; c < channels; c++)
        {
            double sumDy = 0, sumDyXhat = 0;
            for (int n = 0; n < plan.Batch; n++)
            {
                int p = (n * channels) + c;
                sumDy += partial[2 * p];
                sumDyXhat += partial[(2 * p) + 1] * invStd[(n * plan.Groups) + (c / perGroup)];
            }

            if (!gradGamma.IsEmpty)
            {
                gradGamma[c] = (float)(gradGamma[c] + sumDyXhat);
            }

            if (!gradBeta.IsEmpty)
            {
                gradBeta[c] = (float)(gradBeta[c] + sumDy);
            }
        }
    }

    /// <summary>
    /// S = 1: the parameter gradients are column sums over the batch of <c>dy * xhat</c> and <c>dy</c>; blocks of
    /// columns are split over the threads, each summing its columns over the rows in order into float scratch.
    /// </summary>
    private static void AccumulateColumnGradients(
        KernelIsa isa, in RowPlan plan, float* dy, float* x, float* mean, float* invStd, Span<float> gradGamma, Span<float> gradBeta)
    {
        int channels = plan.Channels;
        float[] sums = ArrayPool<float>.Shared.Rent(2 * channels);
        try
        {
            Array.Clear(sums, 0, 2 * channels);
            fixed (float* psums = sums)
            {
                ColumnWork work = ColumnWork.Instance;
                work.Set(isa, plan, dy, x, mean, invStd, psums, psums + channels, !gradBeta.IsEmpty);
                int blocks = (channels + ColumnBlock - 1) / ColumnBlock;
                KernelThreadPool.Run(work, blocks, plan.Threads);
            }

            if (!gradGamma.IsEmpty)
            {
                BatchNormKernels.Accumulate(gradGamma[..channels], sums.AsSpan(0, channels));
            }

            if (!gradBeta.IsEmpty)
            {
                BatchNormKernels.Accumulate(gradBeta[..channels], sums.AsSpan(channels, channels));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(sums);
        }
    }

    private static void CheckShape(int batch, int channels, int spatial, int groups)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spatial);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(groups);
        if (channels % groups != 0)
        {
            throw new ArgumentException($"channels ({channels}) must be divisible by groups ({groups}).", nameof(groups));
        }

        if ((long)batch * channels * spatial > int.MaxValue)
        {
            throw new ArgumentException($"[{batch}, {channels}, {spatial}] has more than {int.MaxValue} values.", nameof(batch));
        }
    }

    private static void CheckAffine(ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, int channels)
    {
        CheckOptional(gamma, channels, nameof(gamma));
        CheckOptional(beta, channels, nameof(beta));
        if (gamma.IsEmpty && !beta.IsEmpty)
        {
            throw new ArgumentException("beta needs gamma: a bias without a weight is not a PyTorch normalisation layer.", nameof(beta));
        }
    }

    /// <summary>The checks every forward overload shares: shape, input, output, affine and the row statistics.</summary>
    private static void CheckForward(
        int batch, int channels, int spatial, int groups, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> y, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, ReadOnlySpan<float> variance)
    {
        CheckShape(batch, channels, spatial, groups);
        long values = (long)batch * channels * spatial;
        int rows = batch * groups;
        CheckLength(x, values, nameof(x));
        CheckLength(y, values, nameof(y));
        CheckAffine(gamma, beta, channels);
        CheckLength(mean, rows, nameof(mean));
        CheckLength(invStd, rows, nameof(invStd));
        CheckOptional(variance, rows, nameof(variance));
    }

    private static void CheckLength(ReadOnlySpan<float> span, long required, string name)
    {
        if (span.Length < required)
        {
            throw new ArgumentException($"{name}: expected at least {required} elements, got {span.Length}.", name);
        }
    }

    private static void CheckOptional(ReadOnlySpan<float> span, long required, string name)
    {
        if (!span.IsEmpty && span.Length < required)
        {
            throw new ArgumentException($"{name}: expected {required} elements or none, got {span.Length}.", name);
        }
    }
}
