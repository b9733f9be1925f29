using System;
using System.Collections.Generic;
using FusedLayers.Checkpoints;

namespace FusedLayers.Distributed;

/// <summary>
/// Data-parallel training of one model replica per rank, like PyTorch's <c>DistributedDataParallel</c>. At
/// construction every rank checks that all ranks built the same model (<see cref="ModelSchemaMismatchException"/>
/// on every rank otherwise), then takes rank 0's parameters and buffers. A step is: Forward and Backward on this
/// rank's share of the batch (its loss the mean over its own samples), then <see cref="AverageGradients"/>, then
/// the optimizer step, which keeps the replicas identical. With <see cref="DistributedOptions.SyncBatchNorm"/> the
/// BatchNorm layers normalise with the statistics of the global batch.
/// </summary>
/// <remarks>
/// Gradients are averaged after Backward, in buckets, not overlapped with it: the generated Backward is one call with
/// no per-layer completion hook, and MPI.NET 1.4 has no non-blocking allreduce, so overlap would need a second MPI
/// thread (<c>MPI_THREAD_MULTIPLE</c>) for little gain on a handful of local ranks.
/// With N ranks of local batch b, the averaged gradient equals the gradient of the mean loss over the N*b samples;
/// each rank's input gradient is that of its own mean loss (N times the slice of the global one).
/// </remarks>
public sealed class DistributedDataParallel
{
    private readonly GradientBuckets buckets;

    /// <summary>Checks the schema across ranks, broadcasts rank 0's state and prepares the gradient buckets.</summary>
    /// <param name="group">The process group.</param>
    /// <param name="model">This rank's replica.</param>
    /// <param name="options">Options; null for the defaults.</param>
    /// <exception cref="ModelSchemaMismatchException">The ranks' models differ (thrown on every rank).</exception>
    public DistributedDataParallel(ProcessGroup group, IFusedModel model, DistributedOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(model);
        options ??= new DistributedOptions();
        Group = group;
        Model = model;
        SyncBatchNorm = options.SyncBatchNorm;
        ModelSchema.Verify(group, model);
        BroadcastState();
        buckets = new GradientBuckets(model.Parameters, Math.Max(1, options.BucketBytes / sizeof(float)));
        model.Execution.StatisticsCollective = SyncBatchNorm ? new MpiStatisticsCollective(group, model) : null;
    }

    /// <summary>The process group.</summary>
    public ProcessGroup Group { get; }

    /// <summary>This rank's replica.</summary>
    public IFusedModel Model { get; }

    /// <summary>Whether the BatchNorm layers are synchronised.</summary>
    public bool SyncBatchNorm { get; }

    /// <summary>Allreduce calls per <see cref="AverageGradients"/>.</summary>
    public int BucketCount => buckets.Count;

    /// <summary>Gradient floats summed per <see cref="AverageGradients"/>.</summary>
    public long GradientElements => buckets.Elements;

    /// <summary>Replaces every trained parameter's gradient with its mean over the ranks; call after Backward, before the optimizer step.</summary>
    public void AverageGradients() => buckets.Average(Group);

    /// <summary>Copies rank 0's parameters and buffers (running statistics, <c>num_batches_tracked</c>) to every rank.</summary>
    public void BroadcastState()
    {
        foreach (Parameter p in Model.Parameters)
        {
            Group.Broadcast(p.Data);
        }

        foreach (Buffer b in Model.Buffers)
        {
            if (b.ElementType == BufferElementType.Int64)
            {
                Group.Broadcast(b.Int64Data);
            }
            else
            {
                Group.Broadcast(b.FloatData);
            }
        }
    }

    /// <summary>Rank 0 writes the state dict to <paramref name="path"/> (safetensors); every rank returns once it is written.</summary>
    /// <param name="path">File path.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> entries.</param>
    public void SaveCheckpoint(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (Group.IsRoot)
        {
            StateDict.Save(Model, path, metadata);
        }

        Group.Barrier();
    }

    /// <summary>Every rank loads <paramref name="path"/> (strict), after rank 0's save has finished.</summary>
    /// <param name="path">File path.</param>
    /// <returns>The load result.</returns>
    public StateDictLoadResult LoadCheckpoint(string path)
    {
        Group.Barrier();
        return StateDict.Load(Model, path);
    }
}
