using System;

namespace FusedLayers;

/// <summary>
/// A 2-D convolution, as PyTorch's <c>nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
/// dilation=1, groups=1, bias=True)</c>. Input per sample <c>[in_channels, H, W]</c>, output
/// <c>[out_channels, H_out, W_out]</c> with <c>H_out = floor((H + 2*padding - dilation*(kernel_size - 1) - 1) / stride) + 1</c>;
/// the weight is <c>[out_channels, in_channels / groups, k, k]</c> (depthwise when groups = in_channels). The property must be of type <see cref="Conv2dLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class Conv2dAttribute : Attribute
{
    /// <summary>Declares a convolution; set <see cref="KernelSize"/> as a named argument.</summary>
    /// <param name="inChannels">Channels of the input (<c>in_channels</c>).</param>
    /// <param name="outChannels">Channels of the output (<c>out_channels</c>).</param>
    public Conv2dAttribute(int inChannels, int outChannels)
    {
        InChannels = inChannels;
        OutChannels = outChannels;
    }

    /// <summary>Declares a convolution with a square kernel.</summary>
    /// <param name="inChannels">Channels of the input (<c>in_channels</c>).</param>
    /// <param name="outChannels">Channels of the output (<c>out_channels</c>).</param>
    /// <param name="kernelSize">Side of the square kernel (<c>kernel_size</c>).</param>
    public Conv2dAttribute(int inChannels, int outChannels, int kernelSize)
        : this(inChannels, outChannels)
    {
        KernelSize = kernelSize;
    }

    /// <summary>Channels of the input (<c>in_channels</c>).</summary>
    public int InChannels { get; }

    /// <summary>Channels of the output (<c>out_channels</c>).</summary>
    public int OutChannels { get; }

    /// <summary>Side of the square kernel (<c>kernel_size</c>); required.</summary>
    public int KernelSize { get; set; }

    /// <summary>Stride in both directions (<c>stride</c>, default 1).</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Zero padding on every side (<c>padding</c>, default 0).</summary>
    public int Padding { get; set; }

    /// <summary>Spacing between kernel taps (<c>dilation</c>, default 1).</summary>
    public int Dilation { get; set; } = 1;

    /// <summary>Channel groups (<c>groups</c>, default 1); must divide both channel counts. Equal to the input channels: depthwise.</summary>
    public int Groups { get; set; } = 1;

    /// <summary>
    /// How this convolution is computed (default <see cref="ConvAlgorithm.Auto"/>: the shared rule decides, as for every
    /// layer). A Winograd variant applies only to 3x3, stride-1, dilation-1, ungrouped convolutions (FL0121 otherwise)
    /// and runs on the AVX-512 and AVX2 paths (the scalar path is direct). A model-wide
    /// <see cref="ExecutionOptions.ConvAlgorithm"/> other than <c>Auto</c> overrides it.
    /// </summary>
    public ConvAlgorithm Algorithm { get; set; }

    /// <summary>Whether the layer has a learnable bias (<c>bias</c>, default true).</summary>
    public bool Bias { get; set; } = true;
}
