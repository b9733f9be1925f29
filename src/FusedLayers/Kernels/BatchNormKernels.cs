using System;
using System.Buffers;
using System.Globalization;
using FusedLayers.Execution;

namespace FusedLayers.Kernels;

/// <summary>
/// BatchNorm building blocks over activations laid out as <c>[N, C, S]</c> (S = spatial positions per
/// channel, 1 after a linear layer). Per channel, with <c>m = N * S</c>:
/// <c>xhat = (x - mean) / sqrt(var + eps)</c>, <c>y = gamma * xhat + beta</c>, written as
/// <c>y = x * scale + shift</c> with <c>scale = gamma / sqrt(var + eps)</c>, <c>shift = beta - mean * scale</c>.
/// Empty <c>gamma</c>/<c>beta</c> spans mean a non-affine layer (gamma = 1, beta = 0).
/// Every pass runs on the context's ISA path (<see cref="PlaneOps"/>) and splits samples over its
/// threads; per-channel reductions are combined in sample order, so results are bit-identical from
/// run to run at a given thread count.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // for generated code; out of IntelliSense
public static unsafe partial class BatchNormKernels
{
    /// <summary>
    /// Per-channel mean and biased variance of <paramref name="x"/>: each plane's mean and squared
    /// deviations (stable two-pass), merged per channel in sample order (Chan et al.). Used when
    /// BatchNorm has no convolution or linear layer to ride on.
    /// </summary>
    /// <param name="context">ISA path and threads.</param>
    /// <param name="batch">N.</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">S.</param>
    /// <param name="x">Input, <c>N * C * S</c>.</param>
    /// <param name="mean">Receives the mean per channel.</param>
    /// <param name="variance">Receives the biased variance per channel.</param>
    public static void Statistics(
        in KernelContext context, int batch, int channels, int spatial, ReadOnlySpan<float> x, Span<float> mean, Span<float> variance)
    {
        using var scratch = new MomentsScratch(channels);
        ChannelMoments moments = scratch.Create();
        if (spatial == 1)
        {
            for (int n = 0; n < batch; n++)
            {
                for (int c = 0; c < channels; c++)
                {
                    moments.AddValue(c, x[(n * channels) + c]);
                }
            }
        }
        else
        {
            int planes = batch * channels;
            double[] partial = ArrayPool<double>.Shared.Rent(2 * planes);
            try
            {
                fixed (float* px = x)
                fixed (double* pp = partial)
                {
                    PlaneMomentsWork work = PlaneMomentsWork.Instance;
                    work.Set(context.PathFor(KernelFamily.BatchNorm), channels, spatial, px, pp);
                    KernelThreadPool.Run(work, batch, context.Threads);
                }
                for (int n = 0; n < batch; n++)
                {
                    for (int c = 0; c < channels; c++)
                    {
                        int p = (n * channels) + c;
                        moments.AddBlock(c, spatial, partial[2 * p], partial[(2 * p) + 1]);
                    }
                }
            }
            finally
            {
                ArrayPool<double>.Shared.Return(partial);
            }
        }

        moments.WriteMeanAndBiasedVariance(mean, variance);
        if (context.StatisticsCollective is { } collective)
        {
            SynchroniseMoments(collective, (long)batch * spatial, mean, variance);
        }
    }

    /// <summary>
    /// From batch (or running) statistics: <c>invStd = 1/sqrt(var + eps)</c>, <c>scale = gamma * invStd</c>,
    /// <c>shift = beta - mean * scale</c>, computed in float64.
    /// </summary>
    /// <param name="mean">Mean per channel.</param>
    /// <param name="variance">Variance per channel (biased batch variance in training, running variance in inference).</param>
    /// <param name="gamma">Gamma, or empty.</param>
    /// <param name="beta">Beta, or empty.</param>
    /// <param name="eps">Epsilon.</param>
    /// <param name="invStd">Receives <c>1/sqrt(var + eps)</c>; may be empty when not needed.</param>
    /// <param name="scale">Receives the scale.</param>
    /// <param name="shift">Receives the shift.</param>
    public static void ScaleShift(
        ReadOnlySpan<float> mean,
        ReadOnlySpan<float> variance,
        ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta,
        double eps,
        Span<float> invStd,
        Span<float> scale,
        Span<float> shift)
    {
        for (int c = 0; c < mean.Length; c++)
        {
            double inv = 1.0 / Math.Sqrt(variance[c] + eps);
            double s = (gamma.IsEmpty ? 1.0 : gamma[c]) * inv;
            if (!invStd.IsEmpty)
            {
                invStd[c] = (float)inv;
            }

            scale[c] = (float)s;
            shift[c] = (float)((beta.IsEmpty ? 0.0 : beta[c]) - (mean[c] * s));
        }
    }

