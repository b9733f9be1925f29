using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using FusedLayers.Generator.Tests.Infrastructure;

namespace FusedLayers.Generator.Tests;

/// <summary>
/// Snapshots of the generated source, one model per test (<c>_snapshots/SnapshotTests.{Model}#{HintName}.verified.cs</c>).
/// Each model is valid: the generator reports nothing, adds exactly one source named
/// <c>{Namespace}.{Class}.g.cs</c>, and the output compilation has no error and no warning.
/// To accept changed output: <c>FUSEDLAYERS_ACCEPT_SNAPSHOTS=1 dotnet test tests/FusedLayers.Generator.Tests</c>, then review the diff.
/// </summary>
public sealed class SnapshotTests
{
    [Fact]
    public Task ConvBnRelu()
    {
        // The seed model: Conv2d(3, 64, 3, stride 1, padding 1) -> BatchNorm2d(64) -> ReLU on 3x32x32.
        GeneratorRunOutput run = RunValid(
            """
            using FusedLayers;
            namespace Snapshots;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class ConvBnRelu
            {
                [Conv2d(3, 64, KernelSize = 3, Stride = 1, Padding = 1)] public partial Conv2dLayer Conv { get; }
                [BatchNorm2d(64)] public partial BatchNorm2dLayer Bn { get; }
                [ReLU] public partial ReLULayer Relu { get; }
            }
            """,
            "Snapshots.ConvBnRelu.g.cs");

        return Snapshot.VerifyGeneratorAsync(run);
    }

    [Fact]
    public Task LinearResidual()
    {
        // Linear + Residual kernels without BatchNorm or ReLU (issue 15): the header must say what the kernel holds
        // (no running statistics, no BN-add-ReLU fusion), and a Tanh after an add rides along.
        GeneratorRunOutput run = RunValid(
            """
            using FusedLayers;
            namespace Snapshots;
            [FusedModel(InputShape = new[] { 8 })]
            public partial class LinearResidual
            {
                [Linear(8, 8)] public partial LinearLayer Fc1 { get; }
                [Linear(8, 8)] public partial LinearLayer Fc2 { get; }
                [Residual(nameof(Fc1))] public partial ResidualLayer Add { get; }
                [Linear(8, 8)] public partial LinearLayer Fc3 { get; }
                [Residual(nameof(Add))] public partial ResidualLayer Add2 { get; }
                [Tanh] public partial ActivationLayer Act { get; }
            }
            """,
            "Snapshots.LinearResidual.g.cs");

        return Snapshot.VerifyGeneratorAsync(run);
    }

    [Fact]
    public Task InputResidual()
    {
        // Skip connections from the model input (ResidualAttribute.ModelInput and nameof of the model): the input is
        // saved in training for the add's backward, and the skip gradient joins the input gradient.
        GeneratorRunOutput run = RunValid(
            """
            using FusedLayers;
            namespace Snapshots;
            [FusedModel(InputShape = new[] { 4, 6, 6 })]
            public partial class InputResidual
            {
                [Conv2d(4, 4, 3, Padding = 1, Bias = false)] public partial Conv2dLayer Conv { get; }
                [BatchNorm2d(4)] public partial BatchNorm2dLayer Bn { get; }
                [Residual(ResidualAttribute.ModelInput)] public partial ResidualLayer Add { get; }
                [ReLU] public partial ReLULayer Relu { get; }
                [Conv2d(4, 6, 3, Stride = 2, Padding = 1, Bias = false)] public partial Conv2dLayer Down { get; }
                [BatchNorm2d(6)] public partial BatchNorm2dLayer DownBn { get; }
                [Residual(nameof(InputResidual), Projection = true, ProjectionStride = 2)] public partial ResidualLayer Skip { get; }
            }
            """,
            "Snapshots.InputResidual.g.cs");

        return Snapshot.VerifyGeneratorAsync(run);
    }

