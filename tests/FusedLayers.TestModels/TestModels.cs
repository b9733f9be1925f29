using FusedLayers;

// The models the numeric tests run. Each is mirrored by a ReferenceSequential in ModelCases.cs.
// Every one of them is also pinned by a snapshot test in the generator test project.
namespace FusedLayers.Tests.Models;

/// <summary>The seed: Conv2d(3, 64, 3, 1, 1) -> BatchNorm2d(64) -> ReLU.</summary>
[FusedModel(InputShape = new[] { 3, 32, 32 })]
public partial class SeedModel
{
    [Conv2d(3, 64, KernelSize = 3, Stride = 1, Padding = 1)]
    public partial Conv2dLayer Conv { get; }

    [BatchNorm2d(64)]
    public partial BatchNorm2dLayer Bn { get; }

    [ReLU]
    public partial ReLULayer Relu { get; }
}

/// <summary>Linear(20, 16) -> BatchNorm1d(16) -> ReLU.</summary>
[FusedModel(InputShape = new[] { 20 })]
public partial class LinearBnReluModel
{
    [Linear(20, 16)]
    public partial LinearLayer Fc { get; }

    [BatchNorm1d(16)]
    public partial BatchNorm1dLayer Bn { get; }

    [ReLU]
    public partial ReLULayer Relu { get; }
}

/// <summary>Conv2d(3, 8, 3, stride 2, padding 1) -> ReLU, no BatchNorm.</summary>
[FusedModel(InputShape = new[] { 3, 9, 9 })]
public partial class ConvReluModel
{
    [Conv2d(3, 8, 3, Stride = 2, Padding = 1)]
    public partial Conv2dLayer Conv { get; }

    [ReLU]
    public partial ReLULayer Relu { get; }
}

/// <summary>A standalone BatchNorm2d(4) -> ReLU.</summary>
[FusedModel(InputShape = new[] { 4, 6, 6 })]
public partial class BnReluModel
{
    [BatchNorm2d(4)]
    public partial BatchNorm2dLayer Bn { get; }

    [ReLU]
    public partial ReLULayer Relu { get; }
}

/// <summary>Two conv blocks, Flatten and a classifier.</summary>
[FusedModel(InputShape = new[] { 3, 8, 8 })]
public partial class TwoBlockCnn
{
    [Conv2d(3, 8, 3, Padding = 1)]
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

    [Linear(256, 10)]
    public partial LinearLayer Fc { get; }
}

/// <summary>
/// BatchNorm options: momentum=None (cumulative average), affine=False, track_running_stats=False,
/// and a BatchNorm after a ReLU (its own kernel).
/// </summary>
[FusedModel(InputShape = new[] { 2, 5, 5 })]
public partial class BatchNormOptionsModel
{
    [Conv2d(2, 6, 3, Padding = 1)]
    public partial Conv2dLayer Conv { get; }

    [BatchNorm2d(6, CumulativeAverage = true)]
    public partial BatchNorm2dLayer BnCumulative { get; }

    [ReLU]
    public partial ReLULayer Relu { get; }

    [BatchNorm2d(6, Affine = false, Momentum = 0.3)]
    public partial BatchNorm2dLayer BnPlain { get; }

    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(150, 8)]
    public partial LinearLayer Fc { get; }

    [BatchNorm1d(8, TrackRunningStats = false, Eps = 1e-3)]
    public partial BatchNorm1dLayer BnBatchOnly { get; }
}

/// <summary>BatchNorm1d over [C, L] samples, then ReLU.</summary>
[FusedModel(InputShape = new[] { 4, 7 })]
public partial class SequenceBnModel
{
    [BatchNorm1d(4)]
    public partial BatchNorm1dLayer Bn { get; }

    [ReLU]
    public partial ReLULayer Relu { get; }
}

/// <summary>Flatten -> ReLU -> Linear: a ReLU-only kernel first, a bare Linear last.</summary>
[FusedModel(InputShape = new[] { 3, 4, 4 })]
public partial class FlattenReluLinearModel
{
    [Flatten]
    public partial FlattenLayer Flat { get; }

