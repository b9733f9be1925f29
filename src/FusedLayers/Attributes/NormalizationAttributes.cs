using System;

namespace FusedLayers;

/// <summary>
/// Layer normalisation, as PyTorch's <c>nn.LayerNorm(normalized_shape, eps=1e-05, elementwise_affine=True, bias=True)</c>:
/// the trailing dimensions of each sample must equal <c>normalized_shape</c>, and every slice over them is
/// normalised with its own mean and biased variance, then scaled and shifted element-wise by <c>weight</c>
/// and <c>bias</c> (shaped <c>normalized_shape</c>). Training and inference are identical. Takes the
/// normalisation slot of a kernel (after an optional Conv2d or Linear, before an optional activation).
/// The property must be of type <see cref="LayerNormLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class LayerNormAttribute : Attribute
{
    /// <summary>Declares a layer normalisation over the trailing dimensions <paramref name="normalizedShape"/>.</summary>
    /// <param name="normalizedShape">The trailing per-sample dimensions normalised over (<c>normalized_shape</c>).</param>
    public LayerNormAttribute(params int[] normalizedShape) => NormalizedShape = normalizedShape ?? [];

    /// <summary>The trailing per-sample dimensions normalised over (<c>normalized_shape</c>).</summary>
    public int[] NormalizedShape { get; }

    /// <summary>Added to the variance for numerical stability (<c>eps</c>, default 1e-5).</summary>
    public double Eps { get; set; } = 1e-5;

    /// <summary>Whether the layer has a learnable element-wise <c>weight</c> (and <c>bias</c>) (<c>elementwise_affine</c>, default true).</summary>
    public bool ElementwiseAffine { get; set; } = true;

    /// <summary>Whether the layer has a learnable <c>bias</c> when <see cref="ElementwiseAffine"/> is set (<c>bias</c>, default true).</summary>
    public bool Bias { get; set; } = true;
}

/// <summary>
/// Group normalisation, as PyTorch's <c>nn.GroupNorm(num_groups, num_channels, eps=1e-05, affine=True)</c>: the
/// <c>C</c> channels of each sample are split into <c>num_groups</c> groups of consecutive channels, and every
/// (sample, group) is normalised with its own mean and biased variance, then scaled and shifted per channel.
/// Training and inference are identical. The property must be of type <see cref="GroupNormLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class GroupNormAttribute : Attribute
{
    /// <summary>Declares a group normalisation of <paramref name="numChannels"/> channels in <paramref name="numGroups"/> groups.</summary>
    /// <param name="numGroups">Number of groups (<c>num_groups</c>); must divide <paramref name="numChannels"/>.</param>
    /// <param name="numChannels">Number of channels <c>C</c> (<c>num_channels</c>).</param>
    public GroupNormAttribute(int numGroups, int numChannels)
    {
        NumGroups = numGroups;
        NumChannels = numChannels;
    }

    /// <summary>Number of groups (<c>num_groups</c>).</summary>
    public int NumGroups { get; }

    /// <summary>Number of channels <c>C</c> (<c>num_channels</c>).</summary>
    public int NumChannels { get; }

    /// <summary>Added to the variance for numerical stability (<c>eps</c>, default 1e-5).</summary>
    public double Eps { get; set; } = 1e-5;

    /// <summary>Whether the layer has a learnable per-channel <c>weight</c> and <c>bias</c> (<c>affine</c>, default true).</summary>
    public bool Affine { get; set; } = true;
}

/// <summary>
/// Options shared by <see cref="InstanceNorm1dAttribute"/> and <see cref="InstanceNorm2dAttribute"/>, with
/// PyTorch's names and defaults: every (sample, channel) plane is normalised with its own mean and biased
/// variance. With <see cref="TrackRunningStats"/> the running statistics are updated in training (PyTorch's
/// average of per-instance updates, unbiased variance) and used in inference; <c>num_batches_tracked</c> exists
/// but, as in PyTorch, never advances.
/// </summary>
public abstract class InstanceNormAttribute : Attribute
{
    /// <summary>Creates the options for <paramref name="numFeatures"/> channels.</summary>
    /// <param name="numFeatures">Number of channels <c>C</c> (<c>num_features</c>).</param>
    protected InstanceNormAttribute(int numFeatures) => NumFeatures = numFeatures;

    /// <summary>Number of channels <c>C</c> (<c>num_features</c>).</summary>
    public int NumFeatures { get; }

    /// <summary>Added to the variance for numerical stability (<c>eps</c>, default 1e-5).</summary>
    public double Eps { get; set; } = 1e-5;

    /// <summary>Weight of the new statistic in the running average (<c>momentum</c>, default 0.1); only with <see cref="TrackRunningStats"/>.</summary>
    public double Momentum { get; set; } = 0.1;