    [Fact]
    public Task Activations()
    {
        // Every activation other than ReLU, in every kernel shape: BatchNorm + activation (ReLU6), anchor +
        // BatchNorm + activation (conv and linear), anchor + activation (conv with the GELU behind a Flatten, and
        // linear). An activation alone is pinned by the numeric suite's NormActivationModel.
        GeneratorRunOutput run = RunValid(
            """
            using FusedLayers;
            namespace Snapshots;
            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class Activations
            {
                [BatchNorm2d(3)] public partial BatchNorm2dLayer Bn0 { get; }
                [ReLU6] public partial ActivationLayer Act0 { get; }
                [Conv2d(3, 8, 3, Padding = 1)] public partial Conv2dLayer Conv1 { get; }
                [BatchNorm2d(8)] public partial BatchNorm2dLayer Bn1 { get; }
                [SiLU] public partial ActivationLayer Act1 { get; }
                [Conv2d(8, 8, 3, Stride = 2, Padding = 1)] public partial Conv2dLayer Conv2 { get; }
                [Flatten] public partial FlattenLayer Flat { get; }
                [GELU(Approximate = "tanh")] public partial ActivationLayer Act2 { get; }
                [Linear(128, 12)] public partial LinearLayer Fc1 { get; }
                [BatchNorm1d(12)] public partial BatchNorm1dLayer Bn2 { get; }
                [GELU] public partial ActivationLayer Act3 { get; }
                [Linear(12, 6)] public partial LinearLayer Fc2 { get; }
                [LeakyReLU(NegativeSlope = 0.2)] public partial ActivationLayer Act4 { get; }
                [Linear(6, 3)] public partial LinearLayer Fc3 { get; }
                [Tanh] public partial ActivationLayer Act5 { get; }
                [Linear(3, 2)] public partial LinearLayer Fc4 { get; }
                [Sigmoid] public partial ActivationLayer Act6 { get; }
                [Linear(2, 4)] public partial LinearLayer Fc5 { get; }
                [Hardswish] public partial ActivationLayer Act7 { get; }
                [Linear(4, 3)] public partial LinearLayer Fc6 { get; }
                [BatchNorm1d(3)] public partial BatchNorm1dLayer Bn3 { get; }
                [Mish] public partial ActivationLayer Act8 { get; }
            }
            """,
            "Snapshots.Activations.g.cs");

        return Snapshot.VerifyGeneratorAsync(run);
    }

    [Fact]
    public Task PoolingAndDropout()
    {
        // Pooling and dropout kernels: overlapping padded max pooling, average pooling, global average pooling, dropout.
        GeneratorRunOutput run = RunValid(
            """
            using FusedLayers;
            namespace Snapshots;
            [FusedModel(InputShape = new[] { 3, 12, 12 })]
            public partial class PoolingAndDropout
            {
                [Conv2d(3, 8, 3, Padding = 1)] public partial Conv2dLayer Conv1 { get; }
                [BatchNorm2d(8)] public partial BatchNorm2dLayer Bn1 { get; }
                [ReLU] public partial ReLULayer Relu1 { get; }
                [MaxPool2d(3, Stride = 2, Padding = 1)] public partial MaxPool2dLayer Pool1 { get; }
                [Conv2d(8, 8, 3, Padding = 1)] public partial Conv2dLayer Conv2 { get; }
                [AvgPool2d(2, CountIncludePad = false)] public partial AvgPool2dLayer Pool2 { get; }
                [AdaptiveAvgPool2d(1)] public partial AdaptiveAvgPool2dLayer Gap { get; }
                [Flatten] public partial FlattenLayer Flat { get; }
                [Dropout(0.25)] public partial DropoutLayer Drop { get; }
                [Linear(8, 5)] public partial LinearLayer Fc { get; }
            }
            """,
            "Snapshots.PoolingAndDropout.g.cs");

        return Snapshot.VerifyGeneratorAsync(run);
    }

