using System;

namespace FusedLayers;

/// <summary>A <see cref="MaxPool2dAttribute"/> layer; it has no state.</summary>
public sealed class MaxPool2dLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="name">Layer name.</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Step between windows.</param>
    /// <param name="padding">Padding on each side.</param>
    public MaxPool2dLayer(string name, int kernelSize, int stride, int padding)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
    }

    /// <summary>Layer name.</summary>
    public string Name { get; }

    /// <summary>Window size.</summary>
    public int KernelSize { get; }

    /// <summary>Step between windows.</summary>
    public int Stride { get; }

    /// <summary>Padding on each side.</summary>
    public int Padding { get; }
}

/// <summary>An <see cref="AvgPool2dAttribute"/> layer; it has no state.</summary>
public sealed class AvgPool2dLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="name">Layer name.</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Step between windows.</param>
    /// <param name="padding">Padding on each side.</param>
    /// <param name="countIncludePad">Whether padded zeros count in the divisor.</param>
    public AvgPool2dLayer(string name, int kernelSize, int stride, int padding, bool countIncludePad)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        CountIncludePad = countIncludePad;
    }

    /// <summary>Layer name.</summary>
    public string Name { get; }

    /// <summary>Window size.</summary>
    public int KernelSize { get; }

    /// <summary>Step between windows.</summary>
    public int Stride { get; }

    /// <summary>Padding on each side.</summary>
    public int Padding { get; }

    /// <summary>Whether padded zeros count in the divisor.</summary>
    public bool CountIncludePad { get; }
}

/// <summary>An <see cref="AdaptiveAvgPool2dAttribute"/> layer (global average pooling); it has no state.</summary>
public sealed class AdaptiveAvgPool2dLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="name">Layer name.</param>
    public AdaptiveAvgPool2dLayer(string name) => Name = name ?? throw new ArgumentNullException(nameof(name));

    /// <summary>Layer name.</summary>
    public string Name { get; }
}