    /// <summary>
    /// The BatchNorm-apply (+ ReLU) pass: <c>y = x * scale[c] + shift[c]</c>, then <c>max(0, .)</c> when
    /// <paramref name="relu"/> is set. <paramref name="y"/> may be <paramref name="x"/>.
    /// </summary>
    /// <param name="context">ISA path and threads.</param>
    /// <param name="batch">N.</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">S.</param>
    /// <param name="x">Input.</param>
    /// <param name="scale">Scale per channel.</param>
    /// <param name="shift">Shift per channel.</param>
    /// <param name="relu">Apply ReLU.</param>
    /// <param name="y">Output.</param>
    public static void Apply(
        in KernelContext context, int batch, int channels, int spatial, ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, bool relu, Span<float> y)
    {
        fixed (float* px = x)
        fixed (float* pscale = scale)
        fixed (float* pshift = shift)
        fixed (float* py = y)
        {
            ApplyWork work = ApplyWork.Instance;
            work.Set(context.PathFor(KernelFamily.BatchNorm), channels, spatial, px, pscale, pshift, relu, py);
            KernelThreadPool.Run(work, batch, RowThreads(in context, batch, channels, spatial));
        }
    }

    /// <summary>
    /// A BatchNorm in eval mode inside a training-style pass (frozen BatchNorm, or a model in
    /// <c>Eval(withGradients: true)</c>): the running statistics replace the batch statistics a kernel's epilogue
    /// took, so the scale/shift, the saved mean and 1/std, and backward's xhat are all the running ones.
    /// </summary>
    /// <param name="runningMean">Running mean.</param>
    /// <param name="runningVar">Running (unbiased) variance.</param>
    /// <param name="mean">Receives the running mean in place of the batch mean.</param>
    /// <param name="variance">Receives the running variance in place of the batch variance.</param>
    public static void UseRunningStatistics(ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, Span<float> mean, Span<float> variance)
    {
        runningMean.CopyTo(mean);
        runningVar.CopyTo(variance);
    }

    /// <summary>
    /// Backward of a BatchNorm that ran on its running statistics: after the parameter gradients have taken the sums,
    /// they are cleared, so <see cref="BackwardInput(in KernelContext, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>
    /// computes <c>dx = gamma * invStd * dy</c>: the statistics are constants, so no batch terms.
    /// </summary>
    /// <param name="sumDy">Per-channel sum of dy, cleared.</param>
    /// <param name="sumDyXhat">Per-channel sum of dy * xhat, cleared.</param>
    public static void ConstantStatisticsBackward(Span<float> sumDy, Span<float> sumDyXhat)
    {
        sumDy.Clear();
        sumDyXhat.Clear();
    }

    /// <summary>
    /// Folds inference-mode BatchNorm into the preceding convolution or linear layer:
    /// <c>foldedWeight[o, :] = weight[o, :] * scale[o]</c>, <c>foldedBias[o] = bias[o] * scale[o] + shift[o]</c>
    /// (bias 0 when empty), with scale and shift from the running statistics.
    /// </summary>
    /// <param name="context">The path to run (the model's, so that <c>MaxIsa</c> is obeyed here too).</param>
    /// <param name="weight">Weight, <c>out * rest</c>.</param>
    /// <param name="bias">Bias, or empty.</param>
    /// <param name="scale">Scale per output channel.</param>
    /// <param name="shift">Shift per output channel.</param>
    /// <param name="foldedWeight">Receives the folded weight.</param>
    /// <param name="foldedBias">Receives the folded bias.</param>
    public static void FoldIntoWeights(
        in KernelContext context, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, Span<float> foldedWeight, Span<float> foldedBias)
    {
        KernelIsa isa = context.PathFor(KernelFamily.BatchNorm);
        int outChannels = scale.Length;
        int row = weight.Length / outChannels;
        for (int o = 0; o < outChannels; o++)
        {
            PlaneOps.Affine(isa, weight.Slice(o * row, row), scale[o], 0f, relu: false, foldedWeight.Slice(o * row, row));
            foldedBias[o] = (float)(((bias.IsEmpty ? 0.0 : bias[o]) * scale[o]) + shift[o]);
        }
    }

