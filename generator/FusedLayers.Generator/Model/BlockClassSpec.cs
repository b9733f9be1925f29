using FusedLayers.Generator.Helpers;

namespace FusedLayers.Generator.Model;

/// <summary>A <c>[FusedBlock]</c> class: what its generated part needs (its members' names and types). Value-equatable.</summary>
internal sealed record BlockClassSpec
{
    public string Namespace { get; init; } = "";

    public string ClassName { get; init; } = "";

    /// <summary>Metadata name used for the hint name.</summary>
    public string MetadataName { get; init; } = "";

    /// <summary>Why the class cannot take a generated part (FL0023), empty when it can.</summary>
    public string Problem { get; init; } = "";

    public LocationInfo? ClassLocation { get; init; }

    /// <summary>Layer and block-use properties in declaration order.</summary>
    public EquatableArray<BlockMemberSpec> Members { get; init; } = EquatableArray<BlockMemberSpec>.Empty;
}

/// <summary>One layer or block-use property of a block class.</summary>
/// <param name="Name">The property name.</param>
/// <param name="PropertyType">Fully qualified type as declared.</param>
/// <param name="Modifiers">Accessibility modifiers as written.</param>
/// <param name="Implementable">A partial, non-static, get-only declaration without a body (else no part is generated for it).</param>
internal sealed record BlockMemberSpec(string Name, string PropertyType, string Modifiers, bool Implementable);
