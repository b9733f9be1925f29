using System;
using System.Linq;

namespace FusedLayers.Benchmarks.Peers;

/// <summary>
/// What a peer benchmark copies from FusedLayers: the generated model of a block with its initial weights
/// (the same seed as <see cref="BlockBenchmarks"/>), running statistics made non-trivial by one training
/// forward (so that the folded inference BatchNorm is not the identity), and the same input and output
/// gradient as <see cref="BlockBenchmarks"/> (same generator, same order).
/// </summary>
internal sealed class PeerBlock
{
    private PeerBlock(string block, IFusedModel model, int batch, float[] input, float[] gradOutput)
    {
        Block = block;
        Model = model;
        Batch = batch;
        Input = input;
        GradOutput = gradOutput;
    }

    /// <summary>A block of <see cref="BlockBenchmarks.AllBlocks"/> (S, R, L, ResNet, ResNet18 or ResNet18b1).</summary>
    public string Block { get; }

    /// <summary>The FusedLayers model whose parameters and buffers the peer copies.</summary>
    public IFusedModel Model { get; }

    /// <summary>Batch size.</summary>
    public int Batch { get; }

    /// <summary>Input batch, <c>[N, ...InputShape]</c>.</summary>
    public float[] Input { get; }

    /// <summary>Output gradient, <c>[N, ...OutputShape]</c>.</summary>
    public float[] GradOutput { get; }

    /// <summary><c>[N, ...InputShape]</c> as longs.</summary>
    public long[] InputShape => [Batch, .. Model.InputShape.Select(d => (long)d)];

    /// <summary><c>[N, ...OutputShape]</c> as longs.</summary>
    public long[] OutputShape => [Batch, .. Model.OutputShape.Select(d => (long)d)];

    /// <summary>
    /// Builds the block's model and data, and runs one training forward (at the block's batch: for ResNet18b1 the
    /// running statistics come from one image, which only has to make them non-trivial).
    /// </summary>
    public static PeerBlock Create(string block, int threads)
    {
        IFusedModel model = BlockShapes.CreateModel(block);
        model.Execution.MaxDegreeOfParallelism = threads;
        int batch = BlockShapes.Batch(block);
        var random = new Random(1);
        var input = new float[batch * model.InputLength];
        var gradOutput = new float[batch * model.OutputLength];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = (float)((random.NextDouble() * 2) - 1);
        }

        for (int i = 0; i < gradOutput.Length; i++)
        {
            gradOutput[i] = (float)((random.NextDouble() * 2) - 1);
        }

        var result = new PeerBlock(block, model, batch, input, gradOutput);
        result.TrainForward();
        return result;
    }

    /// <summary>FusedLayers' training-mode output (updates its running statistics).</summary>
    public float[] TrainForward()
    {
        var output = new float[Batch * Model.OutputLength];
        Model.Train();
        Model.Forward(Input, output);
        return output;
    }

    /// <summary>FusedLayers' inference-mode output.</summary>
    public float[] InferForward()
    {
        var output = new float[Batch * Model.OutputLength];
        Model.Eval();
        Model.Forward(Input, output);
        return output;
    }

    /// <summary>A parameter's data by PyTorch name (<c>Conv.weight</c>, <c>Bn.bias</c>, ...).</summary>
    public float[] Parameter(string name) =>
        Model.Parameters.FirstOrDefault(p => p.Name == name)?.Data ?? throw new ArgumentException($"Block {Block} has no parameter {name}.", nameof(name));

    /// <summary>A float buffer's data by PyTorch name (<c>Bn.running_mean</c>, <c>Bn.running_var</c>).</summary>
    public float[] FloatBuffer(string name) =>
        Model.Buffers.FirstOrDefault(b => b.Name == name)?.FloatData ?? throw new ArgumentException($"Block {Block} has no buffer {name}.", nameof(name));

    /// <summary>
    /// Throws unless <paramref name="actual"/> matches <paramref name="expected"/> to
    /// <paramref name="tolerance"/> relative to the largest expected magnitude.
    /// </summary>
    public static void Check(string what, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance = 1e-3)
    {
        if (expected.Length != actual.Length)
        {
            throw new InvalidOperationException($"{what}: {actual.Length} values, expected {expected.Length}.");
        }

        double scale = 0, worst = 0;
        int worstIndex = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs((double)expected[i]));
            double difference = Math.Abs((double)actual[i] - expected[i]);
            if (!(difference <= worst))
            {
                worst = difference;
                worstIndex = i;
            }
        }

        double relative = worst / Math.Max(scale, 1e-30);
        if (!(relative <= tolerance))
        {
            throw new InvalidOperationException(
                $"{what}: off by {relative:G3} relative to the largest magnitude {scale:G4} (tolerance {tolerance:G3}); " +
                $"worst at {worstIndex}: {actual[worstIndex]} vs {expected[worstIndex]}.");
        }
    }
}
