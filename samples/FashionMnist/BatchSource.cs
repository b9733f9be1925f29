using System;
using FusedLayers.Data;

namespace FashionMnist;

/// <summary>
/// The training or test batches: a <see cref="MiniBatchIterator"/> (seeded shuffling, normalisation into
/// reusable buffers) plus, for training, seeded random horizontal flips. Two sources built with the same
/// arguments give the same batches, which is how FusedLayers and PyTorch see identical data with --torch.
/// </summary>
internal sealed class BatchSource
{
    private readonly MiniBatchIterator iterator;
    private readonly SeededRandom? flips;
    private readonly int rows;
    private readonly int columns;

    public BatchSource(IdxDataset data, int batchSize, bool training, ulong seed, bool flip)
    {
        // Training drops the last partial batch (BatchNorm needs more than one sample, and every step
        // then has the same size); the test set is read whole, in file order.
        iterator = new MiniBatchIterator(data, batchSize, Normalization.FashionMnist, shuffle: training, seed: seed, dropLast: training);
        flips = training && flip ? new SeededRandom(seed ^ 0x5DEECE66DUL) : null;
        rows = data.Images.Rows;
        columns = data.Images.Columns;
        Count = training ? iterator.BatchesPerEpoch * batchSize : data.Count;
    }

    public int BatchSize => iterator.BatchSize;

    public int SampleLength => iterator.SampleLength;

    public int BatchesPerEpoch => iterator.BatchesPerEpoch;

    /// <summary>Samples per epoch (without the dropped remainder).</summary>
    public int Count { get; }

    public void StartEpoch() => iterator.StartEpoch();

    /// <summary>Writes the next batch; returns its size, 0 at the end of the epoch.</summary>
    public int Next(float[] images, int[] labels)
    {
        int count = iterator.NextBatch(images, labels);
        if (flips is not null)
        {
            int length = rows * columns;
            for (int i = 0; i < count; i++)
            {
                if ((flips.NextUInt64() & 1) != 0)
                {
                    Span<float> image = images.AsSpan(i * length, length);
                    for (int r = 0; r < rows; r++)
                    {
                        image.Slice(r * columns, columns).Reverse();
                    }
                }
            }
        }

        return count;
    }
}