    /// <summary>
    /// Running-statistics update, as PyTorch: <c>running_mean = (1 - f) * running_mean + f * mean</c>,
    /// <c>running_var = (1 - f) * running_var + f * var * m / (m - 1)</c> (unbiased), with <c>f</c> the momentum
    /// or <c>1 / num_batches_tracked</c> for a cumulative average.
    /// </summary>
    /// <param name="mean">Batch mean.</param>
    /// <param name="biasedVariance">Biased batch variance.</param>
    /// <param name="count">Values per channel, <c>m = N * S</c> (at least 2).</param>
    /// <param name="factor">Averaging factor <c>f</c>.</param>
    /// <param name="runningMean">Running mean to update.</param>
    /// <param name="runningVar">Running variance to update.</param>
    public static void UpdateRunningStatistics(
        ReadOnlySpan<float> mean, ReadOnlySpan<float> biasedVariance, long count, double factor, Span<float> runningMean, Span<float> runningVar)
    {
        double unbias = count > 1 ? count / (double)(count - 1) : 1.0;
        for (int c = 0; c < mean.Length; c++)
        {
            runningMean[c] = (float)(((1.0 - factor) * runningMean[c]) + (factor * mean[c]));
            runningVar[c] = (float)(((1.0 - factor) * runningVar[c]) + (factor * biasedVariance[c] * unbias));
        }
    }

    /// <summary>Throws when a batch statistic is NaN or infinite, before any running statistic is touched.</summary>
    /// <param name="layerName">BatchNorm layer name.</param>
    /// <param name="mean">Batch mean.</param>
    /// <param name="variance">Batch variance.</param>
    /// <exception cref="ArgumentException">A statistic is not finite.</exception>
    public static void ThrowIfNotFinite(string layerName, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance)
    {
        for (int c = 0; c < mean.Length; c++)
        {
            if (!float.IsFinite(mean[c]) || !float.IsFinite(variance[c]))
            {
                throw new ArgumentException(
                    string.Format(
                        CultureInfo.InvariantCulture,
                        "BatchNorm layer '{0}': the batch statistics of channel {1} are not finite (mean {2}, variance {3}); " +
                        "the input holds NaN or infinity. Weights and running statistics were left unchanged.",
                        layerName,
                        c,
                        mean[c],
                        variance[c]),
                    "input");
            }
        }
    }

