namespace FusedLayers.Generator.Model;

/// <summary>The layer types the generator knows.</summary>
internal enum LayerKind
{
    Conv2d,
    Linear,
    BatchNorm1d,
    BatchNorm2d,
    ReLU,
    Flatten,
}

/// <summary>Names tied to each <see cref="LayerKind"/>.</summary>
internal static class LayerKinds
{
    /// <summary>The runtime type a property with this layer's attribute must have.</summary>
    public static string RuntimeTypeName(LayerKind kind) => kind switch
    {
        LayerKind.Conv2d => "Conv2dLayer",
        LayerKind.Linear => "LinearLayer",
        LayerKind.BatchNorm1d => "BatchNorm1dLayer",
        LayerKind.BatchNorm2d => "BatchNorm2dLayer",
        LayerKind.ReLU => "ReLULayer",
        _ => "FlattenLayer",
    };

    /// <summary>The attribute's short name as a user writes it.</summary>
    public static string AttributeName(LayerKind kind) => kind.ToString();

    public static bool IsAnchor(LayerKind kind) => kind is LayerKind.Conv2d or LayerKind.Linear;

    public static bool IsBatchNorm(LayerKind kind) => kind is LayerKind.BatchNorm1d or LayerKind.BatchNorm2d;
}
