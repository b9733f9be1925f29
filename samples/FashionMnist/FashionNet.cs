using FusedLayers;

namespace FashionMnist;

/// <summary>
/// The network, the "2 Conv + pooling + BN" entry of the Fashion-MNIST benchmark (93.4% published): two
/// Conv2d(3x3) -> BatchNorm2d -> ReLU -> MaxPool2d(2) blocks (32 and 64 channels), then a Linear -> BatchNorm1d ->
/// ReLU hidden layer of 128 units and the linear classifier. 28x28 -> 14x14 -> 7x7 -> 128 -> 10. Layers before a
/// BatchNorm have no bias (BatchNorm's beta is the bias). The generator fuses each block into one kernel (the pool
/// takes the BatchNorm-apply + ReLU pass as its prologue, so the full-resolution activation is never stored); see
/// the fusion plan at the top of obj/Release/net10.0/generated/FusedLayers.Generator/.../FashionMnist.FashionNet.g.cs.
/// </summary>
[FusedModel(InputShape = new[] { 1, 28, 28 })]
public partial class FashionNet
{
    [Conv2d(1, 32, KernelSize = 3, Padding = 1, Bias = false)]
    public partial Conv2dLayer Conv1 { get; }

    [BatchNorm2d(32)]
    public partial BatchNorm2dLayer Bn1 { get; }

    [ReLU]
    public partial ReLULayer Relu1 { get; }

    [MaxPool2d(2)]
    public partial MaxPool2dLayer Pool1 { get; }

    [Conv2d(32, 64, KernelSize = 3, Padding = 1, Bias = false)]
    public partial Conv2dLayer Conv2 { get; }

    [BatchNorm2d(64)]
    public partial BatchNorm2dLayer Bn2 { get; }

    [ReLU]
    public partial ReLULayer Relu2 { get; }

    [MaxPool2d(2)]
    public partial MaxPool2dLayer Pool2 { get; }

    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(64 * 7 * 7, 128, Bias = false)]
    public partial LinearLayer Fc1 { get; }

    [BatchNorm1d(128)]
    public partial BatchNorm1dLayer Bn3 { get; }

    [ReLU]
    public partial ReLULayer Relu3 { get; }

    [Linear(128, 10)]
    public partial LinearLayer Fc2 { get; }
}