    [Fact]
    public Task ResidualBlocks()
    {
        // ResNet basic blocks: identity skip (BN + add + ReLU in one pass) and a projected, downsampling skip.
        GeneratorRunOutput run = RunValid(
            """
            using FusedLayers;
            namespace Snapshots;
            [FusedModel(InputShape = new[] { 16, 16, 16 })]
            public partial class ResidualBlocks
            {
                [Conv2d(16, 16, 3, Padding = 1, Bias = false)] public partial Conv2dLayer Stem { get; }
                [BatchNorm2d(16)] public partial BatchNorm2dLayer StemBn { get; }
                [ReLU] public partial ReLULayer StemRelu { get; }
                [Conv2d(16, 16, 3, Padding = 1, Bias = false)] public partial Conv2dLayer Conv1 { get; }
                [BatchNorm2d(16)] public partial BatchNorm2dLayer Bn1 { get; }
                [ReLU] public partial ReLULayer Relu1 { get; }
                [Conv2d(16, 16, 3, Padding = 1, Bias = false)] public partial Conv2dLayer Conv2 { get; }
                [BatchNorm2d(16)] public partial BatchNorm2dLayer Bn2 { get; }
                [Residual(nameof(StemRelu))] public partial ResidualLayer Add1 { get; }
                [ReLU] public partial ReLULayer Relu2 { get; }
                [Conv2d(16, 32, 3, Stride = 2, Padding = 1, Bias = false)] public partial Conv2dLayer Conv3 { get; }
                [BatchNorm2d(32)] public partial BatchNorm2dLayer Bn3 { get; }
                [ReLU] public partial ReLULayer Relu3 { get; }
                [Conv2d(32, 32, 3, Padding = 1, Bias = false)] public partial Conv2dLayer Conv4 { get; }
                [BatchNorm2d(32)] public partial BatchNorm2dLayer Bn4 { get; }
                [Residual(nameof(Relu2), Projection = true, ProjectionStride = 2)] public partial ResidualLayer Down { get; }
                [ReLU] public partial ReLULayer Relu4 { get; }
            }
            """,
            "Snapshots.ResidualBlocks.g.cs");

        return Snapshot.VerifyGeneratorAsync(run);
    }

    [Fact]
    public Task ConvOptions()
    {
        // Depthwise (groups = channels) + pointwise, a dilated grouped convolution.
        GeneratorRunOutput run = RunValid(
            """
            using FusedLayers;
            namespace Snapshots;
            [FusedModel(InputShape = new[] { 32, 28, 28 })]
            public partial class ConvOptions
            {
                [Conv2d(32, 32, 3, Padding = 1, Groups = 32, Bias = false)] public partial Conv2dLayer Depthwise { get; }
                [BatchNorm2d(32)] public partial BatchNorm2dLayer Bn1 { get; }
                [ReLU6] public partial ActivationLayer Act1 { get; }
                [Conv2d(32, 64, 1, Bias = false)] public partial Conv2dLayer Pointwise { get; }
                [BatchNorm2d(64)] public partial BatchNorm2dLayer Bn2 { get; }
                [ReLU] public partial ReLULayer Relu2 { get; }
                [Conv2d(64, 64, 3, Padding = 2, Dilation = 2, Groups = 4)] public partial Conv2dLayer Dilated { get; }
            }
            """,
            "Snapshots.ConvOptions.g.cs");

        return Snapshot.VerifyGeneratorAsync(run);
    }

