using System;

namespace FusedLayers;

/// <summary>
/// The collective that synchronised BatchNorm runs across data-parallel replicas (PyTorch's <c>SyncBatchNorm</c>):
/// an element-wise float64 sum over every replica. Set one on <see cref="ExecutionOptions.StatisticsCollective"/>
/// and the training-mode BatchNorm and BatchRenorm kernels of that model normalise with the statistics of the
/// global batch: between the statistics pass and the apply pass they sum each channel's count, sum and squared
/// deviations about the global mean (two calls; never <c>E[x^2] - E[x]^2</c>), and between the backward sums and
/// the input-gradient pass they sum <c>sum dy</c> and <c>sum dy * xhat</c> (one call). The running variance is
/// updated with the global unbiased variance (one more call for the global count). With none set, nothing of
/// this runs.
/// </summary>
/// <remarks>
/// Every replica must make the same calls in the same order with spans of the same length (they run the same
/// model on batches of any size); an implementation blocks until all replicas have contributed. An
/// implementation may leave the values unchanged (the identity, one replica) when the model is in
/// inference mode, so that a forward on one replica alone never waits for the others.
/// </remarks>
public interface IBatchStatisticsCollective
{
    /// <summary>Replaces every element of <paramref name="values"/> with its sum over all replicas.</summary>
    /// <param name="values">This replica's values; receives the sums.</param>
    void AllReduceSum(Span<double> values);
}
