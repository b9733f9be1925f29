using System;

namespace FusedLayers;

/// <summary>
/// Options shared by <see cref="BatchNorm1dAttribute"/> and <see cref="BatchNorm2dAttribute"/>, with
/// PyTorch's names and defaults. In training the batch statistics normalise (biased variance) and the
/// running statistics are updated (<c>running = (1 - momentum) * running + momentum * batch</c>, unbiased
/// variance); in inference the running statistics are used.
/// </summary>
public abstract class BatchNormAttribute : Attribute
{
    /// <summary>Creates the options for <paramref name="numFeatures"/> channels.</summary>
    /// <param name="numFeatures">Number of channels <c>C</c> (<c>num_features</c>).</param>
    protected BatchNormAttribute(int numFeatures) => NumFeatures = numFeatures;

    /// <summary>Number of channels <c>C</c> (<c>num_features</c>).</summary>
    public int NumFeatures { get; }

    /// <summary>Added to the variance for numerical stability (<c>eps</c>, default 1e-5).</summary>
    public double Eps { get; set; } = 1e-5;

    /// <summary>Weight of the new batch statistic in the running average (<c>momentum</c>, default 0.1).</summary>
    public double Momentum { get; set; } = 0.1;

    /// <summary>
    /// PyTorch's <c>momentum=None</c>: the running statistics are a cumulative (simple) average over all
    /// batches seen, using <c>num_batches_tracked</c>. Contradicts an explicit <see cref="Momentum"/>.
    /// </summary>
    public bool CumulativeAverage { get; set; }

    /// <summary>Whether the layer has learnable <c>weight</c> (gamma) and <c>bias</c> (beta) (<c>affine</c>, default true).</summary>
    public bool Affine { get; set; } = true;

    /// <summary>
    /// Whether running statistics are kept (<c>track_running_stats</c>, default true). When false the
    /// batch statistics are used in inference as well.
    /// </summary>
    public bool TrackRunningStats { get; set; } = true;
}

/// <summary>
/// Batch normalisation over <c>[N, C]</c> or <c>[N, C, L]</c> inputs, as PyTorch's <c>nn.BatchNorm1d</c>.
/// The property must be of type <see cref="BatchNorm1dLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class BatchNorm1dAttribute : BatchNormAttribute
{
    /// <summary>Declares a 1-D batch normalisation over <paramref name="numFeatures"/> channels.</summary>
    /// <param name="numFeatures">Number of channels <c>C</c> (<c>num_features</c>).</param>
    public BatchNorm1dAttribute(int numFeatures)
        : base(numFeatures)
    {
    }
}

/// <summary>
/// Batch normalisation over <c>[N, C, H, W]</c> inputs, as PyTorch's <c>nn.BatchNorm2d</c>.
/// The property must be of type <see cref="BatchNorm2dLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class BatchNorm2dAttribute : BatchNormAttribute
{
    /// <summary>Declares a 2-D batch normalisation over <paramref name="numFeatures"/> channels.</summary>
    /// <param name="numFeatures">Number of channels <c>C</c> (<c>num_features</c>).</param>
    public BatchNorm2dAttribute(int numFeatures)
        : base(numFeatures)
    {
    }
}
