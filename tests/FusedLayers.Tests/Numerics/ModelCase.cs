using System;
using System.Collections.Generic;
using System.Linq;
using FusedLayers.Kernels;
using FusedLayers.Reference;
using FusedLayers.Tests.Models;

namespace FusedLayers.Tests.Numerics;

/// <summary>A generated model, its naive reference twin and a training batch size.</summary>
/// <param name="Name">Case name (the model type).</param>
/// <param name="Create">Creates the generated model from a seed.</param>
/// <param name="Reference">Creates the reference chain with the same layer names (weights copied in later).</param>
/// <param name="Batch">Batch size used in the tests.</param>
public sealed record ModelCase(string Name, Func<int, IFusedModel> Create, Func<ReferenceSequential> Reference, int Batch)
{
    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>Every model of the numeric suite.</summary>
    public static IReadOnlyList<ModelCase> All => [.. Core, .. Normalization];

    /// <summary>The Conv/Linear/BatchNorm/activation/pooling/dropout models (TestModels.cs).</summary>
    public static IReadOnlyList<ModelCase> Core { get; } =
    [
        new(nameof(SeedModel), s => new SeedModel(s), () => new ReferenceSequential(
            "seed",
            new ReferenceConv2d("Conv", 3, 64, 3, 1, 1),
            new ReferenceBatchNorm("Bn", 64),
            new ReferenceReLU("Relu")), 2),
        new(nameof(WinogradBlockModel), s => new WinogradBlockModel(s), () => new ReferenceSequential(
            "winograd",
            new ReferenceConv2d("Conv1", 3, 32, 3, 1, 1),
            new ReferenceBatchNorm("Bn1", 32),
            new ReferenceReLU("Relu1"),
            new ReferenceConv2d("Conv2", 32, 32, 3, 1, 1, bias: false),
            new ReferenceBatchNorm("Bn2", 32),
            new ReferenceReLU("Relu2")), 3),
        new(nameof(LinearBnReluModel), s => new LinearBnReluModel(s), () => new ReferenceSequential(
            "linear",
            new ReferenceLinear("Fc", 20, 16),
            new ReferenceBatchNorm("Bn", 16),
            new ReferenceReLU("Relu")), 6),
        new(nameof(ConvReluModel), s => new ConvReluModel(s), () => new ReferenceSequential(
            "convrelu",
            new ReferenceConv2d("Conv", 3, 8, 3, 2, 1),
            new ReferenceReLU("Relu")), 3),
        new(nameof(BnReluModel), s => new BnReluModel(s), () => new ReferenceSequential(
            "bnrelu",
            new ReferenceBatchNorm("Bn", 4),
            new ReferenceReLU("Relu")), 3),
        new(nameof(TwoBlockCnn), s => new TwoBlockCnn(s), () => new ReferenceSequential(
            "cnn",
            new ReferenceConv2d("Conv1", 3, 8, 3, 1, 1),
            new ReferenceBatchNorm("Bn1", 8),
            new ReferenceReLU("Relu1"),
            new ReferenceConv2d("Conv2", 8, 16, 3, 2, 1, bias: false),
            new ReferenceBatchNorm("Bn2", 16),
            new ReferenceReLU("Relu2"),
            new ReferenceFlatten("Flat"),
            new ReferenceLinear("Fc", 256, 10)), 4),
        new(nameof(BatchNormOptionsModel), s => new BatchNormOptionsModel(s), () => new ReferenceSequential(
            "options",
            new ReferenceConv2d("Conv", 2, 6, 3, 1, 1),
            new ReferenceBatchNorm("BnCumulative", 6, momentum: null),
            new ReferenceReLU("Relu"),
            new ReferenceBatchNorm("BnPlain", 6, momentum: 0.3, affine: false),
            new ReferenceFlatten("Flat"),
            new ReferenceLinear("Fc", 150, 8),
            new ReferenceBatchNorm("BnBatchOnly", 8, eps: 1e-3, trackRunningStats: false)), 5),
        new(nameof(SequenceBnModel), s => new SequenceBnModel(s), () => new ReferenceSequential(
            "sequence",
            new ReferenceBatchNorm("Bn", 4),
            new ReferenceReLU("Relu")), 3),
        new(nameof(FlattenReluLinearModel), s => new FlattenReluLinearModel(s), () => new ReferenceSequential(
            "flatrelu",
            new ReferenceFlatten("Flat"),
            new ReferenceReLU("Relu"),
            new ReferenceLinear("Fc", 48, 5)), 3),
        new(nameof(StandaloneBnModel), s => new StandaloneBnModel(s), () => new ReferenceSequential(
            "bn",
            new ReferenceBatchNorm("Bn", 4)), 2),
        new(nameof(ActivationCnn), s => new ActivationCnn(s), () => new ReferenceSequential(
            "activations",
            new ReferenceConv2d("Conv1", 3, 8, 3, 1, 1),
            new ReferenceBatchNorm("Bn1", 8),
            new ReferenceActivation("Act1", Activation.SiLU),
            new ReferenceConv2d("Conv2", 8, 8, 3, 2, 1),
            new ReferenceActivation("Act2", Activation.GeluTanh),
            new ReferenceFlatten("Flat"),
            new ReferenceLinear("Fc1", 128, 12),
            new ReferenceBatchNorm("Bn2", 12),
            new ReferenceActivation("Act3", Activation.Tanh),
            new ReferenceLinear("Fc2", 12, 6),
            new ReferenceActivation("Act4", Activation.LeakyReLU(0.2f))), 5),
        new(nameof(NormActivationModel), s => new NormActivationModel(s), () => new ReferenceSequential(
            "normactivations",
            new ReferenceBatchNorm("Bn", 4),
            new ReferenceActivation("Act1", Activation.ReLU6),
            new ReferenceActivation("Act2", Activation.Gelu),
            new ReferenceFlatten("Flat"),
            new ReferenceLinear("Fc", 100, 7),
            new ReferenceActivation("Act3", Activation.Sigmoid)), 3),
        new(nameof(HardswishCnn), s => new HardswishCnn(s), () => new ReferenceSequential(
            "hardswish",
            new ReferenceConv2d("Conv1", 3, 8, 3, 1, 1),
            new ReferenceBatchNorm("Bn1", 8),
            new ReferenceActivation("Act1", Activation.Hardswish),
            new ReferenceConv2d("Depthwise", 8, 8, 3, 2, 1, groups: 8),
            new ReferenceActivation("Act2", Activation.Hardswish),
            new ReferenceFlatten("Flat"),
            new ReferenceLinear("Fc1", 128, 16),
            new ReferenceActivation("Act3", Activation.Hardswish),
            new ReferenceLinear("Fc2", 16, 5)), 4),
        new(nameof(MishCnn), s => new MishCnn(s), () => new ReferenceSequential(
            "mish",
            new ReferenceConv2d("Conv1", 3, 8, 3, 1, 1),
            new ReferenceBatchNorm("Bn1", 8),
            new ReferenceActivation("Act1", Activation.Mish),
            new ReferenceConv2d("Conv2", 8, 8, 3, 2, 1),
            new ReferenceActivation("Act2", Activation.Mish),
            new ReferenceFlatten("Flat"),
            new ReferenceLinear("Fc1", 128, 12),
            new ReferenceBatchNorm("Bn2", 12),
            new ReferenceActivation("Act3", Activation.Mish),
            new ReferenceLinear("Fc2", 12, 4)), 5),
        new(nameof(PoolCnn), s => new PoolCnn(s), () => new ReferenceSequential(
            "pools",
            new ReferenceConv2d("Conv1", 3, 8, 3, 1, 1),
            new ReferenceBatchNorm("Bn1", 8),
            new ReferenceReLU("Relu1"),
            new ReferenceMaxPool2d("Pool1", 3, stride: 2, padding: 1),
            new ReferenceConv2d("Conv2", 8, 8, 3, 1, 1),
            new ReferenceActivation("Act2", Activation.SiLU),
            new ReferenceAvgPool2d("Pool2", 3, stride: 1, padding: 1, countIncludePad: false),
            new ReferenceAdaptiveAvgPool2d("Gap"),
            new ReferenceFlatten("Flat"),
            new ReferenceLinear("Fc", 8, 5)), 4),
        new(nameof(DropoutMlp), s => new DropoutMlp(s), () => new ReferenceSequential(
            "dropout",
            new ReferenceLinear("Fc1", 10, 16),
            new ReferenceReLU("Relu"),
            new ReferenceDropout("Drop", 0.5),
            new ReferenceLinear("Fc2", 16, 4)), 7),
        new(nameof(ResidualCnn), s => new ResidualCnn(s), () => new ReferenceSequential(
            "resnet",
            new ReferenceConv2d("Stem", 3, 8, 3, 1, 1, bias: false),
            new ReferenceBatchNorm("StemBn", 8),
            new ReferenceReLU("StemRelu"),
            new ReferenceConv2d("Conv1", 8, 8, 3, 1, 1, bias: false),
            new ReferenceBatchNorm("Bn1", 8),
            new ReferenceReLU("Relu1"),
            new ReferenceConv2d("Conv2", 8, 8, 3, 1, 1, bias: false),
            new ReferenceBatchNorm("Bn2", 8),
            new ReferenceResidual("Add1", "StemRelu"),
            new ReferenceReLU("Relu2"),
            new ReferenceConv2d("Conv3", 8, 16, 3, 2, 1, bias: false),
            new ReferenceBatchNorm("Bn3", 16),
            new ReferenceReLU("Relu3"),
            new ReferenceConv2d("Conv4", 16, 16, 3, 1, 1, bias: false),
            new ReferenceBatchNorm("Bn4", 16),
            new ReferenceResidual("Down", "Relu2", 8, 16, 2),
            new ReferenceReLU("Relu4"),
            new ReferenceAdaptiveAvgPool2d("Gap"),
            new ReferenceFlatten("Flat"),
            new ReferenceLinear("Fc", 16, 5)), 3),
        new(nameof(ResidualMlp), s => new ResidualMlp(s), () => new ReferenceSequential(
            "residualmlp",
            new ReferenceLinear("Fc1", 12, 12),
            new ReferenceReLU("Relu1"),
            new ReferenceLinear("Fc2", 12, 12),
            new ReferenceBatchNorm("Bn2", 12),
            new ReferenceResidual("Add1", "Relu1"),
            new ReferenceActivation("Act2", Activation.Tanh),
            new ReferenceResidual("Add2", "Relu1"),
            new ReferenceLinear("Fc3", 12, 3)), 5),
        new(nameof(InputResidualModel), s => new InputResidualModel(s), () => new ReferenceSequential(
            "inputresidual",
            new ReferenceConv2d("Expand", 4, 8, 1, 1, 0, bias: false),
            new ReferenceBatchNorm("ExpandBn", 8),
            new ReferenceActivation("ExpandAct", Activation.ReLU6),
            new ReferenceConv2d("Depthwise", 8, 8, 3, 1, 1, bias: false, groups: 8),
            new ReferenceBatchNorm("DepthwiseBn", 8),
            new ReferenceActivation("DepthwiseAct", Activation.ReLU6),
            new ReferenceConv2d("Project", 8, 4, 1, 1, 0, bias: false),
            new ReferenceBatchNorm("ProjectBn", 4),
            new ReferenceResidual("Add", ResidualAttribute.ModelInput),
            new ReferenceConv2d("Down", 4, 6, 3, 2, 1, bias: false),
            new ReferenceBatchNorm("DownBn", 6),
            new ReferenceResidual("Skip", ResidualAttribute.ModelInput, 4, 6, 2),
            new ReferenceReLU("Relu"),
            new ReferenceFlatten("Flat"),
            new ReferenceLinear("Fc", 54, 3)), 3),
        new(nameof(InputFirstResidualMlp), s => new InputFirstResidualMlp(s), () => new ReferenceSequential(
            "inputfirst",
            new ReferenceResidual("Twice", ResidualAttribute.ModelInput),
            new ReferenceActivation("Act", Activation.Tanh),
            new ReferenceLinear("Fc", 8, 3),
            new ReferenceResidual("Again", "Fc")), 4),
        new(nameof(GroupedConvModel), s => new GroupedConvModel(s), () => new ReferenceSequential(
            "groupedconv",
            new ReferenceConv2d("Depthwise", 8, 8, 3, 1, 1, bias: false, groups: 8),
            new ReferenceBatchNorm("Bn1", 8),
            new ReferenceActivation("Act1", Activation.ReLU6),
            new ReferenceConv2d("Pointwise", 8, 16, 1, bias: false),
            new ReferenceBatchNorm("Bn2", 16),
            new ReferenceReLU("Relu2"),
            new ReferenceConv2d("Dilated", 16, 16, 3, 1, 2, dilation: 2, groups: 4),
            new ReferenceActivation("Act3", Activation.SiLU),
            new ReferenceConv2d("StridedDepthwise", 16, 16, 3, 2, 1, groups: 16),
            new ReferenceAdaptiveAvgPool2d("Gap"),
            new ReferenceFlatten("Flat"),
            new ReferenceLinear("Fc", 16, 4)), 3),
        new(nameof(PooledBnModel), s => new PooledBnModel(s), () => new ReferenceSequential(
            "pooledbn",
            new ReferenceBatchNorm("Bn0", 4),
            new ReferenceActivation("Act0", Activation.SiLU),
            new ReferenceAvgPool2d("Pool0", 3, stride: 2, padding: 1, countIncludePad: false),
            new ReferenceConv2d("Conv1", 4, 6, 3, 1, 1),
            new ReferenceBatchNorm("Bn1", 6),
            new ReferenceMaxPool2d("Pool1", 2),
            new ReferenceFlatten("Flat"),
            new ReferenceLinear("Fc", 24, 3)), 4),
        new(nameof(SigmoidMlp), s => new SigmoidMlp(s), () => new ReferenceSequential(
            "sigmoidmlp",
            new ReferenceLinear("Fc1", 12, 10, bias: false),
            new ReferenceBatchNorm("Bn1", 10),
            new ReferenceActivation("Act1", Activation.Sigmoid),
            new ReferenceLinear("Fc2", 10, 10),
            new ReferenceActivation("Act2", Activation.Sigmoid),
            new ReferenceLinear("Fc3", 10, 4)), 6),
    ];

