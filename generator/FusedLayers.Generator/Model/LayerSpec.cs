namespace FusedLayers.Generator.Model;

/// <summary>
/// One layer property as declared: its attribute's arguments copied out as plain values, plus the
/// facts about the property that validation needs. Value-equatable.
/// </summary>
internal sealed record LayerSpec
{
    public string Name { get; init; } = "";

    public LayerKind Kind { get; init; }

    /// <summary>Fully qualified type of the property as declared.</summary>
    public string PropertyType { get; init; } = "";

    /// <summary>Accessibility modifiers as written (<c>private</c>, <c>public</c>, ...), copied onto the implementation.</summary>
    public string Modifiers { get; init; } = "";

    public bool IsPartial { get; init; }

    public bool IsStatic { get; init; }

    public bool HasSetter { get; init; }

    /// <summary>Number of layer attributes on the property (more than one is an error).</summary>
    public int LayerAttributeCount { get; init; } = 1;

    /// <summary>Index of the partial class declaration that holds the property.</summary>
    public int DeclarationIndex { get; init; }

    /// <summary>Path of the file that declares the property.</summary>
    public string FilePath { get; init; } = "";

    /// <summary>Location of the layer attribute.</summary>
    public LocationInfo? AttributeLocation { get; init; }

    /// <summary>Location of the property's name.</summary>
    public LocationInfo? PropertyLocation { get; init; }

    // Conv2d (channels) and Linear (features: InChannels = in_features, OutChannels = out_features)
    public int InChannels { get; init; }

    public int OutChannels { get; init; }

    public int KernelSize { get; init; }

    public int Stride { get; init; } = 1;

    public int Padding { get; init; }

    public bool Bias { get; init; } = true;

    public int Dilation { get; init; } = 1;

    public int Groups { get; init; } = 1;

    /// <summary>Conv2d's <c>Algorithm</c> request: 0 auto, 1 direct, 2 Winograd F(2x2,3x3), 3 F(4x4,3x3) (the runtime's <c>ConvAlgorithm</c>).</summary>
    public int Algorithm { get; init; }

    // BatchNorm
    public int NumFeatures { get; init; }

    public double Eps { get; init; } = 1e-5;

    public double Momentum { get; init; } = 0.1;

    public bool MomentumExplicit { get; init; }

    public bool CumulativeAverage { get; init; }

    public bool Affine { get; init; } = true;

    public bool TrackRunningStats { get; init; } = true;

    // LayerNorm (Eps, Affine = elementwise_affine, Bias above), GroupNorm (NumFeatures = num_channels), BatchRenorm
    public Helpers.EquatableArray<int> NormalizedShape { get; init; } = Helpers.EquatableArray<int>.Empty;

    public int NumGroups { get; init; }

    public double RMax { get; init; } = 1.0;

    public double DMax { get; init; }

    // Pooling (KernelSize, Stride, Padding above) and dropout
    public bool CountIncludePad { get; init; } = true;

    public int OutputSize { get; init; } = 1;

    public double P { get; init; } = 0.5;

    // Residual: the source layer's name, and the optional 1x1 conv + BN projection
    public string From { get; init; } = "";

    public bool Projection { get; init; }

    public int ProjectionStride { get; init; } = 1;

    /// <summary><c>AutoProjection</c>: the projection is decided in validation from the shapes (torchvision's downsample rule).</summary>
    public bool AutoProjection { get; init; }

    // Activations
    public double NegativeSlope { get; init; } = 0.01;

    /// <summary>GELU's <c>approximate</c>: "none" or "tanh" (anything else is reported).</summary>
    public string Approximate { get; init; } = "none";

    /// <summary>The <c>[StateName]</c> prefix of this layer's state-dict keys, with its block uses' prefixes; empty: <see cref="Name"/>.</summary>
    public string StateName { get; init; } = "";

    /// <summary>
    /// The block uses this layer was expanded from, outermost first, joined by '|' (their flat names); empty for a layer
    /// declared on the model itself. Such a layer has no property of its own: its block use's property exposes it.
    /// </summary>
    public string BlockPath { get; init; } = "";

    /// <summary>Name of the layer's property inside its block (the name written in the block class); <see cref="Name"/> otherwise.</summary>
    public string LocalName { get; init; } = "";

    /// <summary>Set by expansion when the layer's arguments cannot be taken from the use site (FL0122, FL0208): the message part.</summary>
    public string BlockProblem { get; init; } = "";

    /// <summary>The diagnostic ID of <see cref="BlockProblem"/>.</summary>
    public string BlockProblemId { get; init; } = "";

    /// <summary>The prefix of this layer's state-dict keys (<c>layer1.0.conv1</c>).</summary>
    public string StateKey => StateName.Length > 0 ? StateName : Name;

    /// <summary>True for a layer that came out of a block use (no property of its own).</summary>
    public bool InBlock => BlockPath.Length > 0;

    /// <summary>Location of a named argument by property name, when one was written (for argument diagnostics).</summary>
    public Helpers.EquatableArray<NamedArgumentLocation> ArgumentLocations { get; init; } = Helpers.EquatableArray<NamedArgumentLocation>.Empty;

    /// <summary>The location of argument <paramref name="name"/> if written, else the attribute's.</summary>
    public LocationInfo? LocationOf(string name)
    {
        foreach (NamedArgumentLocation argument in ArgumentLocations)
        {
            if (argument.Name == name)
            {
                return argument.Location;
            }
        }

        return AttributeLocation;
    }
}

/// <summary>Where one attribute argument (positional by parameter name, or named) was written.</summary>
internal sealed record NamedArgumentLocation(string Name, LocationInfo? Location);
