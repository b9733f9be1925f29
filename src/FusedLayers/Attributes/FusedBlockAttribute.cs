using System;

namespace FusedLayers;

/// <summary>
/// Marks a <c>partial</c> class as a reusable block of layers, PyTorch's sub-<c>nn.Module</c> (torchvision's
/// <c>BasicBlock</c>). A block is not a model: it has no input shape and runs nothing by itself. A model uses it
/// with <see cref="BlockAttribute"/> on a property of the block's type, as many times as it likes; the generator
/// expands every use at build time into the model's flat layer list, so each instance is shape-specialised and
/// fused across block boundaries like any other layers.
/// </summary>
/// <remarks>
/// Layer arguments inside a block may take their value from the use site: <see cref="BlockParameter.Inferred"/>
/// (channels or features of the incoming shape), <see cref="BlockParameter.Planes"/> and
/// <see cref="BlockParameter.Stride"/> (the use's <see cref="BlockAttribute.Planes"/> and
/// <see cref="BlockAttribute.Stride"/>). A <see cref="ResidualAttribute"/> in a block names a layer of the block or
/// <see cref="ResidualAttribute.BlockInput"/>; with <see cref="ResidualAttribute.AutoProjection"/> the skip gets
/// torchvision's <c>downsample</c> only where the shapes differ.
/// </remarks>
/// <example>
/// <code>
/// [FusedBlock]
/// public partial class BasicBlock
/// {
///     [Conv2d(BlockParameter.Inferred, BlockParameter.Planes, 3, Stride = BlockParameter.Stride, Padding = 1, Bias = false), StateName("conv1")]
///     public partial Conv2dLayer Conv1 { get; }
///     [BatchNorm2d(BlockParameter.Planes), StateName("bn1")] public partial BatchNorm2dLayer Bn1 { get; }
///     [ReLU] public partial ReLULayer Relu1 { get; }
///     [Conv2d(BlockParameter.Planes, BlockParameter.Planes, 3, Padding = 1, Bias = false), StateName("conv2")]
///     public partial Conv2dLayer Conv2 { get; }
///     [BatchNorm2d(BlockParameter.Planes), StateName("bn2")] public partial BatchNorm2dLayer Bn2 { get; }
///     [Residual(ResidualAttribute.BlockInput, AutoProjection = true), StateName("downsample")]
///     public partial ResidualLayer Add { get; }
///     [ReLU] public partial ReLULayer Relu2 { get; }
/// }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class FusedBlockAttribute : Attribute
{
}