    /// <summary>
    /// The fused first backward pass: applies the ReLU mask (<c>output &gt; 0</c>, skipped when
    /// <paramref name="output"/> is empty) to <paramref name="gradOutput"/> and reduces per channel
    /// <c>sumDy = sum dy</c> and <c>sumDyXhat = sum dy * xhat</c> with <c>xhat = (x - mean) * invStd</c>.
    /// These are also <c>dbeta</c> and <c>dgamma</c>. Plane sums are combined in float64 in sample order.
    /// </summary>
    /// <param name="context">ISA path and threads.</param>
    /// <param name="batch">N.</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">S.</param>
    /// <param name="gradOutput">Gradient of the block output.</param>
    /// <param name="output">Block output (ReLU mask), or empty when there is no ReLU.</param>
    /// <param name="x">BatchNorm input saved by the forward pass.</param>
    /// <param name="mean">Batch mean.</param>
    /// <param name="invStd">Batch <c>1/sqrt(var + eps)</c>.</param>
    /// <param name="sumDy">Receives <c>sum dy</c> per channel.</param>
    /// <param name="sumDyXhat">Receives <c>sum dy * xhat</c> per channel.</param>
    public static void BackwardReduce(
        in KernelContext context,
        int batch,
        int channels,
        int spatial,
        ReadOnlySpan<float> gradOutput,
        ReadOnlySpan<float> output,
        ReadOnlySpan<float> x,
        ReadOnlySpan<float> mean,
        ReadOnlySpan<float> invStd,
        Span<float> sumDy,
        Span<float> sumDyXhat)
    {
        int planes = batch * channels;
        IBatchStatisticsCollective? collective = context.StatisticsCollective;
        double[] partial = ArrayPool<double>.Shared.Rent((2 * planes) + (collective is null ? 0 : (2 * channels) + 1));
        try
        {
            fixed (float* pdy = gradOutput)
            fixed (float* py = output)
            fixed (float* px = x)
            fixed (float* pmean = mean)
            fixed (double* pp = partial)
            {
                ReduceWork work = ReduceWork.Instance;
                work.Set(context.PathFor(KernelFamily.BatchNorm), channels, spatial, pdy, py, px, pmean, pp);
                KernelThreadPool.Run(work, batch, RowThreads(in context, batch, channels, spatial));
            }
            for (int c = 0; c < channels; c++)
            {
                double sd = 0, sdx = 0;
                for (int n = 0; n < batch; n++)
                {
                    int p = (n * channels) + c;
                    sd += partial[2 * p];
                    sdx += partial[(2 * p) + 1];
                }

                sumDy[c] = (float)sd;
                sumDyXhat[c] = (float)(sdx * invStd[c]);
                if (collective is not null)
                {
                    // Synchronised BatchNorm reduces the float64 sums, not their float rounding (slots after the partials).
                    partial[(2 * planes) + c] = sd;
                    partial[(2 * planes) + channels + c] = sdx * invStd[c];
                }
            }

            if (collective is not null)
            {
                SynchroniseSums(collective, (long)batch * spatial, partial.AsSpan(2 * planes, (2 * channels) + 1), sumDy, sumDyXhat);
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(partial);
        }
    }

    /// <summary>
    /// The fused second backward pass (training statistics): with the ReLU mask applied to <c>dy</c>,
    /// <c>dx = gamma * invStd * (dy - sumDy / m - xhat * sumDyXhat / m)</c>, <c>m = N * S</c>.
    /// </summary>
    /// <param name="context">ISA path and threads.</param>
    /// <param name="batch">N.</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">S.</param>
    /// <param name="gradOutput">Gradient of the block output.</param>
    /// <param name="output">Block output (ReLU mask), or empty.</param>
    /// <param name="x">BatchNorm input.</param>
    /// <param name="mean">Batch mean.</param>
    /// <param name="invStd">Batch inverse standard deviation.</param>
    /// <param name="gamma">Gamma, or empty.</param>
    /// <param name="sumDy">From <see cref="BackwardReduce(in KernelContext, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float})"/>.</param>
    /// <param name="sumDyXhat">From the same.</param>
    /// <param name="gradInput">Receives the gradient of the BatchNorm input.</param>
    public static void BackwardInput(
        in KernelContext context,
        int batch,
        int channels,
        int spatial,
        ReadOnlySpan<float> gradOutput,
        ReadOnlySpan<float> output,
        ReadOnlySpan<float> x,
        ReadOnlySpan<float> mean,
        ReadOnlySpan<float> invStd,
        ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> sumDy,
        ReadOnlySpan<float> sumDyXhat,
        Span<float> gradInput)
    {
        // dx = k * dy - k * mean(dy) - k * invStd * mean(dy * xhat) * (x - mu), k = gamma * invStd.
        float[] coefficients = ArrayPool<float>.Shared.Rent(3 * channels);
        try
        {
            double m = (double)batch * spatial;
            for (int c = 0; c < channels; c++)
            {
                double k = (gamma.IsEmpty ? 1.0 : gamma[c]) * invStd[c];
                coefficients[3 * c] = (float)k;
                coefficients[(3 * c) + 1] = (float)(-k * sumDy[c] / m);
                coefficients[(3 * c) + 2] = (float)(-k * invStd[c] * sumDyXhat[c] / m);
            }

            fixed (float* pdy = gradOutput)
            fixed (float* py = output)
            fixed (float* px = x)
            fixed (float* pmean = mean)
            fixed (float* pk = coefficients)
            fixed (float* pdx = gradInput)
            {
                InputGradientWork work = InputGradientWork.Instance;
                work.Set(context.PathFor(KernelFamily.BatchNorm), channels, spatial, pdy, py, px, pmean, pk, pdx);
                KernelThreadPool.Run(work, batch, RowThreads(in context, batch, channels, spatial));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(coefficients);
        }
    }

    /// <summary>
    /// Threads for a pass split by sample: all of them, except for small [N, C] inputs (BatchNorm1d), where a
    /// sample's row is too little work to pay for waking a worker. Either way each sample writes only its own
    /// partial sums, combined in sample order, so the thread count never changes a result.
    /// </summary>
    private static int RowThreads(in KernelContext context, int batch, int channels, int spatial) =>
        spatial == 1 && (long)batch * channels < 16384 ? 1 : context.Threads;

    /// <summary>Adds per-channel sums to a gradient: <c>grad[c] += sums[c]</c>.</summary>
    /// <param name="grad">Gradient to accumulate into.</param>
    /// <param name="sums">Values to add.</param>
    public static void Accumulate(Span<float> grad, ReadOnlySpan<float> sums)
    {
        for (int c = 0; c < grad.Length; c++)
        {
            grad[c] += sums[c];
        }
    }
}
