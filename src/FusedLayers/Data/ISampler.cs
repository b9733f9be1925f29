using System;

namespace FusedLayers.Data;

/// <summary>
/// Which samples an epoch visits and in which order, like PyTorch's <c>Sampler</c>: give one to a
/// <see cref="DataLoader"/> instead of <c>shuffle</c> (for example a distributed sampler that hands each
/// data-parallel replica its own shard).
/// </summary>
public interface ISampler
{
    /// <summary>Indices per epoch (the same every epoch).</summary>
    int Count { get; }

    /// <summary>Writes epoch <paramref name="epoch"/>'s sample indices, in order.</summary>
    /// <param name="epoch">The epoch, 1 for the first (<see cref="DataLoader.Epoch"/> after <see cref="DataLoader.StartEpoch"/>).</param>
    /// <param name="indices">Receives <see cref="Count"/> indices into the data set.</param>
    void Fill(int epoch, Span<int> indices);
}
