using FusedLayers;

namespace ResNet;

/// <summary>
/// torchvision's <c>BasicBlock</c> (expansion 1) as a FusedLayers block: conv3x3(stride) -> BN -> ReLU -> conv3x3 -> BN
/// -> add (the block input, through torchvision's <c>downsample</c> where the shape changes) -> ReLU, with torchvision's
/// module names (<c>conv1</c>, <c>bn1</c>, <c>conv2</c>, <c>bn2</c>, <c>downsample.0</c>, <c>downsample.1</c>).
/// </summary>
[FusedBlock]
public partial class BasicBlock
{
    /// <summary>conv3x3(inplanes, planes, stride).</summary>
    [Conv2d(BlockParameter.Inferred, BlockParameter.Planes, 3, Stride = BlockParameter.Stride, Padding = 1, Bias = false), StateName("conv1")]
    public partial Conv2dLayer Conv1 { get; }

    /// <summary>BatchNorm2d(planes).</summary>
    [BatchNorm2d(BlockParameter.Planes), StateName("bn1")]
    public partial BatchNorm2dLayer Bn1 { get; }

    /// <summary>ReLU.</summary>
    [ReLU, StateName("relu")]
    public partial ReLULayer Relu1 { get; }

    /// <summary>conv3x3(planes, planes).</summary>
    [Conv2d(BlockParameter.Planes, BlockParameter.Planes, 3, Padding = 1, Bias = false), StateName("conv2")]
    public partial Conv2dLayer Conv2 { get; }

    /// <summary>BatchNorm2d(planes).</summary>
    [BatchNorm2d(BlockParameter.Planes), StateName("bn2")]
    public partial BatchNorm2dLayer Bn2 { get; }

    /// <summary>out += identity, or downsample(x) = BN(conv1x1(x, stride)) where stride != 1 or the channels change.</summary>
    [Residual(ResidualAttribute.BlockInput, AutoProjection = true), StateName("downsample")]
    public partial ResidualLayer Add { get; }

    /// <summary>ReLU after the add.</summary>
    [ReLU, StateName("relu")]
    public partial ReLULayer Relu2 { get; }
}
