namespace FusedLayers;

/// <summary>
/// The operation of a <see cref="LayerNode"/>: one value per layer attribute (<c>[Conv2d]</c> is
/// <see cref="Conv2d"/>, and so on), as the generator names them.
/// </summary>
public enum LayerOp
{
    /// <summary><c>nn.Conv2d</c>.</summary>
    Conv2d,

    /// <summary><c>nn.Linear</c>.</summary>
    Linear,

    /// <summary><c>nn.BatchNorm1d</c>.</summary>
    BatchNorm1d,

    /// <summary><c>nn.BatchNorm2d</c>.</summary>
    BatchNorm2d,

    /// <summary><c>nn.ReLU</c>.</summary>
    ReLU,

    /// <summary><c>nn.Flatten</c> (all per-sample dimensions into one).</summary>
    Flatten,

    /// <summary><c>nn.LeakyReLU</c>.</summary>
    LeakyReLU,

    /// <summary><c>nn.ReLU6</c>.</summary>
    ReLU6,

    /// <summary><c>nn.SiLU</c>.</summary>
    SiLU,

    /// <summary><c>nn.GELU</c> (exact, or the tanh approximation).</summary>
    GELU,

    /// <summary><c>nn.Sigmoid</c>.</summary>
    Sigmoid,

    /// <summary><c>nn.Tanh</c>.</summary>
    Tanh,

    /// <summary><c>nn.MaxPool2d</c>.</summary>
    MaxPool2d,

    /// <summary><c>nn.AvgPool2d</c>.</summary>
    AvgPool2d,

    /// <summary><c>nn.AdaptiveAvgPool2d</c>.</summary>
    AdaptiveAvgPool2d,

    /// <summary><c>nn.Dropout</c> (the identity in inference).</summary>
    Dropout,

    /// <summary>A skip connection: the previous layer's output plus a named source, optionally through a 1x1 Conv2d + BatchNorm2d projection.</summary>
    Residual,

    /// <summary><c>nn.LayerNorm</c>.</summary>
    LayerNorm,

    /// <summary><c>nn.GroupNorm</c>.</summary>
    GroupNorm,

    /// <summary><c>nn.InstanceNorm1d</c>.</summary>
    InstanceNorm1d,

    /// <summary><c>nn.InstanceNorm2d</c>.</summary>
    InstanceNorm2d,

    /// <summary>Batch renormalisation over <c>[C]</c> or <c>[C, L]</c> samples.</summary>
    BatchRenorm1d,

    /// <summary>Batch renormalisation over <c>[C, H, W]</c> samples.</summary>
    BatchRenorm2d,

    /// <summary><c>nn.Hardswish</c>.</summary>
    Hardswish,

    /// <summary><c>nn.Mish</c>.</summary>
    Mish,
}