    [Fact]
    public Task RowNormalizations()
    {
        // LayerNorm, GroupNorm and InstanceNorm in every kernel shape: LayerNorm over [C, H, W] first (no anchor),
        // Conv -> GroupNorm -> SiLU, Conv -> InstanceNorm2d (affine, tracking) -> ReLU, Conv -> InstanceNorm2d with the
        // defaults, Conv -> LayerNorm over the trailing [H, W] (no bias), Linear -> LayerNorm -> GELU.
        GeneratorRunOutput run = RunValid(
            """
            using FusedLayers;
            namespace Snapshots;
            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class RowNormalizations
            {
                [LayerNorm(3, 8, 8)] public partial LayerNormLayer Ln0 { get; }
                [Conv2d(3, 8, 3, Padding = 1)] public partial Conv2dLayer Conv1 { get; }
                [GroupNorm(4, 8)] public partial GroupNormLayer Gn1 { get; }
                [SiLU] public partial ActivationLayer Act1 { get; }
                [Conv2d(8, 8, 3, Stride = 2, Padding = 1)] public partial Conv2dLayer Conv2 { get; }
                [InstanceNorm2d(8, Affine = true, TrackRunningStats = true)] public partial InstanceNorm2dLayer In2 { get; }
                [ReLU] public partial ReLULayer Relu2 { get; }
                [Conv2d(8, 4, 3, Padding = 1)] public partial Conv2dLayer Conv3 { get; }
                [InstanceNorm2d(4)] public partial InstanceNorm2dLayer In3 { get; }
                [Conv2d(4, 4, 3, Padding = 1)] public partial Conv2dLayer Conv4 { get; }
                [LayerNorm(4, 4, Bias = false)] public partial LayerNormLayer Ln4 { get; }
                [Flatten] public partial FlattenLayer Flat { get; }
                [Linear(64, 10)] public partial LinearLayer Fc { get; }
                [LayerNorm(10)] public partial LayerNormLayer Ln5 { get; }
                [GELU] public partial ActivationLayer Act5 { get; }
            }
            """,
            "Snapshots.RowNormalizations.g.cs");

        return Snapshot.VerifyGeneratorAsync(run);
    }

    [Fact]
    public Task RowNormResiduals()
    {
        // Identity skips after LayerNorm, GroupNorm and InstanceNorm join the row pass (issue 11's fusion that used to be
        // FL0301): GroupNorm + add of the model input + ReLU, InstanceNorm + add + SiLU (pre-activation kept), a post-norm
        // LayerNorm + add without activation (the skip gradient is the kernel's dy). (A projection skip after a row
        // normalisation still runs as its own kernel, with FL0301: PlannerTests.)
        GeneratorRunOutput run = RunValid(
            """
            using FusedLayers;
            namespace Snapshots;
            [FusedModel(InputShape = new[] { 4, 6, 6 })]
            public partial class RowNormResiduals
            {
                [Conv2d(4, 4, 3, Padding = 1)] public partial Conv2dLayer Conv1 { get; }
                [GroupNorm(2, 4)] public partial GroupNormLayer Gn1 { get; }
                [Residual(ResidualAttribute.ModelInput)] public partial ResidualLayer Add1 { get; }
                [ReLU] public partial ReLULayer Relu1 { get; }
                [Conv2d(4, 4, 3, Padding = 1)] public partial Conv2dLayer Conv2 { get; }
                [InstanceNorm2d(4, Affine = true)] public partial InstanceNorm2dLayer In2 { get; }
                [Residual(nameof(Relu1))] public partial ResidualLayer Add2 { get; }
                [SiLU] public partial ActivationLayer Act2 { get; }
                [Flatten] public partial FlattenLayer Flat { get; }
                [Linear(144, 16)] public partial LinearLayer Fc1 { get; }
                [Linear(16, 16)] public partial LinearLayer Fc2 { get; }
                [LayerNorm(16)] public partial LayerNormLayer Ln { get; }
                [Residual(nameof(Fc1))] public partial ResidualLayer Add3 { get; }
            }
            """,
            "Snapshots.RowNormResiduals.g.cs");

        return Snapshot.VerifyGeneratorAsync(run);
    }


    [Fact]
    public Task BatchRenorm()
    {
        // BatchRenorm alone, after a convolution with ReLU, after a linear layer without affine and with a smooth activation.
        GeneratorRunOutput run = RunValid(
            """
            using FusedLayers;
            namespace Snapshots;
            [FusedModel(InputShape = new[] { 3, 6, 6 })]
            public partial class BatchRenorm
            {
                [BatchRenorm2d(3, RMax = 1.2, DMax = 0.2, Momentum = 0.3)] public partial BatchRenormLayer Br0 { get; }
                [Conv2d(3, 6, 3, Padding = 1)] public partial Conv2dLayer Conv { get; }
                [BatchRenorm2d(6, RMax = 3, DMax = 5)] public partial BatchRenormLayer Br1 { get; }
                [ReLU] public partial ReLULayer Relu { get; }
                [Flatten] public partial FlattenLayer Flat { get; }
                [Linear(216, 8)] public partial LinearLayer Fc1 { get; }
                [BatchRenorm1d(8, Affine = false)] public partial BatchRenormLayer Br2 { get; }
                [SiLU] public partial ActivationLayer Act { get; }
            }
            """,
            "Snapshots.BatchRenorm.g.cs");

        return Snapshot.VerifyGeneratorAsync(run);
    }


