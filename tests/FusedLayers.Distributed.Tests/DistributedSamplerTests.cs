using System;
using System.Collections.Generic;
using System.Linq;
using FusedLayers.Data;

namespace FusedLayers.Distributed.Tests;

/// <summary>The distributed sampler, like PyTorch's: per-epoch seeded permutation, disjoint equal shards, drop_last or padding.</summary>
public sealed class DistributedSamplerTests
{
    private static int[][] Shards(int count, int size, int epoch, bool dropLast = true, ulong seed = 3)
    {
        var shards = new int[size][];
        for (int r = 0; r < size; r++)
        {
            var sampler = new DistributedSampler(count, r, size, shuffle: true, seed: seed, dropLast: dropLast);
            shards[r] = new int[sampler.Count];
            sampler.Fill(epoch, shards[r]);
        }

        return shards;
    }

    [Theory]
    [InlineData(10, 3)]
    [InlineData(12, 2)]
    [InlineData(7, 7)]
    public void With_drop_last_the_shards_are_disjoint_equal_and_drop_only_the_uneven_tail(int count, int size)
    {
        int[][] shards = Shards(count, size, epoch: 1);
        Assert.All(shards, s => Assert.Equal(count / size, s.Length));
        int[] all = shards.SelectMany(s => s).ToArray();
        Assert.Equal(all.Length, all.Distinct().Count());
        Assert.All(all, i => Assert.InRange(i, 0, count - 1));
    }

    [Fact]
    public void Without_drop_last_the_shards_cover_every_sample_padded_from_the_start()
    {
        int[][] shards = Shards(10, 3, epoch: 1, dropLast: false);
        Assert.All(shards, s => Assert.Equal(4, s.Length));
        Assert.Equal(Enumerable.Range(0, 10), shards.SelectMany(s => s).Distinct().Order());
    }

    [Fact]
    public void Every_epoch_draws_a_new_permutation_that_is_the_same_on_every_rank_and_run()
    {
        int[][] first = Shards(100, 4, epoch: 1), again = Shards(100, 4, epoch: 1), second = Shards(100, 4, epoch: 2);
        Assert.Equal(first, again);
        Assert.NotEqual(first[0], second[0]);
        Assert.NotEqual(first[0], Shards(100, 4, epoch: 1, seed: 4)[0]);
    }

    [Fact]
    public void A_data_loader_with_the_sampler_visits_exactly_the_shard_in_its_order()
    {
        var data = new TensorDataset(Enumerable.Range(0, 20).Select(i => (float)i).ToArray(), [1], Enumerable.Range(0, 20).Select(i => i % 3).ToArray());
        var sampler = new DistributedSampler(20, rank: 1, size: 3, seed: 9);
        using var loader = new DataLoader(data, batchSize: 4, dropLast: false, sampler: sampler);
        for (int epoch = 1; epoch <= 2; epoch++)
        {
            loader.StartEpoch();
            var expected = new int[sampler.Count];
            sampler.Fill(epoch, expected);
            var seen = new List<int>();
            while (loader.Next() is { } batch)
            {
                seen.AddRange(batch.Indices.ToArray());
                Assert.Equal(batch.Indices.ToArray().Select(i => (float)i), batch.Samples.ToArray());
            }

            Assert.Equal(expected, seen);
        }
    }

    [Fact]
    public void A_sampler_together_with_shuffle_is_refused()
    {
        var data = new TensorDataset(new float[4], [1], new int[4]);
        ArgumentException e = Assert.Throws<ArgumentException>(() => new DataLoader(data, shuffle: true, sampler: new DistributedSampler(4, 0, 2)));
        Assert.Contains("shuffle: false", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rank_outside_the_group_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(10, rank: 2, size: 2));
    }
}
