using System;

namespace FusedLayers;

/// <summary>A <see cref="ReLUAttribute"/> layer; it has no state.</summary>
public sealed class ReLULayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="name">Layer name.</param>
    public ReLULayer(string name) => Name = name ?? throw new ArgumentNullException(nameof(name));

    /// <summary>Layer name.</summary>
    public string Name { get; }
}

/// <summary>A <see cref="FlattenAttribute"/> layer; it has no state and moves no data.</summary>
public sealed class FlattenLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="name">Layer name.</param>
    public FlattenLayer(string name) => Name = name ?? throw new ArgumentNullException(nameof(name));

    /// <summary>Layer name.</summary>
    public string Name { get; }
}

/// <summary>
/// A layer of one of the activation attributes other than ReLU (<see cref="LeakyReLUAttribute"/>,
/// <see cref="ReLU6Attribute"/>, <see cref="SiLUAttribute"/>, <see cref="GELUAttribute"/>,
/// <see cref="SigmoidAttribute"/>, <see cref="TanhAttribute"/>, <see cref="HardswishAttribute"/>,
/// <see cref="MishAttribute"/>); it has no state.
/// </summary>
public sealed class ActivationLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="name">Layer name.</param>
    /// <param name="activation">The activation it applies.</param>
    public ActivationLayer(string name, Kernels.Activation activation)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        Activation = activation;
    }

    /// <summary>Layer name.</summary>
    public string Name { get; }

    /// <summary>The activation it applies (kind, and LeakyReLU's negative slope).</summary>
    public Kernels.Activation Activation { get; }
}
