using FusedLayers.Generator.Helpers;

namespace FusedLayers.Generator.Model;

/// <summary>
/// One <c>[Block(typeof(X))]</c> property, as discovered: what the model needs to hand the block instance its layers,
/// and what went wrong (reported in validation). Value-equatable.
/// </summary>
internal sealed record BlockUseSpec
{
    /// <summary>Flat name: the property name, prefixed by the enclosing uses' names (<c>Outer_Inner</c>).</summary>
    public string Name { get; init; } = "";

    /// <summary>The property's name as written in its class.</summary>
    public string LocalName { get; init; } = "";

    /// <summary>Flat name of the enclosing block use, empty when the model declares it.</summary>
    public string Parent { get; init; } = "";

    /// <summary>Fully qualified block class (<c>global::N.BasicBlock</c>); empty when <c>typeof</c> named nothing usable.</summary>
    public string BlockType { get; init; } = "";

    /// <summary>Fully qualified type of the property as declared.</summary>
    public string PropertyType { get; init; } = "";

    /// <summary>Accessibility modifiers as written.</summary>
    public string Modifiers { get; init; } = "";

    public bool IsPartial { get; init; }

    /// <summary>A setter, a body or a static property: not a declaration the generator can implement.</summary>
    public bool IsMalformed { get; init; }

    /// <summary>Flat names of the block's direct members (layers and nested uses), in the block class's declaration order.</summary>
    public EquatableArray<string> Members { get; init; } = EquatableArray<string>.Empty;

    /// <summary>Set when the use is invalid: the diagnostic ID (FL0011, FL0012, FL0013).</summary>
    public string ProblemId { get; init; } = "";

    /// <summary>The message arguments after the use's name.</summary>
    public string Problem { get; init; } = "";

    /// <summary>Location of the <c>[Block]</c> attribute.</summary>
    public LocationInfo? AttributeLocation { get; init; }

    /// <summary>Location of the property's name.</summary>
    public LocationInfo? PropertyLocation { get; init; }
}
