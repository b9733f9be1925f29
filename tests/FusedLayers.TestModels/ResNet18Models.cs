using ResNet; // BasicBlock: samples/ResNet/BasicBlock.cs, linked into this project, so the test runs the sample's block

namespace FusedLayers.Tests.Models;

/// <summary>
/// torchvision's <c>resnet18(num_classes: 10)</c> on 3x64x64 images (the parity test's cheap input; the network is the
/// same at 224 and samples/ResNet has that one): every state-dict key is torchvision's, so its safetensors checkpoint
/// loads strictly.
/// </summary>
[FusedModel(InputShape = new[] { 3, 64, 64 })]
public partial class ResNet18At64
{
    /// <summary>Classes of the classifier.</summary>
    public const int Classes = 10;

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
