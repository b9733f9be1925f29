using System;
using System.Collections.Generic;
using System.Linq;
using FusedLayers;
using FusedLayers.Data;
using FusedLayers.Training;
using FusedLayers.Tests.Models;

namespace FusedLayers.Distributed.TestHost;

/// <summary>What one rank (or the single-process reference) observed: step 0's outputs and gradients, and the state after K steps.</summary>
public sealed class RunResult
{
    /// <summary>Step 0's model output for this process's samples.</summary>
    public float[] Output { get; set; } = [];

    /// <summary>Step 0's input gradient for this process's samples (of this process's mean loss).</summary>
    public float[] InputGrad { get; set; } = [];

    /// <summary>Step 0's parameter gradients (after averaging when distributed).</summary>
    public Dictionary<string, float[]> Grads { get; set; } = [];

    /// <summary>Parameters after the last step.</summary>
    public Dictionary<string, float[]> Weights { get; set; } = [];

    /// <summary>Float buffers (running statistics) after the last step.</summary>
    public Dictionary<string, float[]> Buffers { get; set; } = [];

    /// <summary>Int64 buffers (num_batches_tracked) after the last step.</summary>
    public Dictionary<string, long> Counters { get; set; } = [];

    /// <summary>Synchronised-BatchNorm collectives this rank ran (0 for a single process).</summary>
    public long BatchNormCollectives { get; set; }
}

/// <summary>
/// The training loop the MPI tests run on every rank and, with one process and the whole global batch, as the reference:
/// SGD with momentum on a cross-entropy loss that is the mean over this process's samples, on synthetic batches that are
/// the same on every machine (offset per channel, so that BatchNorm statistics matter).
/// </summary>
public static class TrainingRun
{
    /// <summary>Seed of rank 0's model (other ranks start from other seeds; the broadcast must fix that).</summary>
    public const int RootSeed = 7;

    /// <summary>Learning rate.</summary>
    public const double LearningRate = 0.05;

    /// <summary>Builds a model by scenario name.</summary>
    /// <param name="name"><c>sync</c> (SyncNet), <c>renorm</c> (RenormCnn), <c>plain</c> (ConvReluModel, no BatchNorm) or <c>wide</c>.</param>
    /// <param name="seed">Initialisation seed.</param>
    /// <returns>The model, single-threaded.</returns>
    public static IFusedModel CreateModel(string name, int seed)
    {
        IFusedModel model = name switch
        {
            "sync" => new SyncNet(seed),
            "wide" => new SyncNetWide(seed),
            "renorm" => new RenormCnn(seed),
            "plain" => new ConvReluModel(seed),
            _ => throw new ArgumentException($"Unknown model '{name}' (sync, wide, renorm, plain).", nameof(name)),
        };
        model.Execution.MaxDegreeOfParallelism = 1;
        return model;
    }

    /// <summary>The global batch of step <paramref name="step"/>: inputs and labels.</summary>
    /// <param name="model">The model (shapes).</param>
    /// <param name="globalBatch">Samples.</param>
    /// <param name="step">Step number.</param>
    /// <returns>Inputs <c>[globalBatch, ...InputShape]</c> and labels.</returns>
    public static (float[] Inputs, int[] Labels) GlobalBatch(IFusedModel model, int globalBatch, int step)
    {
        var random = new SeededRandom(1000 + (ulong)step);
        int sample = model.InputLength;
        int channels = model.InputShape[0];
        int plane = sample / channels;
        var x = new float[globalBatch * sample];
        for (int i = 0; i < x.Length; i++)
        {
            int c = i % sample / plane;
            x[i] = (float)(((random.NextDouble() * 2) - 1) * (1 + c) + (0.5 * c) - 0.3);
        }

        int classes = model.OutputLength;
        int[] labels = Enumerable.Range(0, globalBatch).Select(_ => random.NextInt(classes)).ToArray();
        return (x, labels);
    }

    /// <summary>Runs <paramref name="steps"/> SGD steps on samples <c>[rank * b, (rank + 1) * b)</c> of each global batch.</summary>
    /// <param name="model">The model (its state after broadcast, when distributed).</param>
    /// <param name="ddp">The data-parallel wrapper, or null for a single process.</param>
    /// <param name="localBatch">b.</param>
    /// <param name="rank">This process's slice.</param>
    /// <param name="size">Number of slices in the global batch.</param>
    /// <param name="steps">K.</param>
    /// <param name="failAtStep">Throw at this step (the fault scenario), or -1.</param>
    /// <returns>What the tests compare.</returns>
    public static RunResult Train(IFusedModel model, DistributedDataParallel? ddp, int localBatch, int rank, int size, int steps, int failAtStep = -1)
    {
        var result = new RunResult();
        var optimizer = new Sgd(model.Parameters, lr: LearningRate, momentum: 0.9);
        var loss = new CrossEntropyLoss();
        var output = new float[localBatch * model.OutputLength];
        var gradOutput = new float[output.Length];
        var gradInput = new float[localBatch * model.InputLength];
        model.Train();
        for (int step = 0; step < steps; step++)
        {
            if (step == failAtStep)
            {
                throw new InvalidOperationException($"injected fault at step {step}");
            }

            (float[] inputs, int[] labels) = GlobalBatch(model, localBatch * size, step);
            ReadOnlySpan<float> x = inputs.AsSpan(rank * localBatch * model.InputLength, localBatch * model.InputLength);
            ReadOnlySpan<int> y = labels.AsSpan(rank * localBatch, localBatch);
            optimizer.ZeroGrad();
            model.Forward(x, output);
            loss.Compute(output, y, gradOutput);
            model.Backward(gradOutput, gradInput);
            ddp?.AverageGradients();
            if (step == 0)
            {
                result.Output = (float[])output.Clone();
                result.InputGrad = (float[])gradInput.Clone();
                result.Grads = model.Parameters.ToDictionary(p => p.Name, p => (float[])p.Grad.Clone());
            }

            optimizer.Step();
        }

        result.Weights = model.Parameters.ToDictionary(p => p.Name, p => (float[])p.Data.Clone());
        foreach (Buffer b in model.Buffers)
        {
            if (b.ElementType == BufferElementType.Int64)
            {
                result.Counters[b.Name] = b.Int64Data[0];
            }
            else
            {
                result.Buffers[b.Name] = (float[])b.FloatData.Clone();
            }
        }

        return result;
    }
}
