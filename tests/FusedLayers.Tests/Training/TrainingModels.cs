using FusedLayers;

// Models of the training tests (this folder and Data/).
namespace FusedLayers.Tests.Training;

/// <summary>A small CNN for 1 x 12 x 12 synthetic images: two Conv-BN-ReLU blocks and a classifier.</summary>
[FusedModel(InputShape = new[] { 1, 12, 12 })]
public partial class TinyImageNet
{
    [Conv2d(1, 8, 3, Padding = 1)]
    public partial Conv2dLayer Conv1 { get; }

    [BatchNorm2d(8)]
    public partial BatchNorm2dLayer Bn1 { get; }

    [ReLU]
    public partial ReLULayer Relu1 { get; }

    [Conv2d(8, 16, 3, Stride = 2, Padding = 1, Bias = false)]
    public partial Conv2dLayer Conv2 { get; }

    [BatchNorm2d(16)]
    public partial BatchNorm2dLayer Bn2 { get; }

    [ReLU]
    public partial ReLULayer Relu2 { get; }

    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(576, 10)]
    public partial LinearLayer Fc { get; }
}

/// <summary>A fully-connected classifier for 1 x 28 x 28 images (MNIST, Fashion-MNIST), quick to train.</summary>
[FusedModel(InputShape = new[] { 1, 28, 28 })]
public partial class MnistMlp
{
    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(784, 128)]
    public partial LinearLayer Fc1 { get; }

    [BatchNorm1d(128)]
    public partial BatchNorm1dLayer Bn1 { get; }

    [ReLU]
    public partial ReLULayer Relu1 { get; }

    [Linear(128, 10)]
    public partial LinearLayer Fc2 { get; }
}
