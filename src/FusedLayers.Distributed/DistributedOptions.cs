using System;

namespace FusedLayers.Distributed;

/// <summary>Options of <see cref="DistributedDataParallel"/>.</summary>
public sealed class DistributedOptions
{
    private int bucketBytes = 4 << 20;

    /// <summary>
    /// Synchronised BatchNorm for every BatchNorm and BatchRenorm layer of the model (PyTorch's
    /// <c>convert_sync_batchnorm</c>): training-mode statistics and backward sums over the global batch. Default false:
    /// each rank normalises with its own batch's statistics and keeps its own running statistics.
    /// </summary>
    public bool SyncBatchNorm { get; set; }

    /// <summary>
    /// Start each gradient bucket's allreduce from Backward as soon as its gradients are final (default true), instead
    /// of all of them in <see cref="DistributedDataParallel.AverageGradients"/>. The sums are the same either way
    /// (bit-identical); only the waiting moves.
    /// </summary>
    public bool OverlapGradients { get; set; } = true;

    /// <summary>Gradient bytes per allreduce call (default 4 MiB; a parameter is never split).</summary>
    public int BucketBytes
    {
        get => bucketBytes;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 4);
            bucketBytes = value;
        }
    }
}
