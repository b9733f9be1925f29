using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using FusedLayers.Data;

namespace FusedLayers.Tests.Data;

/// <summary>Prefetching: the same batches bit for bit as without it, the held batch never overwritten, errors surfaced, no allocation.</summary>
public class DataLoaderPrefetchTests
{
    private static readonly ISampleTransform[] Augment = [new RandomCrop(3, padding: 1), new RandomHorizontalFlip(), new Normalize([0.5f, -0.5f], [2f, 3f])];

    private static List<(int Epoch, int Index, int[] Indices, int[] Labels, float[] Samples, float[] Targets)> Run(DataLoader loader, int epochs, int abandonAfter = int.MaxValue)
    {
        var batches = new List<(int, int, int[], int[], float[], float[])>();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            loader.StartEpoch();
            int taken = 0;
            while ((epoch != 1 || taken < abandonAfter) && loader.Next() is { } b)
            {
                batches.Add((b.Epoch, b.Index, b.Indices.ToArray(), b.Labels.ToArray(), b.Samples.ToArray(), b.Targets.ToArray()));
                taken++;
            }
        }

        return batches;
    }

    [Theory]
    [InlineData(5, false, int.MaxValue)]
    [InlineData(5, true, int.MaxValue)]
    [InlineData(4, true, 2)] // the second epoch is abandoned after two batches (one more was prefetched)
    [InlineData(64, false, int.MaxValue)]
    public void Batches_equal_those_without_prefetching(int batchSize, bool dropLast, int abandonAfter)
    {
        TensorDataset data = DataLoaderTests.Data(23);
        using var plain = new DataLoader(data, batchSize, shuffle: true, dropLast: dropLast, seed: 21, transforms: Augment);
        using var prefetching = new DataLoader(data, batchSize, shuffle: true, dropLast: dropLast, seed: 21, transforms: Augment, prefetch: true);
        Assert.True(prefetching.Prefetch);
        var expected = Run(plain, 3, abandonAfter);
        var actual = Run(prefetching, 3, abandonAfter);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Epoch, actual[i].Epoch);
            Assert.Equal(expected[i].Index, actual[i].Index);
            Assert.Equal(expected[i].Indices, actual[i].Indices);
            Assert.Equal(expected[i].Labels, actual[i].Labels);
            Assert.Equal(expected[i].Samples, actual[i].Samples);
            Assert.Equal(expected[i].Targets, actual[i].Targets);
        }
    }

    [Fact]
    public void The_batch_held_by_the_caller_is_not_overwritten_while_the_next_one_is_filled()
    {
        using var loader = new DataLoader(DataLoaderTests.Data(40), batchSize: 4, shuffle: true, seed: 2, transforms: Augment, prefetch: true);
        loader.StartEpoch();
        DataBatch? previous = null;
        while (loader.Next() is { } batch)
        {
            Assert.NotSame(previous, batch); // two buffers, alternating
            float[] samples = batch.Samples.ToArray();
            int[] indices = batch.Indices.ToArray();
            Thread.Sleep(5); // the worker has time to fill the other buffer
            Assert.Equal(samples, batch.Samples.ToArray());
            Assert.Equal(indices, batch.Indices.ToArray());

            // Starting a new epoch does not touch the held batch either.
            if (batch.Index == 3 && batch.Epoch == 1)
            {
                loader.StartEpoch();
                Thread.Sleep(5);
                Assert.Equal(samples, batch.Samples.ToArray());
                Assert.Equal(1, batch.Epoch);
            }

            previous = batch;
        }

        Assert.Equal(2, loader.Epoch);
    }

    [Fact]
    public void A_transform_that_fails_fails_the_same_call_with_and_without_prefetching()
    {
        List<string> Run(bool prefetch)
        {
            var events = new List<string>();
            using var loader = new DataLoader(DataLoaderTests.Data(12), batchSize: 3, seed: 4, transforms: [new FailOnce(sample: 7)], prefetch: prefetch);
            loader.StartEpoch();
            for (int call = 0; call < 6; call++)
            {
                try
                {
                    DataBatch? batch = loader.Next();
                    events.Add(batch is null ? "end" : string.Join(",", batch.Indices.ToArray()) + ":" + batch.Samples[0]);
                }
                catch (InvalidOperationException e)
                {
                    events.Add(e.Message);
                }
            }

            return events;
        }

        List<string> plain = Run(prefetch: false);
        Assert.Equal(["0,1,2:0", "3,4,5:300", "failed on 7", "6,7,8:600", "9,10,11:900", "end"], plain);
        Assert.Equal(plain, Run(prefetch: true));
    }

    [Fact]
    public void Steady_state_allocates_nothing_on_the_callers_thread()
    {
        using var loader = new DataLoader(DataLoaderTests.Data(100), batchSize: 16, shuffle: true, seed: 1, transforms: Augment, prefetch: true);
        loader.StartEpoch();
        while (loader.Next() is not null)
        {
        }

        AllocationAssert.SteadyStateAllocatesNothing(() =>
        {
            for (int epoch = 0; epoch < 3; epoch++)
            {
                loader.StartEpoch();
                while (loader.Next() is not null)
                {
                }
            }
        });
    }

    [Fact]
    public void Dispose_stops_the_worker_even_with_a_fill_in_flight()
    {
        var loader = new DataLoader(DataLoaderTests.Data(50), batchSize: 5, transforms: Augment, prefetch: true);
        loader.StartEpoch();
        Assert.NotNull(loader.Next());
        loader.Dispose();
        loader.Dispose();
        Assert.Throws<ObjectDisposedException>(() => loader.Next());
    }

    /// <summary>Copies, but throws the first time it sees sample <c>sample</c> (identified by its first value).</summary>
    private sealed class FailOnce(int sample) : ISampleTransform
    {
        private bool failed;

        public int[] OutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

        public void Apply(ReadOnlySpan<float> input, ReadOnlySpan<int> inputShape, Span<float> output, SeededRandom random)
        {
            if (!failed && input[0] == sample * 100)
            {
                failed = true;
                throw new InvalidOperationException($"failed on {sample}");
            }

            input.CopyTo(output);
        }
    }
}
