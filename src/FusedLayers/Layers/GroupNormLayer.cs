using System;
using System.Collections.Generic;

namespace FusedLayers;

/// <summary>
/// State of a <see cref="GroupNormAttribute"/> layer: with affine, per-channel <c>weight</c> (ones) and
/// <c>bias</c> (zeros), as PyTorch. No buffers.
/// </summary>
public sealed class GroupNormLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="name">Layer name, the prefix of the state-dict keys.</param>
    /// <param name="numGroups">Groups.</param>
    /// <param name="numChannels">Channels, a multiple of <paramref name="numGroups"/>.</param>
    /// <param name="eps">Variance epsilon.</param>
    /// <param name="affine">Whether weight and bias exist.</param>
    /// <exception cref="ArgumentException"><paramref name="numChannels"/> is not divisible by <paramref name="numGroups"/>.</exception>
    public GroupNormLayer(string name, int numGroups, int numChannels, double eps, bool affine)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numGroups);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numChannels);
        if (numChannels % numGroups != 0)
        {
            throw new ArgumentException($"{name}: num_channels ({numChannels}) must be divisible by num_groups ({numGroups}).", nameof(numChannels));
        }

        Name = name;
        NumGroups = numGroups;
        NumChannels = numChannels;
        Eps = eps;
        Weight = affine ? new Parameter(name + ".weight", numChannels) : null;
        Bias = affine ? new Parameter(name + ".bias", numChannels) : null;
        ResetParameters();
    }

    /// <summary>Layer name.</summary>
    public string Name { get; }

    /// <summary>Groups.</summary>
    public int NumGroups { get; }

    /// <summary>Channels.</summary>
    public int NumChannels { get; }

    /// <summary>Variance epsilon.</summary>
    public double Eps { get; }

    /// <summary>Whether weight and bias exist.</summary>
    public bool Affine => Weight is not null;

    /// <summary>Weight, <c>[C]</c>, or null when not affine.</summary>
    public Parameter? Weight { get; }

    /// <summary>Bias, <c>[C]</c>, or null when not affine.</summary>
    public Parameter? Bias { get; }

    /// <summary>Weight and bias, in state-dict order.</summary>
    public IEnumerable<Parameter> Parameters()
    {
        if (Weight is not null && Bias is not null)
        {
            yield return Weight;
            yield return Bias;
        }
    }

    /// <summary>Weight to ones and bias to zeros.</summary>
    public void ResetParameters()
    {
        if (Weight is not null && Bias is not null)
        {
            Array.Fill(Weight.Data, 1f);
            Array.Clear(Bias.Data);
        }
    }
}
