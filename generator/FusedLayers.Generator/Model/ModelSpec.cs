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

    /// <summary>The declaration keyword: <c>class</c>, <c>record</c> or <c>record struct</c>.</summary>
    public string TypeKeyword { get; init; } = "class";

    /// <summary>The class derives from a class other than <see cref="object"/> (which may be another model).</summary>
    public bool HasBaseClass { get; init; }

    /// <summary>A <c>file</c>-local class: generated code lives in another file and cannot extend it (FL0002).</summary>
    public bool IsFileLocal { get; init; }

    /// <summary>Type parameters as written after the class name (<c>&lt;T&gt;</c>), empty when not generic; used by stubs only.</summary>
    public string TypeParameterList { get; init; } = "";

    /// <summary>
    /// Declarations of the containing types, outermost first (<c>partial class Outer</c>), for the stubs of a
    /// nested model; empty when a containing type is not partial (then nothing can be generated).
    /// </summary>
    public EquatableArray<string> ContainingTypes { get; init; } = EquatableArray<string>.Empty;

    /// <summary>User members whose names the generated model needs (FL0009).</summary>
    public EquatableArray<Discovery.MemberCollision> Collisions { get; init; } = EquatableArray<Discovery.MemberCollision>.Empty;

    /// <summary>A second declaration that also carries <c>[FusedModel]</c> (CS0579); it emits nothing.</summary>
    public bool IsDuplicate { get; init; }

    /// <summary>Set when discovery itself failed (reported as FL0099; nothing is generated).</summary>
    public string? DiscoveryFailure { get; init; }

    /// <summary>The class declares layers but has no <c>[FusedModel]</c> (FL0010).</summary>
    public bool MissingModelAttribute { get; init; }

    /// <summary>The user declared <c>ToString()</c>; then the generated model does not override it (Summary() stays).</summary>
    public bool HasUserToString { get; init; }

    /// <summary>True when the user declared an instance constructor (then the generator adds none).</summary>
    public bool HasUserConstructors { get; init; }

    /// <summary>Per-sample input shape; empty when missing.</summary>
    public EquatableArray<int> InputShape { get; init; } = EquatableArray<int>.Empty;

    public bool InputShapeSpecified { get; init; }

    public LocationInfo? ModelAttributeLocation { get; init; }

    public LocationInfo? ClassLocation { get; init; }

    /// <summary>Block uses (<c>[Block(typeof(X))]</c>), the model's own first, then nested ones; their layers are in <see cref="Layers"/>.</summary>
    public EquatableArray<BlockUseSpec> BlockUses { get; init; } = EquatableArray<BlockUseSpec>.Empty;

    /// <summary>Layers in declaration order, block uses expanded in place.</summary>
    public EquatableArray<LayerSpec> Layers { get; init; } = EquatableArray<LayerSpec>.Empty;
}
