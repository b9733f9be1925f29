using FusedLayers;

namespace FashionMnist;

/// <summary>
/// The network: three Conv2d -> BatchNorm2d -> ReLU blocks, the second and third with stride 2 in place
/// of pooling (FusedLayers has no pooling layer yet, issue 5), then a Linear -> BatchNorm1d -> ReLU hidden
/// layer of 128 units and the linear classifier. 28x28 -> 28x28 -> 14x14 -> 7x7 -> 128 -> 10. Layers
/// before a BatchNorm have no bias (BatchNorm's beta is the bias). The generator fuses each block into one kernel; see the fusion plan at the top of
/// obj/Release/net10.0/generated/FusedLayers.Generator/.../FashionMnist.FashionNet.g.cs.
/// </summary>
[FusedModel(InputShape = new[] { 1, 28, 28 })]
public partial class FashionNet
{
    [Conv2d(1, 16, KernelSize = 3, Padding = 1, Bias = false)]
    public partial Conv2dLayer Conv1 { get; }

    [BatchNorm2d(16)]
    public partial BatchNorm2dLayer Bn1 { get; }

    [ReLU]
    public partial ReLULayer Relu1 { get; }

    [Conv2d(16, 32, KernelSize = 3, Stride = 2, Padding = 1, Bias = false)]
    public partial Conv2dLayer Conv2 { get; }

    [BatchNorm2d(32)]
    public partial BatchNorm2dLayer Bn2 { get; }

    [ReLU]
    public partial ReLULayer Relu2 { get; }

    [Conv2d(32, 64, KernelSize = 3, Stride = 2, Padding = 1, Bias = false)]
    public partial Conv2dLayer Conv3 { get; }

    [BatchNorm2d(64)]
    public partial BatchNorm2dLayer Bn3 { get; }

    [ReLU]
    public partial ReLULayer Relu3 { get; }

    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(64 * 7 * 7, 128, Bias = false)]
    public partial LinearLayer Fc1 { get; }

    [BatchNorm1d(128)]
    public partial BatchNorm1dLayer Bn4 { get; }

    [ReLU]
    public partial ReLULayer Relu4 { get; }

    [Linear(128, 10)]
    public partial LinearLayer Fc2 { get; }
}
