using FusedLayers;

namespace ResNet;

/// <summary>
/// torchvision's <c>resnet18()</c>: the stem (conv 7x7/2 -> BN -> ReLU -> max pool 3x3/2), four stages of two
/// <see cref="BasicBlock"/> uses each (64, 128, 256, 512 planes; the first block of stages 2-4 has stride 2 and
/// torchvision's downsample), global average pooling and <c>fc</c>, on 3x224x224 images. Every state-dict key is
/// torchvision's (<c>conv1.weight</c>, <c>layer2.0.downsample.1.running_var</c>, <c>fc.bias</c>, 122 in all), so a
/// checkpoint saved from torchvision's resnet18 loads strictly (<c>StateDict.Load</c>) and the reverse. The number of
/// classes is <see cref="Classes"/> (a build-time constant, like every shape here: change it to fine-tune to another
/// head); the generator expands the eight block uses and fuses across their boundaries.
/// </summary>
[FusedModel(InputShape = new[] { 3, 224, 224 })]
public partial class ResNet18
{
    /// <summary>Classes of the classifier (torchvision's default, ImageNet's 1000).</summary>
    public const int Classes = 1000;

    /// <summary>Forward FLOPs per image of the stem convolution: 2 x 64x3x7x7 x 112x112 multiply-accumulates.</summary>
    public const double StemFlopsPerImage = 2.0 * 64 * 3 * 7 * 7 * 112 * 112;

    /// <summary>Forward FLOPs per image: 2 x the multiply-accumulates of every convolution and of fc, 3.63 GFLOP.</summary>
    public const double ForwardFlopsPerImage = StemFlopsPerImage + (2.0 * (
        (4.0 * 64 * 64 * 9 * 56 * 56) +
        (128.0 * 64 * 9 * 28 * 28) + (3.0 * 128 * 128 * 9 * 28 * 28) + (128.0 * 64 * 28 * 28) +
        (256.0 * 128 * 9 * 14 * 14) + (3.0 * 256 * 256 * 9 * 14 * 14) + (256.0 * 128 * 14 * 14) +
        (512.0 * 256 * 9 * 7 * 7) + (3.0 * 512 * 512 * 9 * 7 * 7) + (512.0 * 256 * 7 * 7) +
        (512.0 * Classes)));

    /// <summary>Stem: conv 7x7, stride 2.</summary>
    [Conv2d(3, 64, 7, Stride = 2, Padding = 3, Bias = false), StateName("conv1")] public partial Conv2dLayer Conv1 { get; }

    /// <summary>Stem BatchNorm.</summary>
    [BatchNorm2d(64), StateName("bn1")] public partial BatchNorm2dLayer Bn1 { get; }

    /// <summary>Stem ReLU.</summary>
    [ReLU, StateName("relu")] public partial ReLULayer Relu { get; }

    /// <summary>Stem max pool 3x3, stride 2.</summary>
    [MaxPool2d(3, Stride = 2, Padding = 1), StateName("maxpool")] public partial MaxPool2dLayer MaxPool { get; }

    /// <summary>layer1.0.</summary>
    [Block(typeof(BasicBlock), Planes = 64), StateName("layer1.0")] public partial BasicBlock Layer1Block0 { get; }

    /// <summary>layer1.1.</summary>
    [Block(typeof(BasicBlock), Planes = 64), StateName("layer1.1")] public partial BasicBlock Layer1Block1 { get; }

    /// <summary>layer2.0 (stride 2, downsample).</summary>
    [Block(typeof(BasicBlock), Planes = 128, Stride = 2), StateName("layer2.0")] public partial BasicBlock Layer2Block0 { get; }

    /// <summary>layer2.1.</summary>
    [Block(typeof(BasicBlock), Planes = 128), StateName("layer2.1")] public partial BasicBlock Layer2Block1 { get; }

    /// <summary>layer3.0 (stride 2, downsample).</summary>
    [Block(typeof(BasicBlock), Planes = 256, Stride = 2), StateName("layer3.0")] public partial BasicBlock Layer3Block0 { get; }

    /// <summary>layer3.1.</summary>
    [Block(typeof(BasicBlock), Planes = 256), StateName("layer3.1")] public partial BasicBlock Layer3Block1 { get; }

    /// <summary>layer4.0 (stride 2, downsample).</summary>
    [Block(typeof(BasicBlock), Planes = 512, Stride = 2), StateName("layer4.0")] public partial BasicBlock Layer4Block0 { get; }

    /// <summary>layer4.1.</summary>
    [Block(typeof(BasicBlock), Planes = 512), StateName("layer4.1")] public partial BasicBlock Layer4Block1 { get; }

    /// <summary>Global average pooling.</summary>
    [AdaptiveAvgPool2d(1), StateName("avgpool")] public partial AdaptiveAvgPool2dLayer AvgPool { get; }

    /// <summary>torch.flatten(x, 1).</summary>
    [Flatten] public partial FlattenLayer Flatten { get; }

    /// <summary>The classifier.</summary>
    [Linear(512, Classes), StateName("fc")] public partial LinearLayer Fc { get; }
}
