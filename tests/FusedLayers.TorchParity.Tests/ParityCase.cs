using System;
using System.Collections.Generic;
using System.Linq;
using FusedLayers.TorchParity.Tests.Models;
using FusedLayers.Tests.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace FusedLayers.TorchParity.Tests;

/// <summary>
/// A generated model and its PyTorch twin: the same layers, in a <c>nn.Sequential</c> with the same
/// names, so that <c>named_parameters()</c> / <c>named_buffers()</c> give the generated model's
/// state-dict keys (<c>Conv.weight</c>, <c>Bn.running_mean</c>, ...). The twin is written by hand from
/// the attributes, not derived from the generated code, so it also checks how the generator read them.
/// </summary>
/// <param name="Name">The model type's name.</param>
/// <param name="Create">Creates the generated model from an initialisation seed.</param>
/// <param name="Torch">Creates the PyTorch module (its weights are overwritten by the generated model's).</param>
/// <param name="Batch">Training batch size used by the tests.</param>
/// <param name="BiasesBeforeTrainingBatchNorm">
/// Conv/Linear biases that feed a BatchNorm using batch statistics, with the BatchNorm's values per
/// channel and sample (H x W, or 1): their gradient is exactly zero in theory (BatchNorm subtracts the
/// batch mean, so a per-channel shift does not change the output) and float32 cancellation noise in
/// practice, on both sides; compared absolutely (<see cref="ParityAssert.BiasBeforeBatchNormPerValue"/>).
/// </param>
/// <param name="InferenceNeedsMoreThanOneSample">
/// True when a BatchNorm with <c>track_running_stats=False</c> sees one value per channel per sample:
/// it normalises with batch statistics in inference too, so a batch of one is refused there as well.
/// </param>
public sealed record ParityCase(
    string Name,
    Func<int, IFusedModel> Create,
    Func<nn.Module<TorchTensor, TorchTensor>> Torch,
    int Batch,
    IReadOnlyDictionary<string, int> BiasesBeforeTrainingBatchNorm,
    bool InferenceNeedsMoreThanOneSample = false)
{
    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>Every model of the shared numeric suite (tests/FusedLayers.TestModels).</summary>
    public static IReadOnlyList<ParityCase> Shared { get; } =
    [
        new(nameof(SeedModel), s => new SeedModel(s), () => Seq(
            ("Conv", nn.Conv2d(3, 64, 3, stride: 1, padding: 1)),
            ("Bn", nn.BatchNorm2d(64)),
            ("Relu", nn.ReLU())), 4, Biases(("Conv.bias", 32 * 32))),
        new(nameof(LinearBnReluModel), s => new LinearBnReluModel(s), () => Seq(
            ("Fc", nn.Linear(20, 16)),
            ("Bn", nn.BatchNorm1d(16)),
            ("Relu", nn.ReLU())), 6, Biases(("Fc.bias", 1))),
        new(nameof(ConvReluModel), s => new ConvReluModel(s), () => Seq(
            ("Conv", nn.Conv2d(3, 8, 3, stride: 2, padding: 1)),
            ("Relu", nn.ReLU())), 3, Biases()),
        new(nameof(BnReluModel), s => new BnReluModel(s), () => Seq(
            ("Bn", nn.BatchNorm2d(4)),
            ("Relu", nn.ReLU())), 3, Biases()),
        new(nameof(TwoBlockCnn), s => new TwoBlockCnn(s), () => Seq(
            ("Conv1", nn.Conv2d(3, 8, 3, padding: 1)),
            ("Bn1", nn.BatchNorm2d(8)),
            ("Relu1", nn.ReLU()),
            ("Conv2", nn.Conv2d(8, 16, 3, stride: 2, padding: 1, bias: false)),
            ("Bn2", nn.BatchNorm2d(16)),
            ("Relu2", nn.ReLU()),
            ("Flat", nn.Flatten()),
            ("Fc", nn.Linear(256, 10))), 4, Biases(("Conv1.bias", 8 * 8))),
        new(nameof(BatchNormOptionsModel), s => new BatchNormOptionsModel(s), () => Seq(
            ("Conv", nn.Conv2d(2, 6, 3, padding: 1)),
            ("BnCumulative", MomentumNone(nn.BatchNorm2d(6))),
            ("Relu", nn.ReLU()),
            ("BnPlain", nn.BatchNorm2d(6, momentum: 0.3, affine: false)),
            ("Flat", nn.Flatten()),
            ("Fc", nn.Linear(150, 8)),
            ("BnBatchOnly", nn.BatchNorm1d(8, eps: 1e-3, track_running_stats: false))), 5, Biases(("Conv.bias", 5 * 5), ("Fc.bias", 1)), InferenceNeedsMoreThanOneSample: true),
        new(nameof(SequenceBnModel), s => new SequenceBnModel(s), () => Seq(
            ("Bn", nn.BatchNorm1d(4)),
            ("Relu", nn.ReLU())), 3, Biases()),
        new(nameof(ActivationCnn), s => new ActivationCnn(s), () => Seq(
            ("Conv1", nn.Conv2d(3, 8, 3, padding: 1)),
            ("Bn1", nn.BatchNorm2d(8)),
            ("Act1", nn.SiLU()),
            ("Conv2", nn.Conv2d(8, 8, 3, stride: 2, padding: 1)),
            ("Act2", nn.GELU(TorchSharp.Modules.GELU.Approximate.tanh)),
            ("Flat", nn.Flatten()),
            ("Fc1", nn.Linear(128, 12)),
            ("Bn2", nn.BatchNorm1d(12)),
            ("Act3", nn.Tanh()),
            ("Fc2", nn.Linear(12, 6)),
            ("Act4", nn.LeakyReLU(0.2))), 5, Biases(("Conv1.bias", 8 * 8), ("Fc1.bias", 1))),
        new(nameof(NormActivationModel), s => new NormActivationModel(s), () => Seq(
            ("Bn", nn.BatchNorm2d(4)),
            ("Act1", nn.ReLU6()),
            ("Act2", nn.GELU()),
            ("Flat", nn.Flatten()),
            ("Fc", nn.Linear(100, 7)),
            ("Act3", nn.Sigmoid())), 3, Biases()),
        new(nameof(HardswishCnn), s => new HardswishCnn(s), () => Seq(
            ("Conv1", nn.Conv2d(3, 8, 3, padding: 1)),
            ("Bn1", nn.BatchNorm2d(8)),
            ("Act1", nn.Hardswish()),
            ("Depthwise", nn.Conv2d(8, 8, 3, stride: 2, padding: 1, groups: 8)),
            ("Act2", nn.Hardswish()),
            ("Flat", nn.Flatten()),
            ("Fc1", nn.Linear(128, 16)),
            ("Act3", nn.Hardswish()),
            ("Fc2", nn.Linear(16, 5))), 4, Biases(("Conv1.bias", 8 * 8))),
        new(nameof(MishCnn), s => new MishCnn(s), () => Seq(
            ("Conv1", nn.Conv2d(3, 8, 3, padding: 1)),
            ("Bn1", nn.BatchNorm2d(8)),
            ("Act1", nn.Mish()),
            ("Conv2", nn.Conv2d(8, 8, 3, stride: 2, padding: 1)),
            ("Act2", nn.Mish()),
            ("Flat", nn.Flatten()),
            ("Fc1", nn.Linear(128, 12)),
            ("Bn2", nn.BatchNorm1d(12)),
            ("Act3", nn.Mish()),
            ("Fc2", nn.Linear(12, 4))), 5, Biases(("Conv1.bias", 8 * 8), ("Fc1.bias", 2))), // Fc1.bias: both sides are float32 noise of ~6e-6 around 0 here (seen 4.6e-6 vs -6.2e-6), past one value's bound
        new(nameof(PoolCnn), s => new PoolCnn(s), () => Seq(
            ("Conv1", nn.Conv2d(3, 8, 3, padding: 1)),
            ("Bn1", nn.BatchNorm2d(8)),
            ("Relu1", nn.ReLU()),
            ("Pool1", nn.MaxPool2d(3, stride: 2, padding: 1)),
            ("Conv2", nn.Conv2d(8, 8, 3, padding: 1)),
            ("Act2", nn.SiLU()),
            ("Pool2", nn.AvgPool2d(3, stride: 1, padding: 1, count_include_pad: false)),
            ("Gap", nn.AdaptiveAvgPool2d(1)),
            ("Flat", nn.Flatten()),
            ("Fc", nn.Linear(8, 5))), 4, Biases(("Conv1.bias", 12 * 12))),
        new(nameof(ResidualCnn), s => new ResidualCnn(s), () => new ResidualCnnTwin(), 3, Biases()),
        new(nameof(ResidualMlp), s => new ResidualMlp(s), () => new ResidualMlpTwin(), 5, Biases(("Fc2.bias", 1))),
        new(nameof(GroupedConvModel), s => new GroupedConvModel(s), () => Seq(
            ("Depthwise", nn.Conv2d(8, 8, 3, padding: 1, groups: 8, bias: false)),
            ("Bn1", nn.BatchNorm2d(8)),
            ("Act1", nn.ReLU6()),
            ("Pointwise", nn.Conv2d(8, 16, 1, bias: false)),
            ("Bn2", nn.BatchNorm2d(16)),
            ("Relu2", nn.ReLU()),
            ("Dilated", nn.Conv2d(16, 16, 3, padding: 2, dilation: 2, groups: 4)),
            ("Act3", nn.SiLU()),
            ("StridedDepthwise", nn.Conv2d(16, 16, 3, stride: 2, padding: 1, groups: 16)),
            ("Gap", nn.AdaptiveAvgPool2d(1)),
            ("Flat", nn.Flatten()),
            ("Fc", nn.Linear(16, 4))), 3, Biases()),
        new(nameof(PooledBnModel), s => new PooledBnModel(s), () => Seq(
            ("Bn0", nn.BatchNorm2d(4)),
            ("Act0", nn.SiLU()),
            ("Pool0", nn.AvgPool2d(3, stride: 2, padding: 1, count_include_pad: false)),
            ("Conv1", nn.Conv2d(4, 6, 3, padding: 1)),
            ("Bn1", nn.BatchNorm2d(6)),
            ("Pool1", nn.MaxPool2d(2)),
            ("Flat", nn.Flatten()),
            ("Fc", nn.Linear(24, 3))), 4, Biases(("Conv1.bias", 5 * 5))),
        new(nameof(SigmoidMlp), s => new SigmoidMlp(s), () => Seq(
            ("Fc1", nn.Linear(12, 10, hasBias: false)),
            ("Bn1", nn.BatchNorm1d(10)),
            ("Act1", nn.Sigmoid()),
            ("Fc2", nn.Linear(10, 10)),
            ("Act2", nn.Sigmoid()),
            ("Fc3", nn.Linear(10, 4))), 6, Biases()),
        new(nameof(FlattenReluLinearModel), s => new FlattenReluLinearModel(s), () => Seq(
            ("Flat", nn.Flatten()),
            ("Relu", nn.ReLU()),
            ("Fc", nn.Linear(48, 5))), 3, Biases()),
        new(nameof(StandaloneBnModel), s => new StandaloneBnModel(s), () => Seq(
            ("Bn", nn.BatchNorm2d(4))), 2, Biases()),
    ];

    /// <summary>The trap models of this project (ExtraModels.cs).</summary>
    public static IReadOnlyList<ParityCase> Traps { get; } =
    [
        new(nameof(BatchStatsOnlyBnModel), s => new BatchStatsOnlyBnModel(s), () => Seq(
            ("Bn", nn.BatchNorm2d(3, track_running_stats: false))), 4, Biases()),
        new(nameof(FeatureBnModel), s => new FeatureBnModel(s), () => Seq(
            ("Bn", nn.BatchNorm1d(3))), 2, Biases()),
        new(nameof(CumulativeBnModel), s => new CumulativeBnModel(s), () => Seq(
            ("Bn", MomentumNone(nn.BatchNorm2d(2)))), 3, Biases()),
    ];

    /// <summary>
    /// The LayerNorm, GroupNorm and InstanceNorm models of the shared suite (NormalizationModels.cs; BatchRenorm has no
    /// PyTorch twin). A conv bias in front of an InstanceNorm, or of a LayerNorm over one channel's plane, has a
    /// gradient of zero in theory, like one in front of a training-mode BatchNorm.
    /// </summary>
    public static IReadOnlyList<ParityCase> Normalizations { get; } =
    [
        new(nameof(GroupNormSiluModel), s => new GroupNormSiluModel(s), () => Seq(
            ("Conv1", nn.Conv2d(3, 8, 3, padding: 1)),
            ("Gn1", nn.GroupNorm(4, 8)),
            ("Act1", nn.SiLU()),
            ("Conv2", nn.Conv2d(8, 4, 3, stride: 2, padding: 1)),
            ("In2", nn.InstanceNorm2d(4))), 3, Biases(("Conv2.bias", 4 * 4))),
        new(nameof(InstanceNormReluModel), s => new InstanceNormReluModel(s), () => Seq(
            ("Conv", nn.Conv2d(3, 6, 3, padding: 1)),
            ("In", nn.InstanceNorm2d(6, affine: true, track_running_stats: true)),
            ("Relu", nn.ReLU()),
            ("Flat", nn.Flatten()),
            ("Fc", nn.Linear(216, 10)),
            ("Ln", nn.LayerNorm([10])),
            ("Act", nn.GELU())), 4, Biases(("Conv.bias", 6 * 6))),
        new(nameof(SequenceNormModel), s => new SequenceNormModel(s), () => Seq(
            ("In", nn.InstanceNorm1d(4, momentum: 0.3, track_running_stats: true)),
            ("Act", nn.LeakyReLU(0.1)),
            ("Gn", nn.GroupNorm(2, 4, eps: 1e-3, affine: false)),
            ("Flat", nn.Flatten()),
            ("Fc", nn.Linear(40, 6))), 3, Biases()),
        new(nameof(LayerNormCnn), s => new LayerNormCnn(s), () => Seq(
            ("Ln0", nn.LayerNorm([2, 6, 6])),
            ("Conv", nn.Conv2d(2, 4, 3, padding: 1)),
            ("Ln1", nn.LayerNorm([6, 6], bias: false)),
            ("Relu", nn.ReLU()),
            ("Flat", nn.Flatten()),
            ("Fc", nn.Linear(144, 5))), 2, Biases(("Conv.bias", 6 * 6))),
        new(nameof(RowNormResidualModel), s => new RowNormResidualModel(s), () => new RowNormResidualTwin(), 3, Biases(("Conv2.bias", 6 * 6))),
    ];

    /// <summary>All cases.</summary>
    public static IEnumerable<ParityCase> All => Shared.Concat(Normalizations).Concat(Traps);

    /// <summary>The shared models on every ISA path, for <c>[MemberData]</c>.</summary>
    public static TheoryData<string, KernelIsa> SharedModelsOnEveryPath
    {
        get
        {
            var data = new TheoryData<string, KernelIsa>();
            foreach (ParityCase c in Shared.Concat(Normalizations))
            {
                foreach (KernelIsa isa in Enum.GetValues<KernelIsa>())
                {
                    data.Add(c.Name, isa);
                }
            }

            return data;
        }
    }

    /// <summary>Every ISA path, for <c>[MemberData]</c>.</summary>
    public static TheoryData<KernelIsa> EveryPath => new(Enum.GetValues<KernelIsa>());

    /// <summary>Looks a case up by name.</summary>
    public static ParityCase Get(string name) => All.Single(c => c.Name == name);

    /// <summary>Creates the generated model with seed <paramref name="seed"/> on path <paramref name="isa"/>.</summary>
    public IFusedModel CreateOn(KernelIsa isa, int seed)
    {
        IFusedModel model = Create(seed);
        model.Execution.MaxIsa = isa;
        return model;
    }

    /// <summary>
    /// PyTorch's <c>momentum=None</c> (cumulative average). TorchSharp 0.107's BatchNorm constructors take
    /// a plain double; the module's nullable <c>momentum</c> property is set after construction.
    /// </summary>
    private static BatchNorm MomentumNone(BatchNorm bn)
    {
        bn.momentum = null;
        return bn;
    }

    private static Dictionary<string, int> Biases(params (string Name, int ValuesPerSample)[] biases) =>
        biases.ToDictionary(b => b.Name, b => b.ValuesPerSample);

    private static Sequential Seq(params (string Name, nn.Module<TorchTensor, TorchTensor> Module)[] layers) => nn.Sequential(layers);
}
