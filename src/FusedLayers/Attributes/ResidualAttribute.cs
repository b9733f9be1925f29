using System;

namespace FusedLayers;

/// <summary>
/// A skip connection: adds the output of the earlier layer named <see cref="From"/> to the output of the layer
/// just before this one, as in a ResNet basic block (<c>out = relu(bn2(conv2(...)) + identity)</c>). With
/// <see cref="Projection"/>, the skip path first runs a 1x1 Conv2d (no bias, stride
/// <see cref="ProjectionStride"/>) and a BatchNorm2d, torchvision's <c>downsample</c>; their state-dict keys
/// are <c>{Name}.0.weight</c> and <c>{Name}.1.weight</c>, <c>{Name}.1.running_mean</c>, ... The add, the
/// BatchNorm before it and an activation after it run as one pass (forward and backward). Shapes must agree at
/// the add. The property must be of type <see cref="ResidualLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class ResidualAttribute : Attribute
{
    /// <summary>
    /// The name of the model input as a skip source: <c>[Residual(ResidualAttribute.ModelInput)]</c> adds the model's
    /// input (MobileNetV2 inverted residuals, pre-norm transformer blocks); <c>nameof</c> of the model class works too.
    /// A layer of that name, if there is one, takes precedence.
    /// </summary>
    public const string ModelInput = "input";

    /// <summary>
    /// Inside a <see cref="FusedBlockAttribute"/> block: the block's input (the output of the layer before the block
    /// use, or the model input); <c>nameof</c> of the block class works too.
    /// </summary>
    public const string BlockInput = "block_input";

    /// <summary>Declares a skip connection from the layer named <paramref name="from"/>.</summary>
    /// <param name="from">Name of an earlier layer property (use <c>nameof</c>), or <see cref="ModelInput"/>.</param>
    public ResidualAttribute(string from) => From = from;

    /// <summary>Name of the earlier layer whose output is added.</summary>
    public string From { get; }

    /// <summary>Whether the skip path has a 1x1 Conv2d + BatchNorm2d projection (default false: the identity).</summary>
    public bool Projection { get; set; }

    /// <summary>Stride of the projection's 1x1 convolution (default 1).</summary>
    public int ProjectionStride { get; set; } = 1;

    /// <summary>
    /// A projection only where it is needed, torchvision's rule for <c>downsample</c>: when the skip's shape differs
    /// from the add's (channels or plane size), a 1x1 Conv2d with stride (skip height / add height) + BatchNorm2d;
    /// the identity otherwise. Meant for blocks, whose uses differ in channels and stride.
    /// </summary>
    public bool AutoProjection { get; set; }
}
