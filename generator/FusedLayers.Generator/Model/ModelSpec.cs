using FusedLayers.Generator.Helpers;

namespace FusedLayers.Generator.Model;

/// <summary>
/// Everything the generator needs from one <c>[FusedModel]</c> class, copied out of Roslyn's symbols as
/// plain values. Value-equatable: an unrelated edit produces an equal spec and the rest is cached.
/// </summary>
internal sealed record ModelSpec
{
    /// <summary>Namespace, empty for the global namespace.</summary>
    public string Namespace { get; init; } = "";

    public string ClassName { get; init; } = "";

    /// <summary>Metadata name used for the hint name, e.g. <c>Samples.Net</c>.</summary>
    public string MetadataName { get; init; } = "";

    public bool IsPartial { get; init; }

    public bool IsNested { get; init; }

    public bool IsGeneric { get; init; }

    public bool IsStatic { get; init; }

    public bool IsRecord { get; init; }

    /// <summary>A second declaration that also carries <c>[FusedModel]</c> (CS0579); it emits nothing.</summary>
    public bool IsDuplicate { get; init; }

    /// <summary>True when the user declared an instance constructor (then the generator adds none).</summary>
    public bool HasUserConstructors { get; init; }

    /// <summary>Per-sample input shape; empty when missing.</summary>
    public EquatableArray<int> InputShape { get; init; } = EquatableArray<int>.Empty;

    public bool InputShapeSpecified { get; init; }

    public LocationInfo? ModelAttributeLocation { get; init; }

    public LocationInfo? ClassLocation { get; init; }

    /// <summary>Layers in declaration order.</summary>
    public EquatableArray<LayerSpec> Layers { get; init; } = EquatableArray<LayerSpec>.Empty;
}
