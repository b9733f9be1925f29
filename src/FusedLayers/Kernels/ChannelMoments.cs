using System;

namespace FusedLayers.Kernels;

/// <summary>
/// Per-channel running mean and sum of squared deviations (M2) in float64, merged with Chan et al.'s
/// parallel formula. Blocks are merged in the order they arrive, so the result is deterministic.
/// This is the stable alternative to <c>E[x^2] - E[x]^2</c>, which cancels catastrophically when
/// the mean is large compared to the spread.
/// </summary>
internal ref struct ChannelMoments
{
    private readonly Span<double> mean;
    private readonly Span<double> m2;
    private readonly Span<long> count;

    /// <summary>Uses caller-provided scratch of length <c>channels</c> for each array (zeroed here).</summary>
    public ChannelMoments(Span<double> mean, Span<double> m2, Span<long> count)
    {
        this.mean = mean;
        this.m2 = m2;
        this.count = count;
        mean.Clear();
        m2.Clear();
        count.Clear();
    }

    /// <summary>
    /// Merges one block of <paramref name="values"/> (one output plane, hot in cache) into channel
    /// <paramref name="channel"/>. The block's own mean and M2 come from two passes over it.
    /// </summary>
    public void AddBlock(int channel, ReadOnlySpan<float> values)
    {
        int nb = values.Length;
        if (nb == 0)
        {
            return;
        }

        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            sum += values[i];
        }

        double blockMean = sum / nb;
        double blockM2 = 0;
        for (int i = 0; i < values.Length; i++)
        {
            double d = values[i] - blockMean;
            blockM2 += d * d;
        }

        Merge(channel, nb, blockMean, blockM2);
    }

    /// <summary>Merges a block already reduced to its count, mean and M2 (computed elsewhere, e.g. on a SIMD path).</summary>
    public void AddBlock(int channel, long blockCount, double blockMean, double blockM2)
    {
        if (blockCount > 0)
        {
            Merge(channel, blockCount, blockMean, blockM2);
        }
    }

    /// <summary>Welford update of channel <paramref name="channel"/> with one value.</summary>
    public void AddValue(int channel, float value)
    {
        long n = ++count[channel];
        double delta = value - mean[channel];
        mean[channel] += delta / n;
        m2[channel] += delta * (value - mean[channel]);
    }

    /// <summary>Writes each channel's mean and biased variance (<c>M2 / count</c>).</summary>
    public readonly void WriteMeanAndBiasedVariance(Span<float> meanOut, Span<float> varianceOut)
    {
        for (int c = 0; c < mean.Length; c++)
        {
            meanOut[c] = (float)mean[c];
            varianceOut[c] = count[c] > 0 ? (float)(m2[c] / count[c]) : 0f;
        }
    }

    private readonly void Merge(int channel, long nb, double blockMean, double blockM2)
    {
        long na = count[channel];
        long n = na + nb;
        double delta = blockMean - mean[channel];
        mean[channel] += delta * nb / n;
        m2[channel] += blockM2 + (delta * delta * na * nb / n);
        count[channel] = n;
    }
}
