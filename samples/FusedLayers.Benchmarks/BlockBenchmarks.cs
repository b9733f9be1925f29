using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace FusedLayers.Benchmarks;

/// <summary>
/// The generated code on blocks S, R, L, ResNet, ResNet18 and ResNet18b1 (see <see cref="BlockShapes"/>), in three modes: training forward, a training step (forward +
/// backward with input and parameter gradients) and inference forward (also with the direct convolution forced); at 1 thread and at all cores.
/// ResNet18b1 (batch 1) runs the inference modes only: <see cref="BlockModeFilter"/> drops its training cases.
/// The FMA-peak microbenchmark runs in the same process at the same thread count for the "% of peak"
/// column; <see cref="ReferenceBenchmarks"/> gives the naive reference's time for the speed-up column.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
public class BlockBenchmarks
{
    private IFusedModel model = null!;
    private FusedLayers.Training.Sgd optimizer = null!;
    private float[] input = [];
    private float[] output = [];
    private float[] gradOutput = [];
    private float[] gradInput = [];
    private readonly FmaPeak peak = new();

    /// <summary>Block: S, R or L (DESIGN.md), or ResNet, ResNet18 or ResNet18b1 (samples/ResNet).</summary>
    [ParamsSource(nameof(Blocks))]
    public string Block { get; set; } = "S";

    /// <summary>
    /// Set by <c>--smoke</c> (CI): blocks S and L, whose naive-reference rows take seconds (block R's
    /// reference takes minutes; the generated code for R is the same kernels at other sizes), and ResNet18b1,
    /// torchvision's ResNet-18 at batch 1, inference only: its setups build the model, torchvision's resnet18 and
    /// the ONNX Runtime session of the export and cross-check their outputs (about 10 s on 2 cores). The ResNet
    /// and ResNet18 blocks (seconds per training step) are left out of the smoke run; their generated code is
    /// tested in the test projects (ResidualCnn, ResNet18ParityTests).
    /// </summary>
    public static bool Smoke { get; set; }

    /// <summary>Every block of a full run, in table order.</summary>
    public static string[] AllBlocks { get; } = ["S", "R", "L", "ResNet", "ResNet18", "ResNet18b1"];

    /// <summary>
    /// Set by <c>--blocks</c> (a comma list of <see cref="AllBlocks"/>, see <see cref="BlockSelection"/>): only
    /// these blocks run; null for every block (or the smoke blocks).
    /// </summary>
    public static string[]? Selection { get; set; }

    /// <summary>The blocks of this run.</summary>
    public static string[] Blocks => Selection ?? (Smoke ? SmokeBlocks : AllBlocks);

    /// <summary>The blocks of a <c>--smoke</c> run without <c>--blocks</c> (see <see cref="Smoke"/>).</summary>
    public static string[] SmokeBlocks { get; } = ["S", "L", "ResNet18b1"];

    /// <summary>Threads for the generated kernels (the reference is single-threaded).</summary>
    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; } = 1;

    /// <summary>1 and all cores.</summary>
    public static int[] ThreadCounts => Environment.ProcessorCount > 1 ? [1, Environment.ProcessorCount] : [1];

    /// <summary>Creates the model, its reference twin and the data.</summary>
    [GlobalSetup]
    public void Setup()
    {
        model = BlockShapes.CreateModel(Block);
        model.Execution.MaxDegreeOfParallelism = Threads;
        int batch = BlockShapes.Batch(Block);
        var random = new Random(1);
        input = new float[batch * model.InputLength];
        gradOutput = new float[batch * model.OutputLength];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = (float)((random.NextDouble() * 2) - 1);
        }

        for (int i = 0; i < gradOutput.Length; i++)
        {
            gradOutput[i] = (float)((random.NextDouble() * 2) - 1);
        }

        output = new float[gradOutput.Length];
        gradInput = new float[input.Length];

        // The training step's update: plain SGD at learning rate 0, so the weights (and every iteration's work) stay the
        // same while the update's arithmetic over every parameter still runs, as in TorchSharpBenchmarks.TorchTrainStep.
        optimizer = new FusedLayers.Training.Sgd(model.Parameters, lr: 0.0);
    }

    /// <summary>Generated code, training forward.</summary>
    [Benchmark]
    [BenchmarkCategory("TrainForward")]
    public float[] FusedTrainForward()
    {
        model.Train();
        model.Forward(input, output);
        return output;
    }

    /// <summary>
    /// Generated code, a training step: zero the gradients, forward, backward (input and parameter gradients), SGD update
    /// (learning rate 0: the update runs over every parameter, the weights stay put), as a PyTorch loop's
    /// <c>zero_grad(); loss.backward(); optimizer.step()</c>.
    /// </summary>
    [Benchmark]
    [BenchmarkCategory("TrainStep")]
    public float[] FusedTrainStep()
    {
        model.Train();
        optimizer.ZeroGrad();
        model.Forward(input, output);
        model.Backward(gradOutput, gradInput);
        optimizer.Step();
        return gradInput;
    }

    /// <summary>Generated code, inference forward (BatchNorm folded, ReLU epilogue).</summary>
    [Benchmark]
    [BenchmarkCategory("InferForward")]
    public float[] FusedInferForward()
    {
        model.Eval();
        model.Forward(input, output);
        return output;
    }

    /// <summary>
    /// Generated code, inference forward with every convolution forced to the direct algorithm (the other cases run
    /// <see cref="ConvAlgorithm.Auto"/>, which picks Winograd F(4x4, 3x3) for block R's and the ResNet block's 64-channel
    /// 3x3 layers): Auto against direct in the same run.
    /// </summary>
    [Benchmark]
    [BenchmarkCategory("InferForwardDirect")]
    public float[] FusedInferForwardDirect()
    {
        model.Eval();
        model.Execution.ConvAlgorithm = ConvAlgorithm.Direct;
        model.Forward(input, output);
        model.Execution.ConvAlgorithm = ConvAlgorithm.Auto;
        return output;
    }

    /// <summary>The FMA peak at this thread count.</summary>
    [Benchmark(Description = "FMA peak")]
    [BenchmarkCategory("FmaPeak")]
    public void FmaPeakChains() => peak.Run(Threads);
}