    [Fact]
    public Task LinearBnRelu()
    {
        GeneratorRunOutput run = RunValid(
            """
            using FusedLayers;
            namespace Snapshots;
            [FusedModel(InputShape = new[] { 784 })]
            public partial class LinearBnRelu
            {
                [Linear(784, 256)] public partial LinearLayer Fc { get; }
                [BatchNorm1d(256)] public partial BatchNorm1dLayer Bn { get; }
                [ReLU] public partial ReLULayer Relu { get; }
            }
            """,
            "Snapshots.LinearBnRelu.g.cs");

        return Snapshot.VerifyGeneratorAsync(run);
    }

    [Fact]
    public Task ConvRelu()
    {
        // No BatchNorm: the ReLU rides on the convolution's epilogue.
        GeneratorRunOutput run = RunValid(
            """
            using FusedLayers;
            namespace Snapshots;
            [FusedModel(InputShape = new[] { 3, 16, 16 })]
            public partial class ConvRelu
            {
                [Conv2d(3, 8, 3, Padding = 1)] public partial Conv2dLayer Conv { get; }
                [ReLU] public partial ReLULayer Relu { get; }
            }
            """,
            "Snapshots.ConvRelu.g.cs");

        return Snapshot.VerifyGeneratorAsync(run);
    }

    [Fact]
    public Task BnRelu()
    {
        // A BatchNorm with no anchor before it opens its own kernel (no FL0301: it is the first layer).
        GeneratorRunOutput run = RunValid(
            """
            using FusedLayers;
            namespace Snapshots;
            [FusedModel(InputShape = new[] { 4, 8, 8 })]
            public partial class BnRelu
            {
                [BatchNorm2d(4)] public partial BatchNorm2dLayer Bn { get; }
                [ReLU] public partial ReLULayer Relu { get; }
            }
            """,
            "Snapshots.BnRelu.g.cs");

        return Snapshot.VerifyGeneratorAsync(run);
    }

    [Fact]
    public Task TwoBlockCnn()
    {
        // Conv-BN-ReLU, Conv(stride 2, no bias)-BN-ReLU, Flatten, Linear: 3x16x16 -> 16x16x16 -> 32x8x8 -> 2048 -> 10.
        GeneratorRunOutput run = RunValid(
            """
            using FusedLayers;
            namespace Snapshots;
            [FusedModel(InputShape = new[] { 3, 16, 16 })]
            public partial class TwoBlockCnn
            {
                [Conv2d(3, 16, 3, Padding = 1)] public partial Conv2dLayer Conv1 { get; }
                [BatchNorm2d(16)] public partial BatchNorm2dLayer Bn1 { get; }
                [ReLU] public partial ReLULayer Relu1 { get; }
                [Conv2d(16, 32, 3, Stride = 2, Padding = 1, Bias = false)] public partial Conv2dLayer Conv2 { get; }
                [BatchNorm2d(32)] public partial BatchNorm2dLayer Bn2 { get; }
                [ReLU] public partial ReLULayer Relu2 { get; }
                [Flatten] public partial FlattenLayer Flat { get; }
                [Linear(2048, 10)] public partial LinearLayer Head { get; }
            }
            """,
            "Snapshots.TwoBlockCnn.g.cs");

        return Snapshot.VerifyGeneratorAsync(run);
    }

