namespace FusedLayers.Generator;

/// <summary>Names of the tracked pipeline steps, used by the caching tests.</summary>
internal static class TrackingNames
{
    /// <summary>Attribute discovery: syntax + semantic model to <see cref="Model.ModelSpec"/>.</summary>
    public const string Discover = nameof(Discover);

    /// <summary>Validation and shape inference.</summary>
    public const string Validate = nameof(Validate);

    /// <summary>The fusion plan of a valid model.</summary>
    public const string Plan = nameof(Plan);

    /// <summary>The generated source text.</summary>
    public const string Emit = nameof(Emit);

    /// <summary>Discovery of a [FusedBlock] class (its own generated part).</summary>
    public const string DiscoverBlock = nameof(DiscoverBlock);

    /// <summary>The generated part of a [FusedBlock] class.</summary>
    public const string EmitBlock = nameof(EmitBlock);
}
