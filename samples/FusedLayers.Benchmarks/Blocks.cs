using FusedLayers;

namespace FusedLayers.Benchmarks;

/// <summary>Block S (the seed): Conv2d(3, 64, 3, 1, 1) -> BatchNorm2d -> ReLU on 3x32x32, batch 8.</summary>
[FusedModel(InputShape = new[] { 3, 32, 32 })]
public partial class BlockS
{
    [Conv2d(3, 64, KernelSize = 3, Stride = 1, Padding = 1)]
    public partial Conv2dLayer Conv { get; }

    [BatchNorm2d(64)]
    public partial BatchNorm2dLayer Bn { get; }

    [ReLU]
    public partial ReLULayer Relu { get; }
}

/// <summary>Block R (ResNet stage 1): Conv2d(64, 64, 3, 1, 1, bias=False) -> BatchNorm2d -> ReLU on 64x56x56, batch 32.</summary>
[FusedModel(InputShape = new[] { 64, 56, 56 })]
public partial class BlockR
{
    [Conv2d(64, 64, KernelSize = 3, Stride = 1, Padding = 1, Bias = false)]
    public partial Conv2dLayer Conv { get; }

    [BatchNorm2d(64)]
    public partial BatchNorm2dLayer Bn { get; }

    [ReLU]
    public partial ReLULayer Relu { get; }
}

/// <summary>Block L: Linear(784, 256) -> BatchNorm1d -> ReLU, batch 256.</summary>
[FusedModel(InputShape = new[] { 784 })]
public partial class BlockL
{
    [Linear(784, 256)]
    public partial LinearLayer Fc { get; }

    [BatchNorm1d(256)]
    public partial BatchNorm1dLayer Bn { get; }

    [ReLU]
    public partial ReLULayer Relu { get; }
}