    [ReLU]
    public partial ReLULayer Relu { get; }

    [Linear(48, 5)]
    public partial LinearLayer Fc { get; }
}

/// <summary>A lone BatchNorm2d, for the stability test.</summary>
[FusedModel(InputShape = new[] { 4, 8, 8 })]
public partial class StandaloneBnModel
{
    [BatchNorm2d(4)]
    public partial BatchNorm2dLayer Bn { get; }
}

/// <summary>
/// Every activation kernel shape with activations other than ReLU: Conv-BN-SiLU (BatchNorm apply + SiLU,
/// recomputed pre-activation in backward), Conv-GELU(tanh) (pre-activation kept), Linear-BN1d-Tanh,
/// Linear-LeakyReLU(0.2).
/// </summary>
[FusedModel(InputShape = new[] { 3, 8, 8 })]
public partial class ActivationCnn
{
    [Conv2d(3, 8, 3, Padding = 1)]
    public partial Conv2dLayer Conv1 { get; }

    [BatchNorm2d(8)]
    public partial BatchNorm2dLayer Bn1 { get; }

    [SiLU]
    public partial ActivationLayer Act1 { get; }

    [Conv2d(8, 8, 3, Stride = 2, Padding = 1)]
    public partial Conv2dLayer Conv2 { get; }

    [GELU(Approximate = "tanh")]
    public partial ActivationLayer Act2 { get; }

    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(128, 12)]
    public partial LinearLayer Fc1 { get; }

    [BatchNorm1d(12)]
    public partial BatchNorm1dLayer Bn2 { get; }

    [Tanh]
    public partial ActivationLayer Act3 { get; }

    [Linear(12, 6)]
    public partial LinearLayer Fc2 { get; }

    [LeakyReLU(NegativeSlope = 0.2)]
    public partial ActivationLayer Act4 { get; }
}

/// <summary>
/// Activations without an anchor: BatchNorm2d -> ReLU6 (one kernel), an exact GELU alone, Flatten, then
/// Linear -> Sigmoid.
/// </summary>
[FusedModel(InputShape = new[] { 4, 5, 5 })]
public partial class NormActivationModel
{
    [BatchNorm2d(4)]
    public partial BatchNorm2dLayer Bn { get; }

    [ReLU6]
    public partial ActivationLayer Act1 { get; }

    [GELU]
    public partial ActivationLayer Act2 { get; }

    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(100, 7)]
    public partial LinearLayer Fc { get; }

    [Sigmoid]
    public partial ActivationLayer Act3 { get; }
}

/// <summary>
/// MobileNetV3's activation in each kernel shape: Conv -> BN -> Hardswish (BatchNorm apply + Hardswish), a depthwise
/// Conv -> Hardswish (the anchor's epilogue), Linear -> Hardswish, then a classifier.
/// </summary>
[FusedModel(InputShape = new[] { 3, 8, 8 })]
public partial class HardswishCnn
{
    [Conv2d(3, 8, 3, Padding = 1)]
    public partial Conv2dLayer Conv1 { get; }

    [BatchNorm2d(8)]
    public partial BatchNorm2dLayer Bn1 { get; }

    [Hardswish]
    public partial ActivationLayer Act1 { get; }

    [Conv2d(8, 8, 3, Stride = 2, Padding = 1, Groups = 8)]
    public partial Conv2dLayer Depthwise { get; }

    [Hardswish]
    public partial ActivationLayer Act2 { get; }

    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(128, 16)]
    public partial LinearLayer Fc1 { get; }

    [Hardswish]
    public partial ActivationLayer Act3 { get; }

    [Linear(16, 5)]
    public partial LinearLayer Fc2 { get; }
}

