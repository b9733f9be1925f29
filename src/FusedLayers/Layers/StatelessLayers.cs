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
