using System;

namespace FusedLayers;

/// <summary>
/// A fully connected layer, as PyTorch's <c>nn.Linear(in_features, out_features, bias=True)</c>:
/// <c>y = x W^T + b</c> with <c>W</c> of shape <c>[out_features, in_features]</c>. Input per sample
/// must be flat (<c>[in_features]</c>); put a <see cref="FlattenAttribute"/> layer before it after a convolution.
/// The property must be of type <see cref="LinearLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class LinearAttribute : Attribute
{
    /// <summary>Declares a fully connected layer.</summary>
    /// <param name="inFeatures">Size of each input sample (<c>in_features</c>).</param>
    /// <param name="outFeatures">Size of each output sample (<c>out_features</c>).</param>
    public LinearAttribute(int inFeatures, int outFeatures)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
    }

    /// <summary>Size of each input sample (<c>in_features</c>).</summary>
    public int InFeatures { get; }

    /// <summary>Size of each output sample (<c>out_features</c>).</summary>
    public int OutFeatures { get; }

    /// <summary>Whether the layer has a learnable bias (<c>bias</c>, default true).</summary>
    public bool Bias { get; set; } = true;
}
