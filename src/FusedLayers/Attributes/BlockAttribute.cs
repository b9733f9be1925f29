using System;

namespace FusedLayers;

/// <summary>
/// Uses a <see cref="FusedBlockAttribute"/> block at this point of a model (or of another block): the property's
/// type must be the block class, and its layers run here, in their declaration order, with
/// <see cref="BlockParameter"/> arguments taken from this use. The property returns the block instance, whose
/// layer properties are this use's layers. State-dict names are the use's name (its property name, or its
/// <see cref="StateNameAttribute"/>) + "." + the layer's name: <c>layer2.0.conv1.weight</c>.
/// </summary>
/// <example>
/// <code>
/// [Block(typeof(BasicBlock), Planes = 128, Stride = 2), StateName("layer2.0")]
/// public partial BasicBlock Layer2Block0 { get; }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class BlockAttribute : Attribute
{
    /// <summary>Uses the block class <paramref name="block"/>.</summary>
    /// <param name="block">A <c>partial</c> class marked <see cref="FusedBlockAttribute"/>.</param>
    public BlockAttribute(Type block) => Block = block;

    /// <summary>The block class.</summary>
    public Type Block { get; }

    /// <summary>The value of <see cref="BlockParameter.Planes"/> in the block's layers (torchvision's <c>planes</c>); 0 when not given.</summary>
    public int Planes { get; set; }

    /// <summary>The value of <see cref="BlockParameter.Stride"/> in the block's layers (default 1).</summary>
    public int Stride { get; set; } = 1;
}
