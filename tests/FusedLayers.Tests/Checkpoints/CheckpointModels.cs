using FusedLayers;

// Models that differ from SeedModel in one way each, for the state-dict error tests.
namespace FusedLayers.Tests.Checkpoints;

/// <summary>SeedModel with 32 output channels: every key matches, every shape differs.</summary>
[FusedModel(InputShape = new[] { 3, 32, 32 })]
public partial class NarrowSeedModel
{
    [Conv2d(3, 32, KernelSize = 3, Stride = 1, Padding = 1)]
    public partial Conv2dLayer Conv { get; }

    [BatchNorm2d(32)]
    public partial BatchNorm2dLayer Bn { get; }

    [ReLU]
    public partial ReLULayer Relu { get; }
}

/// <summary>SeedModel with its BatchNorm named Norm: Norm.* are missing, Bn.* unexpected.</summary>
[FusedModel(InputShape = new[] { 3, 32, 32 })]
public partial class RenamedSeedModel
{
    [Conv2d(3, 64, KernelSize = 3, Stride = 1, Padding = 1)]
    public partial Conv2dLayer Conv { get; }

    [BatchNorm2d(64)]
    public partial BatchNorm2dLayer Norm { get; }

    [ReLU]
    public partial ReLULayer Relu { get; }
}