    [Fact]
    public Task BatchNormOptions()
    {
        // Every non-default BatchNorm option once: cumulative average (momentum=None), no affine, no running stats,
        // plus a custom eps and momentum, and private / internal layer properties.
        GeneratorRunOutput run = RunValid(
            """
            using FusedLayers;
            namespace Snapshots;
            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class BatchNormOptions
            {
                [Conv2d(3, 8, 3, Padding = 1)] private partial Conv2dLayer Conv1 { get; }
                [BatchNorm2d(8, CumulativeAverage = true)] private partial BatchNorm2dLayer Bn1 { get; }
                [ReLU] private partial ReLULayer Relu1 { get; }
                [Conv2d(8, 8, 3, Padding = 1)] internal partial Conv2dLayer Conv2 { get; }
                [BatchNorm2d(8, Affine = false, Eps = 1e-3, Momentum = 0.01)] internal partial BatchNorm2dLayer Bn2 { get; }
                [Flatten] public partial FlattenLayer Flat { get; }
                [Linear(512, 10)] public partial LinearLayer Head { get; }
                [BatchNorm1d(10, TrackRunningStats = false)] public partial BatchNorm1dLayer Bn3 { get; }
            }
            """,
            "Snapshots.BatchNormOptions.g.cs");

        return Snapshot.VerifyGeneratorAsync(run);
    }

