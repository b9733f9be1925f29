using FusedLayers;

namespace FusedLayers.Tests.Models;

/// <summary>
/// A model whose second convolution (32 -> 32 channels, 3x3, stride 1, 10 x 10 output: partial 4 x 4 tiles on both
/// edges) is one the shared rule sends to Winograd F(4x4, 3x3) under <see cref="ConvAlgorithm.Auto"/> on a vector
/// path; the 3-channel first convolution stays direct. Conv-BN-ReLU twice, so training runs the statistics epilogue
/// and inference the refolded weights through the Winograd engine. Lives in the test project (not TestModels) so the
/// generator's snapshot suite is not affected.
/// </summary>
[FusedModel(InputShape = new[] { 3, 10, 10 })]
public partial class WinogradBlockModel
{
    [Conv2d(3, 32, 3, Padding = 1)]
    public partial Conv2dLayer Conv1 { get; }

    [BatchNorm2d(32)]
    public partial BatchNorm2dLayer Bn1 { get; }

    [ReLU]
    public partial ReLULayer Relu1 { get; }

    [Conv2d(32, 32, 3, Padding = 1, Bias = false)]
    public partial Conv2dLayer Conv2 { get; }

    [BatchNorm2d(32)]
    public partial BatchNorm2dLayer Bn2 { get; }

    [ReLU]
    public partial ReLULayer Relu2 { get; }
}

/// <summary>
/// <see cref="WinogradBlockModel"/> with each convolution's algorithm set on the layer: the first (3 channels, which
/// Auto leaves direct) forced to F(2x2, 3x3), the second (which Auto sends to F(4x4, 3x3)) forced direct.
/// </summary>
[FusedModel(InputShape = new[] { 3, 10, 10 })]
public partial class LayerAlgorithmModel
{
    [Conv2d(3, 32, 3, Padding = 1, Algorithm = ConvAlgorithm.Winograd2x2)]
    public partial Conv2dLayer Conv1 { get; }

    [BatchNorm2d(32)]
    public partial BatchNorm2dLayer Bn1 { get; }

    [ReLU]
    public partial ReLULayer Relu1 { get; }

    [Conv2d(32, 32, 3, Padding = 1, Bias = false, Algorithm = ConvAlgorithm.Direct)]
    public partial Conv2dLayer Conv2 { get; }

    [BatchNorm2d(32)]
    public partial BatchNorm2dLayer Bn2 { get; }

    [ReLU]
    public partial ReLULayer Relu2 { get; }
}
