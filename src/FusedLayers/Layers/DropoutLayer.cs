using System;
using System.Globalization;

namespace FusedLayers;

/// <summary>
/// A <see cref="DropoutAttribute"/> layer. Its mask for a training forward is a pure function of
/// (<see cref="Seed"/>, <see cref="Step"/>, element index) (<see cref="Kernels.DropoutMask"/>), and
/// <see cref="Step"/> advances by one after every successful training forward, so a run is reproducible and
/// two runs with the same seed see the same masks on every ISA path and thread count.
/// </summary>
public sealed class DropoutLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="name">Layer name.</param>
    /// <param name="p">Probability of zeroing an element.</param>
    /// <param name="seed">Mask seed.</param>
    public DropoutLayer(string name, double p, ulong seed)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        Kernels.DropoutMask.CheckProbability(p);
        P = p;
        Seed = seed;
    }

    /// <summary>Layer name.</summary>
    public string Name { get; }

    /// <summary>Probability of zeroing an element.</summary>
    public double P { get; }

    /// <summary>The mask seed; set it (or call <see cref="Reseed"/>) to choose the mask sequence.</summary>
    public ulong Seed { get; set; }

    /// <summary>Training forwards completed since the last reseed; the next forward uses this step's mask.</summary>
    public ulong Step { get; set; }

    /// <summary>Sets <see cref="Seed"/> and restarts the mask sequence (<see cref="Step"/> = 0).</summary>
    /// <param name="seed">The new seed.</param>
    public void Reseed(ulong seed)
    {
        Seed = seed;
        Step = 0;
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name}: Dropout(p={P})");
}
