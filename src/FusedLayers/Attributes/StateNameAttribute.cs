using System;

namespace FusedLayers;

/// <summary>
/// The state-dict name of a layer or block use, in place of its property name: <c>[StateName("conv1")]</c> gives
/// <c>conv1.weight</c>, <c>[StateName("layer1.0")]</c> on a block use gives <c>layer1.0.conv1.weight</c>. Lets a
/// model read and write PyTorch checkpoints (torchvision's <c>resnet18</c>) whose names are not C# identifiers.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class StateNameAttribute : Attribute
{
    /// <summary>Names the layer <paramref name="name"/> in the state dict.</summary>
    /// <param name="name">Dot-separated, non-empty segments (<c>layer2.0.downsample</c>).</param>
    public StateNameAttribute(string name) => Name = name;

    /// <summary>The state-dict name.</summary>
    public string Name { get; }
}
