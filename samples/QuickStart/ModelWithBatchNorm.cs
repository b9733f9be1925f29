using FusedLayers;

namespace QuickStart;

/// <summary>
/// The seed's PyTorch model, Conv2d(3, 64, 3, 1, 1) -> BatchNorm2d(64) -> ReLU, as a FusedLayers model.
/// The generator fuses the three layers into one kernel; see obj/*/generated/ for the code it writes.
/// </summary>
[FusedModel(InputShape = new[] { 3, 32, 32 })]
public partial class ModelWithBatchNorm
{
    [Conv2d(3, 64, KernelSize = 3, Stride = 1, Padding = 1)]
    public partial Conv2dLayer Conv { get; }

    [BatchNorm2d(64)]
    public partial BatchNorm2dLayer Bn { get; }

    [ReLU]
    public partial ReLULayer Relu { get; }
}
