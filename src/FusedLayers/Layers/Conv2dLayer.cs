using System;
using System.Collections.Generic;

namespace FusedLayers;

/// <summary>
/// State of a <see cref="Conv2dAttribute"/> layer: <c>weight</c> of shape
/// <c>[out_channels, in_channels / groups, k, k]</c> and an optional <c>bias</c> of shape <c>[out_channels]</c>.
/// </summary>
public sealed class Conv2dLayer
{
    /// <summary>Creates the layer with PyTorch's default initialisation drawn from <paramref name="seed"/>.</summary>
    /// <param name="name">Layer name (the property name), the prefix of the state-dict keys.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernelSize">Kernel side.</param>
    /// <param name="stride">Stride.</param>
    /// <param name="padding">Zero padding.</param>
    /// <param name="bias">Whether there is a bias.</param>
    /// <param name="seed">Seed of the initialisation.</param>
    public Conv2dLayer(string name, int inChannels, int outChannels, int kernelSize, int stride, int padding, bool bias, int seed)
        : this(name, inChannels, outChannels, kernelSize, stride, padding, 1, 1, bias, seed)
    {
    }

    /// <summary>Creates a dilated and/or grouped convolution with PyTorch's default initialisation drawn from <paramref name="seed"/>.</summary>
    /// <param name="name">Layer name (the property name), the prefix of the state-dict keys.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernelSize">Kernel side.</param>
    /// <param name="stride">Stride.</param>
    /// <param name="padding">Zero padding.</param>
    /// <param name="dilation">Spacing between kernel taps.</param>
    /// <param name="groups">Channel groups; must divide both channel counts.</param>
    /// <param name="bias">Whether there is a bias.</param>
    /// <param name="seed">Seed of the initialisation.</param>
    public Conv2dLayer(string name, int inChannels, int outChannels, int kernelSize, int stride, int padding, int dilation, int groups, bool bias, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dilation);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(groups);
        if (inChannels % groups != 0 || outChannels % groups != 0)
        {
            throw new ArgumentException($"{name}: groups = {groups} must divide in_channels = {inChannels} and out_channels = {outChannels}.", nameof(groups));
        }

        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inChannels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outChannels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kernelSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stride);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        Name = name;
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
        Groups = groups;
        Weight = new Parameter(name + ".weight", outChannels, inChannels / groups, kernelSize, kernelSize);
        Bias = bias ? new Parameter(name + ".bias", outChannels) : null;
        ResetParameters(seed);
    }

    /// <summary>Layer name.</summary>
    public string Name { get; }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Kernel side.</summary>
    public int KernelSize { get; }

    /// <summary>Stride.</summary>
    public int Stride { get; }

    /// <summary>Zero padding.</summary>
    public int Padding { get; }

    /// <summary>Spacing between kernel taps.</summary>
    public int Dilation { get; }

    /// <summary>Channel groups.</summary>
    public int Groups { get; }

    /// <summary>Weight, <c>[out_channels, in_channels / groups, k, k]</c>.</summary>
    public Parameter Weight { get; }

    /// <summary>Bias, <c>[out_channels]</c>, or null when the layer has none.</summary>
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

    /// <summary>
    /// PyTorch's default initialisation: <c>kaiming_uniform_(a=sqrt(5))</c> for the weight, which is
    /// <c>U(-1/sqrt(fan_in), 1/sqrt(fan_in))</c>, and the same bound for the bias.
    /// </summary>
    /// <param name="seed">Seed of the initialisation.</param>
    public void ResetParameters(int seed) =>
        ParameterInitializer.KaimingUniform(Weight, Bias, InChannels / Groups * KernelSize * KernelSize, seed);
}
