using System;
using FusedLayers.Reference;
using ResNet;

namespace FusedLayers.Benchmarks;

/// <summary>
/// The benchmark blocks: S, R and L of DESIGN.md (one fused Conv/Linear -> BatchNorm -> ReLU kernel each)
/// and "ResNet", the whole <see cref="ResNetStage"/> network of samples/ResNet (ResNet-18's stem and two basic
/// blocks at 64 channels, 56x56, 3x224x224 input), and "ResNet18", torchvision's whole ResNet-18 (<see cref="ResNet.ResNet18"/>
/// of samples/ResNet, 1000 classes) at batch 16, and "ResNet18b1", the same network at batch 1, inference only (see
/// <see cref="InferenceOnly"/>). Names, batch sizes, FLOP counts, model and reference factories.
/// </summary>
public static class BlockShapes
{
    /// <summary>
    /// Batch of the ResNet block: 8 images of 3x224x224, 9.3 GFLOP per forward pass, about block R's 7.4
    /// (batch 32 would make every ResNet case 4x longer, and `compare --quick` a quarter of an hour longer on 2 cores).
    /// </summary>
    public const int ResNetBatch = 8;

    /// <summary>
    /// Batch of the ResNet18 block: 16 images of 3x224x224 (the batch the issue asks for, for inference and the
    /// training step), 58 GFLOP per forward pass.
    /// </summary>
    public const int ResNet18Batch = 16;

    /// <summary>
    /// The modes of a training step or a training forward (batch statistics), which <see cref="InferenceOnly"/> blocks
    /// do not run.
    /// </summary>
    public static readonly string[] TrainingModes = ["TrainForward", "TrainStep"];

    /// <summary>
    /// Whether the block is torchvision's whole ResNet-18 (<see cref="ResNet18"/>), at batch 16 ("ResNet18") or 1
    /// ("ResNet18b1"): the same model, peers and ONNX graph.
    /// </summary>
    public static bool IsResNet18(string block) => block is "ResNet18" or "ResNet18b1";

    /// <summary>
    /// Whether only the inference modes (InferForward, InferForwardDirect) run for the block: "ResNet18b1", ResNet-18
    /// at batch 1, the single-image latency case. A training forward or step at batch 1 is no meaningful benchmark for a
    /// BatchNorm network (each BatchNorm normalises over one image's plane; nobody trains that way), so its
    /// <see cref="TrainingModes"/> cases are not created at all (<see cref="BlockModeFilter"/>), as ONNX Runtime has no
    /// training cases, and the <c>compare</c> table has no rows for them.
    /// </summary>
    public static bool InferenceOnly(string block) => block == "ResNet18b1";

    /// <summary>Whether the benchmark mode (a <c>BenchmarkCategory</c>) runs for the block (see <see cref="InferenceOnly"/>).</summary>
    public static bool RunsMode(string block, string mode) => !InferenceOnly(block) || Array.IndexOf(TrainingModes, mode) < 0;

    /// <summary>Batch size of a block.</summary>
    public static int Batch(string block) => block switch
    {
        "S" => 8,
        "R" => 32,
        "L" => 256,
        "ResNet" => ResNetBatch,
        "ResNet18" => ResNet18Batch,
        "ResNet18b1" => 1,
        _ => throw new ArgumentException("Unknown block " + block, nameof(block)),
    };

    /// <summary>
    /// Multiply-add FLOPs (2 per MAC) of the convolution or linear layer's forward pass for the whole
    /// batch; for the ResNet block, of all its convolutions and its linear layer
    /// (<see cref="ResNetStage.ForwardFlopsPerImage"/>, 1.16 GFLOP per image), and likewise for ResNet18
    /// and ResNet18b1 (<see cref="ResNet18.ForwardFlopsPerImage"/>, 3.64 GFLOP per image, from its layer shapes). BatchNorm, ReLU, pooling and
    /// the adds are not counted (they are a few FLOPs per element, memory-bound).
    /// </summary>
    public static double ForwardFlops(string block) => block switch
    {
        "S" => 2.0 * 8 * 64 * 3 * 9 * 32 * 32,
        "R" => 2.0 * 32 * 64 * 64 * 9 * 56 * 56,
        "L" => 2.0 * 256 * 784 * 256,
        "ResNet" => ResNetBatch * ResNetStage.ForwardFlopsPerImage,
        "ResNet18" or "ResNet18b1" => Batch(block) * ResNet18.ForwardFlopsPerImage,
        _ => throw new ArgumentException("Unknown block " + block, nameof(block)),
    };

    /// <summary>FLOPs of one benchmark mode: a training step is forward + input gradient + weight gradient.</summary>
    public static double Flops(string block, string mode) => mode switch
    {
        "TrainStep" => 3 * ForwardFlops(block),
        _ => ForwardFlops(block),
    };

    /// <summary>
    /// Per-sample input and output shapes of the block, without building its model (the <c>memory</c> verb's PyTorch child
    /// must not hold a FusedLayers model; its FusedLayers child checks them against the model's).
    /// </summary>
    public static (int[] Input, int[] Output) SampleShapes(string block) => block switch
    {
        "S" => ([3, 32, 32], [64, 32, 32]),
        "R" => ([64, 56, 56], [64, 56, 56]),
        "L" => ([784], [256]),
        "ResNet" => ([3, 224, 224], [ResNetStage.Classes]),
        "ResNet18" or "ResNet18b1" => ([3, 224, 224], [ResNet18.Classes]),
        _ => throw new ArgumentException("Unknown block " + block, nameof(block)),
    };

    /// <summary>A new generated model for the block.</summary>
    public static IFusedModel CreateModel(string block) => block switch
    {
        "S" => new BlockS(1),
        "R" => new BlockR(1),
        "L" => new BlockL(1),
        "ResNet" => new ResNetStage(1),
        "ResNet18" or "ResNet18b1" => new ResNet18(1),
        _ => throw new ArgumentException("Unknown block " + block, nameof(block)),
    };

    /// <summary>
    /// Whether the suite runs the naive float64 reference of the block: not for the ResNet and ResNet18(b1) blocks,
    /// whose training steps would take minutes per invocation in plain loops (their layers are checked against the
    /// reference and PyTorch in the test projects).
    /// </summary>
    public static bool HasReference(string block) => block is not ("ResNet" or "ResNet18" or "ResNet18b1");

    /// <summary>The naive float64 reference of the block, with the model's weights copied in.</summary>
    public static ReferenceSequential CreateReference(string block, IFusedModel model)
    {
        ReferenceSequential reference = block switch
        {
            "S" => new ReferenceSequential("S", new ReferenceConv2d("Conv", 3, 64, 3, 1, 1), new ReferenceBatchNorm("Bn", 64), new ReferenceReLU("Relu")),
            "R" => new ReferenceSequential("R", new ReferenceConv2d("Conv", 64, 64, 3, 1, 1, bias: false), new ReferenceBatchNorm("Bn", 64), new ReferenceReLU("Relu")),
            "L" => new ReferenceSequential("L", new ReferenceLinear("Fc", 784, 256), new ReferenceBatchNorm("Bn", 256), new ReferenceReLU("Relu")),
            _ => throw new ArgumentException("No naive reference for block " + block, nameof(block)),
        };
        foreach (Parameter parameter in model.Parameters)
        {
            reference.FindParameter(parameter.Name)!.CopyFrom(parameter.Data);
        }

        return reference;
    }
}
