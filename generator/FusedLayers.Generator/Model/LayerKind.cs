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
    LeakyReLU,
    ReLU6,
    SiLU,
    GELU,
    Sigmoid,
    Tanh,
    Hardswish,
    Mish,
    MaxPool2d,
    AvgPool2d,
    AdaptiveAvgPool2d,
    Dropout,
    Residual,
    LayerNorm,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    BatchRenorm1d,
    BatchRenorm2d,
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
        LayerKind.Flatten => "FlattenLayer",
        LayerKind.MaxPool2d => "MaxPool2dLayer",
        LayerKind.AvgPool2d => "AvgPool2dLayer",
        LayerKind.AdaptiveAvgPool2d => "AdaptiveAvgPool2dLayer",
        LayerKind.Dropout => "DropoutLayer",
        LayerKind.Residual => "ResidualLayer",
        LayerKind.LayerNorm => "LayerNormLayer",
        LayerKind.GroupNorm => "GroupNormLayer",
        LayerKind.InstanceNorm1d => "InstanceNorm1dLayer",
        LayerKind.InstanceNorm2d => "InstanceNorm2dLayer",
        LayerKind.BatchRenorm1d or LayerKind.BatchRenorm2d => "BatchRenormLayer",
        _ => "ActivationLayer",
    };

    /// <summary>The attribute's short name as a user writes it.</summary>
    public static string AttributeName(LayerKind kind) => kind.ToString();

    /// <summary>The skip source that names the model input (the runtime's <c>ResidualAttribute.ModelInput</c>).</summary>
    public const string ModelInputName = "input";

    /// <summary>Whether a residual's <c>From</c> names the model input: "input" or the model class's name, when no layer is called so.</summary>
    public static bool IsModelInput(Model.ModelSpec spec, string from) =>
        (from == ModelInputName || from == spec.ClassName) && !System.Linq.Enumerable.Any(spec.Layers, l => l.Name == from);

    public static bool IsAnchor(LayerKind kind) => kind is LayerKind.Conv2d or LayerKind.Linear;

    public static bool IsBatchNorm(LayerKind kind) => kind is LayerKind.BatchNorm1d or LayerKind.BatchNorm2d;

    /// <summary>Any layer that takes a kernel's normalisation slot (after the anchor, before the activation).</summary>
    public static bool IsNorm(LayerKind kind) => IsBatchNorm(kind) || IsRowNorm(kind) || IsBatchRenorm(kind);

    /// <summary>LayerNorm, GroupNorm and InstanceNorm: per-sample rows normalised by <c>RowNormKernels</c>.</summary>
    public static bool IsRowNorm(LayerKind kind) =>
        kind is LayerKind.LayerNorm or LayerKind.GroupNorm or LayerKind.InstanceNorm1d or LayerKind.InstanceNorm2d;

    public static bool IsInstanceNorm(LayerKind kind) => kind is LayerKind.InstanceNorm1d or LayerKind.InstanceNorm2d;

    public static bool IsBatchRenorm(LayerKind kind) => kind is LayerKind.BatchRenorm1d or LayerKind.BatchRenorm2d;

    /// <summary>Pooling and dropout: each runs as a kernel of its own.</summary>
    public static bool IsStandalone(LayerKind kind) =>
        kind is LayerKind.MaxPool2d or LayerKind.AvgPool2d or LayerKind.AdaptiveAvgPool2d or LayerKind.Dropout;

    /// <summary>Element-wise activations: each can be a kernel's epilogue.</summary>
    public static bool IsActivation(LayerKind kind) =>
        kind is LayerKind.ReLU or LayerKind.LeakyReLU or LayerKind.ReLU6 or LayerKind.SiLU or LayerKind.GELU or LayerKind.Sigmoid or LayerKind.Tanh or
        LayerKind.Hardswish or LayerKind.Mish;
}
