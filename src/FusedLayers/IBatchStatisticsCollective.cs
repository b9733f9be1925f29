using System;

namespace FusedLayers;

/// <summary>
/// The collectives that synchronised BatchNorm runs across data-parallel replicas (PyTorch's <c>SyncBatchNorm</c>):
/// a gather of every replica's values in replica order and an element-wise float64 sum. Set one on
/// <see cref="ExecutionOptions.StatisticsCollective"/> and the training-mode BatchNorm and BatchRenorm kernels of
/// that model normalise with the statistics of the global batch: between the statistics pass and the apply pass
/// they gather each replica's count, per-channel mean and M2 (one call) and merge them in replica order (Chan's
/// parallel formula in float64; never <c>E[x^2] - E[x]^2</c>; every replica gets bit-identical results), and
/// between the backward sums and the input-gradient pass they sum <c>sum dy</c> and <c>sum dy * xhat</c> (one call).
/// The running variance is updated with the global unbiased variance, from the global count of that gather. So two
/// calls per BatchNorm layer and training step. With none set, nothing of this runs.
/// </summary>
/// <remarks>
/// Every replica must make the same calls in the same order with spans of the same length (they run the same
/// model on batches of any size); an implementation blocks until all replicas have contributed. An
/// implementation may leave the values unchanged (the identity, one replica) when the model is in
/// inference mode, so that a forward on one replica alone never waits for the others.
/// </remarks>
public interface IBatchStatisticsCollective
{
    /// <summary>Replicas taking part in the next call: N, or 1 while the collective is the identity (inference mode).</summary>
    int Replicas { get; }

    /// <summary>Every replica's <paramref name="values"/>, in replica order, into <paramref name="gathered"/>.</summary>
    /// <param name="values">This replica's values (the same length on every replica).</param>
    /// <param name="gathered">Receives <see cref="Replicas"/> x <c>values.Length</c> values.</param>
    void AllGather(ReadOnlySpan<double> values, Span<double> gathered);

    /// <summary>Replaces every element of <paramref name="values"/> with its sum over all replicas.</summary>
    /// <param name="values">This replica's values; receives the sums.</param>
    void AllReduceSum(Span<double> values);
}
