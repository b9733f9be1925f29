using System;
using System.Linq;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using FusedLayers.Reference;

namespace FusedLayers.Benchmarks;

/// <summary>
/// The naive float64 reference (<c>FusedLayers.Reference</c>: plain loops, single-threaded) on the same
/// blocks and modes as <see cref="BlockBenchmarks"/>. Block R's training step takes over a minute here,
/// so this class runs one warm-up and three single-invocation iterations; its means feed the
/// "x vs reference" column of the generated-code rows.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3, invocationCount: 1)]
public class ReferenceBenchmarks
{
    private ReferenceSequential reference = null!;
    private ReferenceTensor input = null!;
    private ReferenceTensor gradOutput = null!;

    /// <summary>Reference block: S, R or L (the ResNet block has no reference rows, see <see cref="BlockShapes.HasReference"/>).</summary>
    [ParamsSource(nameof(Blocks))]
    public string Block { get; set; } = "S";

    /// <summary>The blocks of this run that have a reference (see <see cref="BlockBenchmarks.Smoke"/>).</summary>
    public static string[] Blocks => [.. BlockBenchmarks.Blocks.Where(BlockShapes.HasReference)];

    /// <summary>Builds the reference with the generated model's initial weights, and the data.</summary>
    [GlobalSetup]
    public void Setup()
    {
        IFusedModel model = BlockShapes.CreateModel(Block);
        reference = BlockShapes.CreateReference(Block, model);
        int batch = BlockShapes.Batch(Block);
        var random = new Random(1);
        var x = new double[batch * model.InputLength];
        var dy = new double[batch * model.OutputLength];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (random.NextDouble() * 2) - 1;
        }

        for (int i = 0; i < dy.Length; i++)
        {
            dy[i] = (random.NextDouble() * 2) - 1;
        }

        input = new ReferenceTensor(x, [batch, .. model.InputShape]);
        gradOutput = new ReferenceTensor(dy, [batch, .. model.OutputShape]);
    }

    /// <summary>Training forward.</summary>
    [Benchmark]
    [BenchmarkCategory("TrainForward")]
    public ReferenceTensor ReferenceTrainForward()
    {
        reference.Training = true;
        return reference.Forward(input);
    }

    /// <summary>Forward + backward.</summary>
    [Benchmark]
    [BenchmarkCategory("TrainStep")]
    public ReferenceTensor ReferenceTrainStep()
    {
        reference.Training = true;
        reference.Forward(input);
        return reference.Backward(gradOutput);
    }

    /// <summary>Inference forward.</summary>
    [Benchmark]
    [BenchmarkCategory("InferForward")]
    public ReferenceTensor ReferenceInferForward()
    {
        reference.Training = false;
        return reference.Forward(input);
    }
}