    /// <summary>Whether the layer has a learnable per-channel <c>weight</c> and <c>bias</c> (<c>affine</c>, default false).</summary>
    public bool Affine { get; set; }

    /// <summary>Whether running statistics are kept and used in inference (<c>track_running_stats</c>, default false).</summary>
    public bool TrackRunningStats { get; set; }
}

/// <summary>
/// Instance normalisation over <c>[C, L]</c> samples, as PyTorch's <c>nn.InstanceNorm1d</c>.
/// The property must be of type <see cref="InstanceNorm1dLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class InstanceNorm1dAttribute : InstanceNormAttribute
{
    /// <summary>Declares a 1-D instance normalisation over <paramref name="numFeatures"/> channels.</summary>
    /// <param name="numFeatures">Number of channels <c>C</c> (<c>num_features</c>).</param>
    public InstanceNorm1dAttribute(int numFeatures)
        : base(numFeatures)
    {
    }
}

/// <summary>
/// Instance normalisation over <c>[C, H, W]</c> samples, as PyTorch's <c>nn.InstanceNorm2d</c>.
/// The property must be of type <see cref="InstanceNorm2dLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class InstanceNorm2dAttribute : InstanceNormAttribute
{
    /// <summary>Declares a 2-D instance normalisation over <paramref name="numFeatures"/> channels.</summary>
    /// <param name="numFeatures">Number of channels <c>C</c> (<c>num_features</c>).</param>
    public InstanceNorm2dAttribute(int numFeatures)
        : base(numFeatures)
    {
    }
}

/// <summary>
/// Options shared by <see cref="BatchRenorm1dAttribute"/> and <see cref="BatchRenorm2dAttribute"/>: batch
/// renormalisation (Ioffe 2017), which PyTorch does not have. Training normalises with the batch statistics
/// corrected towards the moving averages, <c>xhat = (x - mu_B) / sigma_B * r + d</c> with
/// <c>r = clip(sigma_B / sigma, 1 / r_max, r_max)</c> and <c>d = clip((mu_B - mu) / sigma, -d_max, d_max)</c>;
/// inference uses the moving averages <c>mu</c> (<c>running_mean</c>) and <c>sigma</c> (<c>running_std</c>).
/// At <c>r_max = 1</c>, <c>d_max = 0</c> (the defaults) training is exactly BatchNorm's. The bounds can be
/// relaxed between steps through <see cref="BatchRenormLayer.RMax"/> and <see cref="BatchRenormLayer.DMax"/>.
/// </summary>
public abstract class BatchRenormAttribute : Attribute
{
    /// <summary>Creates the options for <paramref name="numFeatures"/> channels.</summary>
    /// <param name="numFeatures">Number of channels <c>C</c>.</param>
    protected BatchRenormAttribute(int numFeatures) => NumFeatures = numFeatures;

    /// <summary>Number of channels <c>C</c>.</summary>
    public int NumFeatures { get; }

    /// <summary>Added to the batch variance for numerical stability (default 1e-5).</summary>
    public double Eps { get; set; } = 1e-5;

    /// <summary>Moving-average update rate, the paper's alpha (default 0.01): <c>mu += momentum * (mu_B - mu)</c>, likewise sigma.</summary>
    public double Momentum { get; set; } = 0.01;

    /// <summary>Whether the layer has learnable gamma (<c>weight</c>) and beta (<c>bias</c>) (default true).</summary>
    public bool Affine { get; set; } = true;

    /// <summary>Initial <c>r_max</c>, at least 1 (default 1).</summary>
    public double RMax { get; set; } = 1.0;

    /// <summary>Initial <c>d_max</c>, at least 0 (default 0).</summary>
    public double DMax { get; set; }
}

/// <summary>
/// Batch renormalisation over <c>[C]</c> or <c>[C, L]</c> samples. The property must be of type <see cref="BatchRenormLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class BatchRenorm1dAttribute : BatchRenormAttribute
{
    /// <summary>Declares a 1-D batch renormalisation over <paramref name="numFeatures"/> channels.</summary>
    /// <param name="numFeatures">Number of channels <c>C</c>.</param>
    public BatchRenorm1dAttribute(int numFeatures)
        : base(numFeatures)
    {
    }
}

/// <summary>
/// Batch renormalisation over <c>[C, H, W]</c> samples. The property must be of type <see cref="BatchRenormLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class BatchRenorm2dAttribute : BatchRenormAttribute
{
    /// <summary>Declares a 2-D batch renormalisation over <paramref name="numFeatures"/> channels.</summary>
    /// <param name="numFeatures">Number of channels <c>C</c>.</param>
    public BatchRenorm2dAttribute(int numFeatures)
        : base(numFeatures)
    {
    }
}
