using System;
using FusedLayers.Data;

namespace FusedLayers.Distributed;

/// <summary>
/// This rank's shard of a data set, like PyTorch's <c>DistributedSampler</c>: each epoch every rank draws the same
/// permutation (seeded by <c>seed + epoch</c>), and rank r takes positions <c>r, r + N, r + 2N, ...</c>, so the shards
/// are disjoint and equal. With <c>dropLast</c> the last <c>count % N</c> positions are left out; without it the
/// permutation is padded from its start (a few samples twice), as PyTorch does. Give it to a
/// <see cref="DataLoader"/> (<c>sampler:</c>) with <c>shuffle: false</c>.
/// </summary>
public sealed class DistributedSampler : ISampler
{
    private readonly int[] permutation;

    /// <summary>Creates the sampler.</summary>
    /// <param name="datasetCount">Samples in the data set.</param>
    /// <param name="rank">This rank.</param>
    /// <param name="size">Number of ranks.</param>
    /// <param name="shuffle">Draw a new permutation every epoch (else the data-set order).</param>
    /// <param name="seed">Seed, the same on every rank.</param>
    /// <param name="dropLast">Drop the tail that does not divide evenly (else pad).</param>
    public DistributedSampler(int datasetCount, int rank, int size, bool shuffle = true, ulong seed = 0, bool dropLast = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        ArgumentOutOfRangeException.ThrowIfNegative(datasetCount);
        if ((uint)rank >= (uint)size)
        {
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"The rank must be in 0..{size - 1}.");
        }

        Rank = rank;
        Size = size;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
        Count = dropLast ? datasetCount / size : (datasetCount + size - 1) / size;
        if (!dropLast && datasetCount == 0)
        {
            Count = 0;
        }

        permutation = new int[datasetCount];
    }

    /// <summary>This rank.</summary>
    public int Rank { get; }

    /// <summary>Number of ranks.</summary>
    public int Size { get; }

    /// <summary>Whether every epoch draws a new permutation.</summary>
    public bool Shuffle { get; }

    /// <summary>Seed of the permutations.</summary>
    public ulong Seed { get; }

    /// <summary>Whether the uneven tail is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>Samples per rank and epoch.</summary>
    public int Count { get; }

    /// <inheritdoc />
    public void Fill(int epoch, Span<int> indices)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(indices.Length, Count, nameof(indices));
        for (int i = 0; i < permutation.Length; i++)
        {
            permutation[i] = i;
        }

        if (Shuffle)
        {
            new SeededRandom(Seed + (ulong)epoch).Shuffle(permutation.AsSpan());
        }

        for (int i = 0; i < Count; i++)
        {
            indices[i] = permutation[(Rank + (i * Size)) % permutation.Length];
        }
    }
}