/// <summary>
/// Mish (YOLOv4's backbone activation) in each kernel shape: Conv -> BN -> Mish (BatchNorm apply + Mish), Conv -> Mish
/// (the anchor's epilogue), Linear -> BatchNorm1d -> Mish, then a classifier.
/// </summary>
[FusedModel(InputShape = new[] { 3, 8, 8 })]
public partial class MishCnn
{
    [Conv2d(3, 8, 3, Padding = 1)]
    public partial Conv2dLayer Conv1 { get; }

    [BatchNorm2d(8)]
    public partial BatchNorm2dLayer Bn1 { get; }

    [Mish]
    public partial ActivationLayer Act1 { get; }

    [Conv2d(8, 8, 3, Stride = 2, Padding = 1)]
    public partial Conv2dLayer Conv2 { get; }

    [Mish]
    public partial ActivationLayer Act2 { get; }

    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(128, 12)]
    public partial LinearLayer Fc1 { get; }

    [BatchNorm1d(12)]
    public partial BatchNorm1dLayer Bn2 { get; }

    [Mish]
    public partial ActivationLayer Act3 { get; }

    [Linear(12, 4)]
    public partial LinearLayer Fc2 { get; }
}

/// <summary>The shape of Ioffe and Szegedy's MNIST network in miniature: Linear (no bias) -> BatchNorm1d -> Sigmoid, twice, then a classifier.</summary>
[FusedModel(InputShape = new[] { 12 })]
public partial class SigmoidMlp
{
    [Linear(12, 10, Bias = false)]
    public partial LinearLayer Fc1 { get; }

    [BatchNorm1d(10)]
    public partial BatchNorm1dLayer Bn1 { get; }

    [Sigmoid]
    public partial ActivationLayer Act1 { get; }

    [Linear(10, 10)]
    public partial LinearLayer Fc2 { get; }

    [Sigmoid]
    public partial ActivationLayer Act2 { get; }

    [Linear(10, 4)]
    public partial LinearLayer Fc3 { get; }
}

/// <summary>
/// Pooling kernels between conv blocks: overlapping padded max pooling, average pooling without the padded
/// zeros in the divisor, global average pooling, then a classifier.
/// </summary>
[FusedModel(InputShape = new[] { 3, 12, 12 })]
public partial class PoolCnn
{
    [Conv2d(3, 8, 3, Padding = 1)]
    public partial Conv2dLayer Conv1 { get; }

    [BatchNorm2d(8)]
    public partial BatchNorm2dLayer Bn1 { get; }

    [ReLU]
    public partial ReLULayer Relu1 { get; }

    [MaxPool2d(3, Stride = 2, Padding = 1)]
    public partial MaxPool2dLayer Pool1 { get; }

    [Conv2d(8, 8, 3, Padding = 1)]
    public partial Conv2dLayer Conv2 { get; }

    [SiLU]
    public partial ActivationLayer Act2 { get; }

    [AvgPool2d(3, Stride = 1, Padding = 1, CountIncludePad = false)]
    public partial AvgPool2dLayer Pool2 { get; }

    [AdaptiveAvgPool2d(1)]
    public partial AdaptiveAvgPool2dLayer Gap { get; }

    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(8, 5)]
    public partial LinearLayer Fc { get; }
}

/// <summary>Linear -> ReLU -> Dropout(0.5) -> Linear: dropout between two kernels, same masks as the reference.</summary>
[FusedModel(InputShape = new[] { 10 })]
public partial class DropoutMlp
{
    [Linear(10, 16)]
    public partial LinearLayer Fc1 { get; }

    [ReLU]
    public partial ReLULayer Relu { get; }

    [Dropout(0.5)]
    public partial DropoutLayer Drop { get; }

    [Linear(16, 4)]
    public partial LinearLayer Fc2 { get; }
}

/// <summary>
/// A ResNet in miniature: a stem, a basic block with an identity skip, and a downsampling basic block whose
/// skip has a 1x1 convolution + BatchNorm projection (stride 2), then global average pooling and a classifier.
/// </summary>
[FusedModel(InputShape = new[] { 3, 8, 8 })]
public partial class ResidualCnn
{
    [Conv2d(3, 8, 3, Padding = 1, Bias = false)]
    public partial Conv2dLayer Stem { get; }

