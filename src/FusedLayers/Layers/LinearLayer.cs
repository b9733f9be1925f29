using System;
using System.Collections.Generic;

namespace FusedLayers;

/// <summary>
/// State of a <see cref="LinearAttribute"/> layer: <c>weight</c> of shape <c>[out_features, in_features]</c>
/// and an optional <c>bias</c> of shape <c>[out_features]</c>.
/// </summary>
public sealed class LinearLayer
{
    /// <summary>Creates the layer with PyTorch's default initialisation drawn from <paramref name="seed"/>.</summary>
    /// <param name="name">Layer name, the prefix of the state-dict keys.</param>
    /// <param name="inFeatures">Input features.</param>
    /// <param name="outFeatures">Output features.</param>
    /// <param name="bias">Whether there is a bias.</param>
    /// <param name="seed">Seed of the initialisation.</param>
    public LinearLayer(string name, int inFeatures, int outFeatures, bool bias, int seed)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outFeatures);
        Name = name;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = new Parameter(name + ".weight", outFeatures, inFeatures);
        Bias = bias ? new Parameter(name + ".bias", outFeatures) : null;
        ResetParameters(seed);
    }

    /// <summary>Layer name.</summary>
    public string Name { get; }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>Weight, <c>[out_features, in_features]</c>.</summary>
    public Parameter Weight { get; }

    /// <summary>Bias, <c>[out_features]</c>, or null when the layer has none.</summary>
    public Parameter? Bias { get; }

    /// <summary>Weight and bias, in state-dict order.</summary>
    public IEnumerable<Parameter> Parameters()
    {
        yield return Weight;
        if (Bias is not null)
        {
            yield return Bias;
        }
    }

    /// <summary>PyTorch's default initialisation, <c>U(-1/sqrt(in_features), 1/sqrt(in_features))</c> for weight and bias.</summary>
    /// <param name="seed">Seed of the initialisation.</param>
    public void ResetParameters(int seed) => ParameterInitializer.KaimingUniform(Weight, Bias, InFeatures, seed);
}