    [Fact]
    public Task GlobalNamespaceModel()
    {
        // No namespace: no namespace block in the output and the hint name is just the class name.
        GeneratorRunOutput run = RunValid(
            """
            using FusedLayers;
            [FusedModel(InputShape = new[] { 16 })]
            public partial class GlobalNamespaceModel
            {
                [Linear(16, 8)] public partial LinearLayer Fc { get; }
                [ReLU] public partial ReLULayer Relu { get; }
            }
            """,
            "GlobalNamespaceModel.g.cs");

        Assert.DoesNotContain("namespace", run.SingleSource.Text.Split('\n').Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)), StringComparer.Ordinal);
        return Snapshot.VerifyGeneratorAsync(run);
    }

    [Fact]
    public Task UserConstructor()
    {
        // The user declares a constructor: the generator must not add a parameterless one of its own.
        GeneratorRunOutput run = RunValid(
            """
            using FusedLayers;
            namespace Snapshots;
            [FusedModel(InputShape = new[] { 1, 8, 8 })]
            public partial class UserConstructor
            {
                public UserConstructor(string name)
                {
                    Name = name;
                }

                public string Name { get; }

                [Conv2d(1, 4, 3)] public partial Conv2dLayer Conv { get; }
                [BatchNorm2d(4)] public partial BatchNorm2dLayer Bn { get; }
                [ReLU] public partial ReLULayer Relu { get; }
            }

            public static class Use
            {
                public static UserConstructor Create() => new("net");
            }
            """,
            "Snapshots.UserConstructor.g.cs");

        return Snapshot.VerifyGeneratorAsync(run);
    }

    [Fact]
    public Task NestedNamespace()
    {
        // A dotted, block-scoped namespace, a sealed model and a file with other types in it.
        GeneratorRunOutput run = RunValid(
            """
            namespace Company.Vision.Models
            {
                using FusedLayers;

                internal sealed partial class NestedNamespace
                {
                }

                [FusedModel(InputShape = new[] { 2, 5, 5 })]
                internal sealed partial class NestedNamespace
                {
                    [Conv2d(2, 3, 2)] partial Conv2dLayer Conv { get; }
                    [ReLU] partial ReLULayer Relu { get; }
                    [Flatten] partial FlattenLayer Flat { get; }
                    [Linear(48, 4, Bias = false)] partial LinearLayer Head { get; }
                }
            }
            """,
            "Company.Vision.Models.NestedNamespace.g.cs");

        return Snapshot.VerifyGeneratorAsync(run);
    }

    [Fact]
    public Task BlockComposition()
    {
        // A [FusedBlock] used twice (issue 12 point 1): in-channels inferred from the incoming shape, Planes and Stride from
        // the use, torchvision's downsample only where the shapes change (the second use), state-dict names from
        // [StateName] on the layers and uses ("layer1.0.conv1.weight", "layer1.1.downsample.0.weight"). The expanded
        // layers are fused like declared ones: the second use's conv2 + bn2 + add + relu is one kernel with the projection.
        GeneratorRunOutput run = GeneratorHarness.Run(
            """
            using FusedLayers;
            namespace Snapshots;
            [FusedBlock]
            public partial class Basic
            {
                [Conv2d(BlockParameter.Inferred, BlockParameter.Planes, 3, Stride = BlockParameter.Stride, Padding = 1, Bias = false), StateName("conv1")]
                public partial Conv2dLayer Conv1 { get; }
                [BatchNorm2d(BlockParameter.Planes), StateName("bn1")] public partial BatchNorm2dLayer Bn1 { get; }
                [ReLU, StateName("relu")] public partial ReLULayer Relu1 { get; }
                [Conv2d(BlockParameter.Planes, BlockParameter.Planes, 3, Padding = 1, Bias = false), StateName("conv2")]
                public partial Conv2dLayer Conv2 { get; }
                [BatchNorm2d(BlockParameter.Inferred), StateName("bn2")] public partial BatchNorm2dLayer Bn2 { get; }
                [Residual(ResidualAttribute.BlockInput, AutoProjection = true), StateName("downsample")] public partial ResidualLayer Add { get; }
                [ReLU, StateName("relu")] public partial ReLULayer Relu2 { get; }
            }
            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class BlockComposition
            {
                [Conv2d(3, 4, 3, Padding = 1, Bias = false), StateName("conv1")] public partial Conv2dLayer Stem { get; }
                [BatchNorm2d(4), StateName("bn1")] public partial BatchNorm2dLayer StemBn { get; }
                [ReLU] public partial ReLULayer StemRelu { get; }
                [Block(typeof(Basic), Planes = 4), StateName("layer1.0")] public partial Basic First { get; }
                [Block(typeof(Basic), Planes = 8, Stride = 2), StateName("layer1.1")] public partial Basic Second { get; }
                [AdaptiveAvgPool2d(1)] public partial AdaptiveAvgPool2dLayer Gap { get; }
                [Flatten] public partial FlattenLayer Flat { get; }
                [Linear(8, 5), StateName("fc")] public partial LinearLayer Fc { get; }
            }
            """);
        Assert.Equal(new[] { "Snapshots.Basic.block.g.cs", "Snapshots.BlockComposition.g.cs" }, run.GeneratedSources.Select(s => s.HintName).Order(StringComparer.Ordinal));
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.FormattedCompilationDiagnostics);
        return Snapshot.VerifyGeneratorAsync(run);
    }

    /// <summary>Runs the generator and asserts the invariants every valid model shares.</summary>
    private static GeneratorRunOutput RunValid(string source, string hintName)
    {
        GeneratorRunOutput run = GeneratorHarness.Run(source);

        Assert.Equal(hintName, run.SingleSource.HintName);
        Assert.Empty(run.GeneratorDiagnostics);

        const int shown = 25;
        ImmutableArray<string> problems = run.FormattedCompilationDiagnostics;
        Assert.True(
            problems.IsEmpty,
            $"The output compilation has {problems.Length} error(s) or warning(s):\n  "
            + string.Join("\n  ", problems.Take(shown))
            + (problems.Length > shown ? $"\n  ... and {problems.Length - shown} more" : string.Empty));

        // The header prints the schedule: the generated code must make exactly the calls it lists.
        foreach (object value in IncrementalSteps.Outputs(run.RunResult, TrackingNames.Plan).Select(o => o.Value))
        {
            if (value is FusedLayers.Generator.Planning.FusionPlan plan && plan.Spec.ClassName + ".g.cs" is var suffix && hintName.EndsWith(suffix, StringComparison.Ordinal))
            {
                Assert.Empty(ScheduleConsistency.Mismatches(plan, run.SingleSource.Text));
            }
        }

        return run;
    }
}