    [BatchNorm2d(8)]
    public partial BatchNorm2dLayer StemBn { get; }

    [ReLU]
    public partial ReLULayer StemRelu { get; }

    [Conv2d(8, 8, 3, Padding = 1, Bias = false)]
    public partial Conv2dLayer Conv1 { get; }

    [BatchNorm2d(8)]
    public partial BatchNorm2dLayer Bn1 { get; }

    [ReLU]
    public partial ReLULayer Relu1 { get; }

    [Conv2d(8, 8, 3, Padding = 1, Bias = false)]
    public partial Conv2dLayer Conv2 { get; }

    [BatchNorm2d(8)]
    public partial BatchNorm2dLayer Bn2 { get; }

    [Residual(nameof(StemRelu))]
    public partial ResidualLayer Add1 { get; }

    [ReLU]
    public partial ReLULayer Relu2 { get; }

    [Conv2d(8, 16, 3, Stride = 2, Padding = 1, Bias = false)]
    public partial Conv2dLayer Conv3 { get; }

    [BatchNorm2d(16)]
    public partial BatchNorm2dLayer Bn3 { get; }

    [ReLU]
    public partial ReLULayer Relu3 { get; }

    [Conv2d(16, 16, 3, Padding = 1, Bias = false)]
    public partial Conv2dLayer Conv4 { get; }

    [BatchNorm2d(16)]
    public partial BatchNorm2dLayer Bn4 { get; }

    [Residual(nameof(Relu2), Projection = true, ProjectionStride = 2)]
    public partial ResidualLayer Down { get; }

    [ReLU]
    public partial ReLULayer Relu4 { get; }

    [AdaptiveAvgPool2d(1)]
    public partial AdaptiveAvgPool2dLayer Gap { get; }

    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(16, 5)]
    public partial LinearLayer Fc { get; }
}

/// <summary>
/// Skip connections after linear layers (one value per channel): Linear-BN1d-Add-Tanh, a second add that runs
/// alone (after an activation) from the same source, so that source's gradient sums three paths.
/// </summary>
[FusedModel(InputShape = new[] { 12 })]
public partial class ResidualMlp
{
    [Linear(12, 12)]
    public partial LinearLayer Fc1 { get; }

    [ReLU]
    public partial ReLULayer Relu1 { get; }

    [Linear(12, 12)]
    public partial LinearLayer Fc2 { get; }

    [BatchNorm1d(12)]
    public partial BatchNorm1dLayer Bn2 { get; }

    [Residual(nameof(Relu1))]
    public partial ResidualLayer Add1 { get; }

    [Tanh]
    public partial ActivationLayer Act2 { get; }

    [Residual(nameof(Relu1))]
    public partial ResidualLayer Add2 { get; }

    [Linear(12, 3)]
    public partial LinearLayer Fc3 { get; }
}

/// <summary>
/// Conv options: a depthwise convolution (groups = channels) -> BN -> ReLU6 and a pointwise one (MobileNet's
/// separable block), then a dilated grouped convolution -> SiLU, global pooling and a classifier.
/// </summary>
[FusedModel(InputShape = new[] { 8, 10, 10 })]
public partial class GroupedConvModel
{
    [Conv2d(8, 8, 3, Padding = 1, Groups = 8, Bias = false)]
    public partial Conv2dLayer Depthwise { get; }

    [BatchNorm2d(8)]
    public partial BatchNorm2dLayer Bn1 { get; }

    [ReLU6]
    public partial ActivationLayer Act1 { get; }

    [Conv2d(8, 16, 1, Bias = false)]
    public partial Conv2dLayer Pointwise { get; }

    [BatchNorm2d(16)]
    public partial BatchNorm2dLayer Bn2 { get; }

    [ReLU]
    public partial ReLULayer Relu2 { get; }

    [Conv2d(16, 16, 3, Padding = 2, Dilation = 2, Groups = 4)]
    public partial Conv2dLayer Dilated { get; }

