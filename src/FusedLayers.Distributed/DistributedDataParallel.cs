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
/// Gradients are summed in buckets formed from the last parameter backwards. With
/// <see cref="DistributedOptions.OverlapGradients"/> (the default) Backward's gradient hook starts each bucket's
/// non-blocking allreduce as soon as its gradients are final, while Backward goes on with the earlier layers;
/// <see cref="AverageGradients"/> waits for the rest. For gradient accumulation run every micro-batch but the last
/// inside <see cref="NoSync"/> (PyTorch's <c>no_sync</c>); a second Backward without it is still correct (the buckets
/// already sent are summed again), only slower. An eval-mode Backward (<c>Eval(withGradients: true)</c>) starts nothing.
/// A bucket takes its gradients when it starts: change <c>Grad</c> only after <see cref="AverageGradients"/> (clipping,
/// as in PyTorch, comes after averaging).
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
        buckets = new GradientBuckets(group, model, Math.Max(1, options.BucketBytes / sizeof(float)));
        model.Execution.StatisticsCollective = SyncBatchNorm ? new MpiStatisticsCollective(group, model) : null;
        OverlapGradients = options.OverlapGradients;
        model.Execution.GradientObserver = OverlapGradients ? buckets : null;
    }

    /// <summary>The process group.</summary>
    public ProcessGroup Group { get; }

    /// <summary>This rank's replica.</summary>
    public IFusedModel Model { get; }

    /// <summary>Whether the BatchNorm layers are synchronised.</summary>
    public bool SyncBatchNorm { get; }

    /// <summary>Whether gradient buckets start their allreduce during Backward.</summary>
    public bool OverlapGradients { get; }

    /// <summary>Buckets whose allreduce started during the last Backward (before <see cref="AverageGradients"/>).</summary>
    public int BucketsStartedDuringBackward { get; private set; }

    /// <summary>Allreduce calls per <see cref="AverageGradients"/>.</summary>
    public int BucketCount => buckets.Count;

    /// <summary>Gradient floats summed per <see cref="AverageGradients"/>.</summary>
    public long GradientElements => buckets.Elements;

    /// <summary>Replaces every trained parameter's gradient with its mean over the ranks; call after Backward, before the optimizer step.</summary>
    public void AverageGradients()
    {
        BucketsStartedDuringBackward = buckets.StartedDuringBackward;
        buckets.Average();
    }

    /// <summary>
    /// Until the result is disposed, Backward starts no gradient allreduce (PyTorch's <c>no_sync</c>): run every
    /// micro-batch of an accumulated step but the last inside it, then Backward on the last and <see cref="AverageGradients"/>.
    /// </summary>
    /// <returns>Dispose it to turn synchronisation back on.</returns>
    public IDisposable NoSync()
    {
        buckets.Enabled = false;
        return new SyncRestorer(buckets);
    }

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

    private sealed class SyncRestorer(GradientBuckets buckets) : IDisposable
    {
        public void Dispose() => buckets.Enabled = true;
    }
}
