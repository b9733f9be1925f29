using System;
using System.Buffers;
using FusedLayers.Execution;

namespace FusedLayers.Kernels;

/// <summary>
/// Synchronised BatchNorm: the cross-replica steps the statistics kernels run when the context carries an
/// <see cref="IBatchStatisticsCollective"/>. Each replica holds <c>m_r</c> values per channel with mean
/// <c>mu_r</c> and biased variance <c>v_r</c>; the global batch has <c>M = sum m_r</c>,
/// <c>mu = sum(m_r mu_r) / M</c> and <c>M2 = sum(m_r v_r + m_r (mu_r - mu)^2)</c> (the parallel-variance formula,
/// exact and free of <c>E[x^2] - E[x]^2</c> cancellation), merged pairwise in replica order (Chan et al.) in float64.
/// </summary>
public static partial class BatchNormKernels
{
    /// <summary>
    /// Replaces this replica's per-channel mean and biased variance with those of the global batch: one gather of
    /// every replica's <c>[m_r, mu_r per channel, M2_r per channel]</c>, merged in replica order with Chan's formula
    /// (<c>delta = mu_r - mu</c>, <c>mu += delta m_r / M</c>, <c>M2 += M2_r + delta^2 M_before m_r / M</c>) in float64,
    /// so every replica computes bit-identical statistics. Remembers the global count for the running update.
    /// </summary>
    /// <param name="collective">The cross-replica collective.</param>
    /// <param name="count">Values per channel on this replica, <c>m_r = N * S</c>.</param>
    /// <param name="mean">This replica's mean; receives the global mean.</param>
    /// <param name="variance">This replica's biased variance; receives the global biased variance.</param>
    /// <exception cref="ArgumentException">The replicas hold at most one value per channel in all (thrown on every replica).</exception>
    internal static void SynchroniseMoments(IBatchStatisticsCollective collective, long count, Span<float> mean, Span<float> variance)
    {
        int channels = mean.Length, width = (2 * channels) + 1, replicas = collective.Replicas;
        double[] rented = ArrayPool<double>.Shared.Rent(width * (replicas + 1));
        try
        {
            Span<double> mine = rented.AsSpan(0, width);
            mine[0] = count;
            for (int c = 0; c < channels; c++)
            {
                mine[1 + c] = mean[c];
                mine[1 + channels + c] = count * (double)variance[c];
            }

            Span<double> all = rented.AsSpan(width, width * replicas);
            collective.AllGather(mine, all);
            double total = 0;
            for (int r = 0; r < replicas; r++)
            {
                total += all[r * width];
            }

            if (!(total > 1))
            {
                throw new ArgumentException(
                    $"Expected more than 1 value per channel when training, got {total} over all {replicas} replicas of synchronised BatchNorm " +
                    $"({count} on this one, {channels} channels).", "input");
            }

            for (int c = 0; c < channels; c++)
            {
                double m = 0, mu = 0, m2 = 0;
                for (int r = 0; r < replicas; r++)
                {
                    ReadOnlySpan<double> theirs = all.Slice(r * width, width);
                    double n = theirs[0];
                    if (n == 0)
                    {
                        continue;
                    }

                    double merged = m + n, delta = theirs[1 + c] - mu;
                    mu += delta * (n / merged);
                    m2 += theirs[1 + channels + c] + (delta * delta * (m * n / merged));
                    m = merged;
                }

                mean[c] = (float)mu;
                variance[c] = (float)(m2 / m);
            }

            GlobalCounts.Remember(collective, count, (long)total);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// The backward sums of synchronised BatchNorm. The input-gradient pass needs <c>sum dy / M</c> and
    /// <c>sum dy*xhat / M</c> over the global batch; it divides by the local <c>m_r</c>, so this writes the global sums
    /// times <c>m_r / M</c>. The same values go into the gamma and beta gradients: averaged over the replicas (as
    /// gradient averaging does) they are the mean of the local sums, exactly what averaging the local sums gives.
    /// </summary>
    /// <param name="collective">The cross-replica sum.</param>
    /// <param name="count">Values per channel on this replica.</param>
    /// <param name="sums"><c>2C + 1</c> slots: <c>sum dy</c> per channel, then <c>sum dy*xhat</c>, then a slot for the count.</param>
    /// <param name="sumDy">Receives <c>m_r / M * sum dy</c> over all replicas.</param>
    /// <param name="sumDyXhat">Receives <c>m_r / M * sum dy*xhat</c> over all replicas.</param>
    internal static void SynchroniseSums(IBatchStatisticsCollective collective, long count, Span<double> sums, Span<float> sumDy, Span<float> sumDyXhat)
    {
        int channels = sumDy.Length;
        sums[2 * channels] = count;
        collective.AllReduceSum(sums);
        double share = count / sums[2 * channels];
        for (int c = 0; c < channels; c++)
        {
            sumDy[c] = (float)(sums[c] * share);
            sumDyXhat[c] = (float)(sums[channels + c] * share);
        }
    }

    /// <summary>
    /// As <see cref="UpdateRunningStatistics(ReadOnlySpan{float}, ReadOnlySpan{float}, long, double, Span{float}, Span{float})"/>;
    /// under synchronised BatchNorm (the context carries a collective) <paramref name="count"/> becomes the global count
    /// <c>M</c>, so that <c>running_var</c> takes the global unbiased variance <c>var * M / (M - 1)</c>: the count the
    /// statistics gather of this forward found for this local count (no collective), or, with no such gather, a sum.
    /// </summary>
    /// <param name="context">The model's context (its <see cref="KernelContext.StatisticsCollective"/> is what matters here).</param>
    /// <param name="mean">Batch mean (global under synchronised BatchNorm).</param>
    /// <param name="biasedVariance">Biased batch variance (global under synchronised BatchNorm).</param>
    /// <param name="count">Values per channel in this process's batch, <c>m = N * S</c>.</param>
    /// <param name="factor">Averaging factor <c>f</c>.</param>
    /// <param name="runningMean">Running mean to update.</param>
    /// <param name="runningVar">Running variance to update.</param>
    public static void UpdateRunningStatistics(
        in KernelContext context, ReadOnlySpan<float> mean, ReadOnlySpan<float> biasedVariance, long count, double factor, Span<float> runningMean, Span<float> runningVar)
    {
        if (context.StatisticsCollective is { } collective && !GlobalCounts.TryRecall(collective, count, out count))
        {
            Span<double> total = [count];
            collective.AllReduceSum(total);
            count = (long)total[0];
        }

        UpdateRunningStatistics(mean, biasedVariance, count, factor, runningMean, runningVar);
    }
}