    [SiLU]
    public partial ActivationLayer Act3 { get; }

    [Conv2d(16, 16, 3, Stride = 2, Padding = 1, Groups = 16)]
    public partial Conv2dLayer StridedDepthwise { get; }

    [AdaptiveAvgPool2d(1)]
    public partial AdaptiveAvgPool2dLayer Gap { get; }

    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(16, 4)]
    public partial LinearLayer Fc { get; }
}

/// <summary>
/// Pools fused after BatchNorm: a standalone BatchNorm2d -> SiLU whose apply pass is the prologue of an
/// average pool (padding not counted), and Conv -> BatchNorm2d -> max pool without an activation.
/// </summary>
[FusedModel(InputShape = new[] { 4, 9, 9 })]
public partial class PooledBnModel
{
    [BatchNorm2d(4)]
    public partial BatchNorm2dLayer Bn0 { get; }

    [SiLU]
    public partial ActivationLayer Act0 { get; }

    [AvgPool2d(3, Stride = 2, Padding = 1, CountIncludePad = false)]
    public partial AvgPool2dLayer Pool0 { get; }

    [Conv2d(4, 6, 3, Padding = 1)]
    public partial Conv2dLayer Conv1 { get; }

    [BatchNorm2d(6)]
    public partial BatchNorm2dLayer Bn1 { get; }

    [MaxPool2d(2)]
    public partial MaxPool2dLayer Pool1 { get; }

    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(24, 3)]
    public partial LinearLayer Fc { get; }
}

/// <summary>
/// Skip connections from the model input: a MobileNetV2 inverted residual (1x1 expand -> depthwise 3x3 -> 1x1
/// project, each with BatchNorm, the add naming the input), then a strided block whose projection skip also starts at
/// the model input (named with <c>nameof</c> of the model).
/// </summary>
[FusedModel(InputShape = new[] { 4, 6, 6 })]
public partial class InputResidualModel
{
    [Conv2d(4, 8, 1, Bias = false)]
    public partial Conv2dLayer Expand { get; }

    [BatchNorm2d(8)]
    public partial BatchNorm2dLayer ExpandBn { get; }

    [ReLU6]
    public partial ActivationLayer ExpandAct { get; }

    [Conv2d(8, 8, 3, Padding = 1, Groups = 8, Bias = false)]
    public partial Conv2dLayer Depthwise { get; }

    [BatchNorm2d(8)]
    public partial BatchNorm2dLayer DepthwiseBn { get; }

    [ReLU6]
    public partial ActivationLayer DepthwiseAct { get; }

    [Conv2d(8, 4, 1, Bias = false)]
    public partial Conv2dLayer Project { get; }

    [BatchNorm2d(4)]
    public partial BatchNorm2dLayer ProjectBn { get; }

    [Residual(ResidualAttribute.ModelInput)]
    public partial ResidualLayer Add { get; }

    [Conv2d(4, 6, 3, Stride = 2, Padding = 1, Bias = false)]
    public partial Conv2dLayer Down { get; }

    [BatchNorm2d(6)]
    public partial BatchNorm2dLayer DownBn { get; }

    [Residual(nameof(InputResidualModel), Projection = true, ProjectionStride = 2)]
    public partial ResidualLayer Skip { get; }

    [ReLU]
    public partial ReLULayer Relu { get; }

    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(54, 3)]
    public partial LinearLayer Fc { get; }
}

/// <summary>A skip connection from the model input as the very first layer (<c>tanh(x + x)</c>), then a linear head.</summary>
[FusedModel(InputShape = new[] { 8 })]
public partial class InputFirstResidualMlp
{
    [Residual(ResidualAttribute.ModelInput)]
    public partial ResidualLayer Twice { get; }

    [Tanh]
    public partial ActivationLayer Act { get; }

    [Linear(8, 3)]
    public partial LinearLayer Fc { get; }

    [Residual(nameof(Fc))]
    public partial ResidualLayer Again { get; }
}
