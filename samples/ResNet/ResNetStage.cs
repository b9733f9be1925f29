using FusedLayers;

namespace ResNet;

/// <summary>
/// ResNet-18 up to the end of its first stage, with a small classifier: the stem
/// (Conv2d(3, 64, 7, stride 2, padding 3, no bias) -> BatchNorm2d -> ReLU -> MaxPool2d(3, stride 2, padding 1),
/// 3x224x224 -> 64x56x56), two basic blocks at 64 channels with identity skips
/// (conv3x3 -> BN -> ReLU -> conv3x3 -> BN -> add -> ReLU, 64x56x56), then AdaptiveAvgPool2d(1) -> Flatten ->
/// Linear(64, 10). The generator fuses each convolution with its BatchNorm and ReLU, and each block's second
/// BatchNorm with the add and the ReLU (one pass, forward and backward). State-dict names are the property
/// names (<c>Block1Conv1.weight</c>, <c>Block2Bn2.running_var</c>, ...); <see cref="ResNetStageTwin"/> is the
/// same network in TorchSharp with the same names.
/// </summary>
[FusedModel(InputShape = new[] { 3, 224, 224 })]
public partial class ResNetStage
{
    /// <summary>Classes of the classifier.</summary>
    public const int Classes = 10;

    /// <summary>Forward FLOPs per image of the stem convolution: 2 x 64x3x7x7 x 112x112 multiply-accumulates, 0.236 GFLOP.</summary>
    public const double StemFlopsPerImage = 2.0 * 64 * 3 * 7 * 7 * 112 * 112;

    /// <summary>
    /// Forward FLOPs per image: 2 x the multiply-accumulates of the convolutions and the linear layer
    /// (the stem, four 64x64x3x3 x 56x56, Fc 64x10), 1.16 GFLOP. BatchNorm, ReLU, pooling and the adds are
    /// not counted (a few FLOPs per element, memory-bound). Backward costs twice this with the input
    /// gradient (weight gradients + input gradients), <see cref="StemFlopsPerImage"/> less without it.
    /// </summary>
    public const double ForwardFlopsPerImage = StemFlopsPerImage + (2.0 * ((4 * 64 * 64 * 3 * 3 * 56 * 56) + (64 * Classes)));

    [Conv2d(3, 64, 7, Stride = 2, Padding = 3, Bias = false)]
    public partial Conv2dLayer Stem { get; }

    [BatchNorm2d(64)]
    public partial BatchNorm2dLayer StemBn { get; }

    [ReLU]
    public partial ReLULayer StemRelu { get; }

    [MaxPool2d(3, Stride = 2, Padding = 1)]
    public partial MaxPool2dLayer StemPool { get; }

    [Conv2d(64, 64, 3, Padding = 1, Bias = false)]
    public partial Conv2dLayer Block1Conv1 { get; }

    [BatchNorm2d(64)]
    public partial BatchNorm2dLayer Block1Bn1 { get; }

    [ReLU]
    public partial ReLULayer Block1Relu1 { get; }

    [Conv2d(64, 64, 3, Padding = 1, Bias = false)]
    public partial Conv2dLayer Block1Conv2 { get; }

    [BatchNorm2d(64)]
    public partial BatchNorm2dLayer Block1Bn2 { get; }

    [Residual(nameof(StemPool))]
    public partial ResidualLayer Block1Add { get; }

    [ReLU]
    public partial ReLULayer Block1Relu2 { get; }

    [Conv2d(64, 64, 3, Padding = 1, Bias = false)]
    public partial Conv2dLayer Block2Conv1 { get; }

    [BatchNorm2d(64)]
    public partial BatchNorm2dLayer Block2Bn1 { get; }

    [ReLU]
    public partial ReLULayer Block2Relu1 { get; }

    [Conv2d(64, 64, 3, Padding = 1, Bias = false)]
    public partial Conv2dLayer Block2Conv2 { get; }

    [BatchNorm2d(64)]
    public partial BatchNorm2dLayer Block2Bn2 { get; }

    [Residual(nameof(Block1Relu2))]
    public partial ResidualLayer Block2Add { get; }

    [ReLU]
    public partial ReLULayer Block2Relu2 { get; }

    [AdaptiveAvgPool2d(1)]
    public partial AdaptiveAvgPool2dLayer Gap { get; }

    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(64, Classes)]
    public partial LinearLayer Fc { get; }
}
