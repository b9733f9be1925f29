using System;
using System.Collections.Generic;
using System.Linq;
using FusedLayers.Data;

namespace FusedLayers.Tests.Data;

/// <summary>Mini-batches: every sample once per epoch, seeded orders, partial and dropped last batches, contents, no allocation.</summary>
public class MiniBatchIteratorTests
{
    private static IdxDataset Data(int count)
    {
        // Image i has every pixel equal to i (mod 256), label i % 10: the batch contents identify the samples.
        var pixels = new byte[count * 4];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)(i / 4);
        }

        return new IdxDataset(new IdxImages(pixels, count, 2, 2), Enumerable.Range(0, count).Select(i => i % 10).ToArray());
    }

    [Fact]
    public void Each_epoch_visits_every_sample_once_in_a_new_seeded_order()
    {
        IdxDataset data = Data(23);
        var iterator = new MiniBatchIterator(data, 5, Normalization.None, seed: 11);
        Assert.Equal(5, iterator.BatchesPerEpoch);
        var images = new float[5 * 4];
        var labels = new int[5];
        var orders = new List<int[]>();
        for (int epoch = 0; epoch < 3; epoch++)
        {
            iterator.StartEpoch();
            var seen = new List<int>();
            var sizes = new List<int>();
            int n;
            while ((n = iterator.NextBatch(images, labels)) > 0)
            {
                sizes.Add(n);
                for (int i = 0; i < n; i++)
                {
                    int sample = (int)Math.Round(images[i * 4] * 255f);
                    Assert.All(images.AsSpan(i * 4, 4).ToArray(), v => Assert.Equal(sample / 255f, v));
                    Assert.Equal(sample % 10, labels[i]);
                    seen.Add(sample);
                }
            }

            Assert.Equal([5, 5, 5, 5, 3], sizes);
            Assert.Equal(Enumerable.Range(0, 23), seen.Order());
            Assert.Equal(iterator.Order.ToArray(), seen);
            orders.Add([.. seen]);
            Assert.Equal(0, iterator.NextBatch(images, labels)); // stays at the end
        }

        Assert.NotEqual(orders[0], orders[1]);
        Assert.NotEqual(orders[1], orders[2]);

        var same = new MiniBatchIterator(data, 5, Normalization.None, seed: 11);
        same.StartEpoch();
        Assert.Equal(orders[0], same.Order.ToArray());
        var other = new MiniBatchIterator(data, 5, Normalization.None, seed: 12);
        other.StartEpoch();
        Assert.NotEqual(orders[0], other.Order.ToArray());
    }

    [Fact]
    public void Without_shuffling_the_file_order_is_kept_and_drop_last_skips_the_short_batch()
    {
        var iterator = new MiniBatchIterator(Data(7), 3, Normalization.None, shuffle: false, dropLast: true);
        Assert.Equal(2, iterator.BatchesPerEpoch);
        var images = new float[12];
        var labels = new int[3];
        iterator.StartEpoch();
        Assert.Equal(3, iterator.NextBatch(images, labels));
        Assert.Equal([0, 1, 2], labels);
        Assert.Equal(3, iterator.NextBatch(images, labels));
        Assert.Equal([3, 4, 5], labels);
        Assert.Equal(0, iterator.NextBatch(images, labels));
    }

    [Fact]
    public void Misuse_is_reported()
    {
        var iterator = new MiniBatchIterator(Data(7), 3, Normalization.None);
        Assert.Throws<InvalidOperationException>(() => iterator.NextBatch(new float[12], new int[3]));
        iterator.StartEpoch();
        Assert.Contains("a batch needs 12 (3 x 4)", Assert.Throws<ArgumentException>(() => iterator.NextBatch(new float[11], new int[3])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => iterator.NextBatch(new float[12], new int[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MiniBatchIterator(Data(7), 0, Normalization.None));
        Assert.Contains("use Normalization.None", Assert.Throws<ArgumentException>(() => new MiniBatchIterator(Data(7), 3, default)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Batches_and_epochs_allocate_nothing()
    {
        var iterator = new MiniBatchIterator(Data(100), 16, Normalization.FashionMnist, seed: 1);
        var images = new float[16 * 4];
        var labels = new int[16];
        iterator.StartEpoch();
        iterator.NextBatch(images, labels);
        AllocationAssert.SteadyStateAllocatesNothing(() =>
        {
            for (int epoch = 0; epoch < 2; epoch++)
            {
                iterator.StartEpoch();
                while (iterator.NextBatch(images, labels) > 0)
                {
                }
            }
        });
    }
}