    /// <summary>The LayerNorm, GroupNorm, InstanceNorm and BatchRenorm models (NormalizationModels.cs).</summary>
    public static IReadOnlyList<ModelCase> Normalization { get; } =
    [
        new(nameof(GroupNormSiluModel), s => new GroupNormSiluModel(s), () => new ReferenceSequential(
            "groupnorm",
            new ReferenceConv2d("Conv1", 3, 8, 3, 1, 1),
            new ReferenceGroupNorm("Gn1", 4, 8),
            new ReferenceActivation("Act1", Activation.SiLU),
            new ReferenceConv2d("Conv2", 8, 4, 3, 2, 1),
            new ReferenceInstanceNorm("In2", 4, 2)), 3),
        new(nameof(InstanceNormReluModel), s => new InstanceNormReluModel(s), () => new ReferenceSequential(
            "instancenorm",
            new ReferenceConv2d("Conv", 3, 6, 3, 1, 1),
            new ReferenceInstanceNorm("In", 6, 2, affine: true, trackRunningStats: true),
            new ReferenceReLU("Relu"),
            new ReferenceFlatten("Flat"),
            new ReferenceLinear("Fc", 216, 10),
            new ReferenceLayerNorm("Ln", [10]),
            new ReferenceActivation("Act", Activation.Gelu)), 4),
        new(nameof(SequenceNormModel), s => new SequenceNormModel(s), () => new ReferenceSequential(
            "sequencenorm",
            new ReferenceInstanceNorm("In", 4, 1, momentum: 0.3, trackRunningStats: true),
            new ReferenceActivation("Act", Activation.LeakyReLU(0.1f)),
            new ReferenceGroupNorm("Gn", 2, 4, eps: 1e-3, affine: false),
            new ReferenceFlatten("Flat"),
            new ReferenceLinear("Fc", 40, 6)), 3),
        new(nameof(LayerNormCnn), s => new LayerNormCnn(s), () => new ReferenceSequential(
            "layernorm",
            new ReferenceLayerNorm("Ln0", [2, 6, 6]),
            new ReferenceConv2d("Conv", 2, 4, 3, 1, 1),
            new ReferenceLayerNorm("Ln1", [6, 6], bias: false),
            new ReferenceReLU("Relu"),
            new ReferenceFlatten("Flat"),
            new ReferenceLinear("Fc", 144, 5)), 2),
        new(nameof(RenormCnn), s => new RenormCnn(s), () => new ReferenceSequential(
            "renorm",
            new ReferenceBatchRenorm("Br0", 3, momentum: 0.3) { RMax = 1.2, DMax = 0.2 },
            new ReferenceConv2d("Conv", 3, 6, 3, 1, 1),
            new ReferenceBatchRenorm("Br1", 6, momentum: 0.1) { RMax = 1.5, DMax = 0.5 },
            new ReferenceReLU("Relu"),
            new ReferenceFlatten("Flat"),
            new ReferenceLinear("Fc1", 216, 8),
            new ReferenceBatchRenorm("Br2", 8, momentum: 0.2, affine: false) { RMax = 2, DMax = 1 },
            new ReferenceActivation("Act", Activation.SiLU),
            new ReferenceLinear("Fc2", 8, 4)), 5),
        new(nameof(RowNormResidualModel), s => new RowNormResidualModel(s), () => new ReferenceSequential(
            "rownormresidual",
            new ReferenceConv2d("Conv1", 4, 4, 3, 1, 1),
            new ReferenceGroupNorm("Gn1", 2, 4),
            new ReferenceResidual("Add1", ResidualAttribute.ModelInput),
            new ReferenceReLU("Relu1"),
            new ReferenceConv2d("Conv2", 4, 4, 3, 1, 1),
            new ReferenceInstanceNorm("In2", 4, 2, affine: true),
            new ReferenceResidual("Add2", "Relu1"),
            new ReferenceActivation("Act2", Activation.SiLU),
            new ReferenceFlatten("Flat"),
            new ReferenceLinear("Fc1", 144, 16),
            new ReferenceLinear("Fc2", 16, 16),
            new ReferenceLayerNorm("Ln", [16]),
            new ReferenceResidual("Add3", "Fc1"),
            new ReferenceLinear("Fc3", 16, 5)), 3),
    ];

    /// <summary>The case names, for <c>[MemberData]</c>.</summary>
    public static TheoryData<string> Names
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (ModelCase c in All)
            {
                data.Add(c.Name);
            }

            return data;
        }
    }

    /// <summary>
    /// Every case on every ISA path (AVX-512, AVX2, scalar; a path the CPU lacks runs emulated, see
    /// <see cref="Paths"/>) at 1 and 2 threads.
    /// </summary>
    public static TheoryData<string, KernelIsa, int> NamesOnEveryPath
    {
        get
        {
            var data = new TheoryData<string, KernelIsa, int>();
            foreach (ModelCase c in All)
            {
                foreach (KernelIsa isa in Enum.GetValues<KernelIsa>())
                {
                    data.Add(c.Name, isa, 1);
                    data.Add(c.Name, isa, 2);
                }
            }

            return data;
        }
    }

    /// <summary>Looks a case up by name.</summary>
    public static ModelCase Get(string name) => All.Single(c => c.Name == name);
}
