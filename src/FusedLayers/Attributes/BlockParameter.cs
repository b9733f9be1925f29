namespace FusedLayers;

/// <summary>
/// Placeholders for integer layer arguments inside a <see cref="FusedBlockAttribute"/> block, replaced at build time
/// by each use's value. They are negative, so no real argument is mistaken for one; outside a block they are
/// invalid arguments like any other negative number.
/// </summary>
public static class BlockParameter
{
    /// <summary>
    /// The channels (or features) of the layer's incoming shape: <c>in_channels</c> of a Conv2d,
    /// <c>in_features</c> of a Linear, <c>num_features</c> of a BatchNorm.
    /// </summary>
    public const int Inferred = -1;

    /// <summary>The use site's <see cref="BlockAttribute.Planes"/>.</summary>
    public const int Planes = -2;

    /// <summary>The use site's <see cref="BlockAttribute.Stride"/>.</summary>
    public const int Stride = -3;
}
