using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using FusedLayers.Reference;
using Microsoft.ML.OnnxRuntime;

namespace FusedLayers.Benchmarks.Peers;

/// <summary>
/// ONNX Runtime 1.31.1 (CPU execution provider), inference only, on the same blocks, thread counts and
/// weights as <see cref="BlockBenchmarks"/>: the block built in code as an ONNX graph
/// (<see cref="OnnxBlockModel"/>) with FusedLayers' parameters and running statistics, run with
/// <c>ORT_ENABLE_ALL</c> graph optimisations (which fold BatchNorm into the convolution and fuse the
/// ReLU), <c>Threads</c> intra-op threads, one inter-op thread, sequential execution, and input and
/// output bound to preallocated arrays (no copies, no allocations per run). <see cref="Setup"/> checks the
/// output against FusedLayers' inference output and, for blocks S and L, the naive float64 reference. The
/// ResNet block's graph is <see cref="OnnxResNetModel"/>; the ResNet18 and ResNet18b1 blocks' is FusedLayers' ONNX export of the
/// model, whose input and output names are read from the session.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
public class OnnxRuntimeBenchmarks
{
    private InferenceSession session = null!;
    private RunOptions runOptions = null!;
    private OrtValue inputValue = null!;
    private OrtValue outputValue = null!;
    private float[] output = [];
    private string[] inputNames = [];
    private string[] outputNames = [];
    private OrtValue[] inputValues = [];
    private OrtValue[] outputValues = [];

    /// <summary>Operators of ONNX Runtime's optimised graph per block, as seen by the setups of this process.</summary>
    public static ConcurrentDictionary<string, string> OptimizedGraphs { get; } = new();

    /// <summary>Block: S, R or L (DESIGN.md), or ResNet, ResNet18 or ResNet18b1 (samples/ResNet).</summary>
    [ParamsSource(nameof(Blocks))]
    public string Block { get; set; } = "S";

    /// <summary>The blocks of this run (see <see cref="BlockBenchmarks.Smoke"/>).</summary>
    public static string[] Blocks => BlockBenchmarks.Blocks;

    /// <summary>ONNX Runtime intra-op threads.</summary>
    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; } = 1;

    /// <summary>1 and all cores.</summary>
    public static int[] ThreadCounts => BlockBenchmarks.ThreadCounts;

    /// <summary>Builds the model and the session, runs it once and checks the output.</summary>
    [GlobalSetup]
    public void Setup()
    {
        PeerNative.TuneMalloc();
        PeerBlock data = PeerBlock.Create(Block, Threads);
        byte[] model = OnnxBlockModel.Build(data);
        string optimized = Path.Combine(Path.GetTempPath(), $"fusedlayers-ort-{Environment.ProcessId}-{Block}-{Threads}.onnx");
        using (var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = Threads,
            InterOpNumThreads = 1,
            OptimizedModelFilePath = optimized,
        })
        {
            session = new InferenceSession(model, options);
        }

        try
        {
            OptimizedGraphs[Block] = string.Join(" -> ", OnnxBlockModel.Operators(File.ReadAllBytes(optimized)));
        }
        finally
        {
            File.Delete(optimized);
        }

        runOptions = new RunOptions();
        output = new float[data.Batch * data.Model.OutputLength];
        inputValue = OrtValue.CreateTensorValueFromMemory(data.Input, data.InputShape);
        outputValue = OrtValue.CreateTensorValueFromMemory(output, data.OutputShape);
        // The graph's own names: "x" and "y" for the graphs built in OnnxBlockModel, the exporter's for ResNet18.
        inputNames = [session.InputMetadata.Keys.Single()];
        outputNames = [session.OutputMetadata.Keys.Single()];
        inputValues = [inputValue];
        outputValues = [outputValue];

        OrtInferForward();
        PeerBlock.Check($"ONNX Runtime block {Block} output vs FusedLayers inference", data.InferForward(), output);
        if (Block is "S" or "L")
        {
            // Block R's float64 reference takes tens of seconds, S and L take well under one; the ResNet blocks have none here.
            PeerBlock.Check($"ONNX Runtime block {Block} output vs the naive reference", ReferenceInference(data), output);
        }
    }

    /// <summary>Frees the native objects.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        inputValue?.Dispose();
        outputValue?.Dispose();
        runOptions?.Dispose();
        session?.Dispose();
    }

    /// <summary>ONNX Runtime, inference forward.</summary>
    [Benchmark]
    [BenchmarkCategory("InferForward")]
    public float[] OrtInferForward()
    {
        session.Run(runOptions, inputNames, inputValues, outputNames, outputValues);
        return output;
    }

    private static float[] ReferenceInference(PeerBlock data)
    {
        ReferenceSequential reference = BlockShapes.CreateReference(data.Block, data.Model);
        ReferenceBatchNorm batchNorm = reference.Layers.OfType<ReferenceBatchNorm>().Single();
        float[] mean = data.FloatBuffer("Bn.running_mean"), variance = data.FloatBuffer("Bn.running_var");
        for (int c = 0; c < mean.Length; c++)
        {
            batchNorm.RunningMean![c] = mean[c];
            batchNorm.RunningVar![c] = variance[c];
        }

        reference.Training = false;
        int[] shape = [.. data.InputShape.Select(d => (int)d)];
        return reference.Forward(ReferenceTensor.FromFloats(data.Input, shape)).ToFloats();
    }
}
