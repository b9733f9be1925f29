using System;
using System.Collections.Generic;

namespace FusedLayers.Data;

/// <summary>
/// Mini-batches of a <see cref="TensorDataset"/> or an <see cref="IdxDataset"/>, like PyTorch's
/// <c>DataLoader(dataset, batch_size, shuffle, drop_last)</c>: each <see cref="StartEpoch"/> draws the
/// epoch's order (a seeded Fisher-Yates shuffle, the same as <see cref="MiniBatchIterator"/> with the same
/// seed, on every machine), and each <see cref="Next"/> copies the next samples, passed through the
/// transforms, into a reused <see cref="DataBatch"/>. Nothing is allocated per batch or per epoch.
/// </summary>
/// <remarks>
/// <para>
/// Hand-over rule: a batch returned by <see cref="Next"/> is the caller's until the next <see cref="Next"/>
/// (or <see cref="Dispose"/>); that call may overwrite it. With <c>prefetch: true</c> the loader owns two
/// buffers: while the caller holds one, a background thread fills the other with the following batch, and
/// <see cref="Next"/> waits for that fill and swaps. The worker never writes the buffer the caller holds, and
/// the batches are the same, bit for bit, as without prefetching. Dispose a prefetching loader to stop its
/// thread (a background thread: it never keeps the process alive).
/// </para>
/// <para>
/// Random transforms draw from a generator re-seeded for every sample from (seed, epoch, sample index), so a
/// sample's augmentation does not depend on the batch size, the order, prefetching or abandoned epochs.
/// The loader is not thread-safe: call it from one thread.
/// </para>
/// </remarks>
public sealed class DataLoader : IDisposable
{
    private const ulong AugmentationStream = 0xA0761D6478BD642FUL;

    private readonly SampleSource source;
    private readonly Compose? transforms;
    private readonly SeededRandom shuffleRandom;
    private readonly SeededRandom augmentRandom = new(0);
    private readonly int[] order;
    private readonly ISampler? sampler;
    private readonly DataBatch[] buffers;
    private readonly BatchPrefetcher? prefetcher;
    private int position;
    private int held = -1;
    private bool started;
    private bool disposed;

    /// <summary>Batches a <see cref="TensorDataset"/>.</summary>
    /// <param name="dataset">The data set (read, never changed).</param>
    /// <param name="batchSize">Samples per batch, at least 1.</param>
    /// <param name="shuffle">Draw a new order every epoch (else the data-set order).</param>
    /// <param name="dropLast">Skip the last batch of an epoch when it is smaller than <paramref name="batchSize"/>.</param>
    /// <param name="seed">Seed of the shuffling and of the random transforms.</param>
    /// <param name="transforms">Per-sample transforms applied in order (none: samples are copied as they are).</param>
    /// <param name="prefetch">Fill the next batch on a background thread while the caller uses the current one.</param>
    /// <param name="sampler">The indices of each epoch (instead of <paramref name="shuffle"/>), or null for all samples.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1.</exception>
    /// <exception cref="ArgumentException">A transform cannot take the sample shape, or a sampler is given together with <paramref name="shuffle"/>.</exception>
    public DataLoader(TensorDataset dataset, int batchSize = 1, bool shuffle = false, bool dropLast = false, ulong seed = 0, IReadOnlyList<ISampleTransform>? transforms = null, bool prefetch = false, ISampler? sampler = null)
        : this(new TensorSampleSource(dataset ?? throw new ArgumentNullException(nameof(dataset))), batchSize, shuffle, dropLast, seed, transforms, prefetch, sampler)
    {
    }

    /// <summary>Batches an <see cref="IdxDataset"/>: pixels become floats <c>[1, H, W]</c> through <paramref name="normalization"/>, then the transforms run.</summary>
    /// <param name="dataset">The data set (read, never changed).</param>
    /// <param name="normalization">Pixel normalisation; <see cref="Normalization.None"/> gives <c>pixel / 255</c>.</param>
    /// <param name="batchSize">Samples per batch, at least 1.</param>
    /// <param name="shuffle">Draw a new order every epoch (else the file order).</param>
    /// <param name="dropLast">Skip the last batch of an epoch when it is smaller than <paramref name="batchSize"/>.</param>
    /// <param name="seed">Seed of the shuffling and of the random transforms.</param>
    /// <param name="transforms">Per-sample transforms applied in order, after the normalisation.</param>
    /// <param name="prefetch">Fill the next batch on a background thread while the caller uses the current one.</param>
    /// <param name="sampler">The indices of each epoch (instead of <paramref name="shuffle"/>), or null for all samples.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1.</exception>
    /// <exception cref="ArgumentException"><c>default(Normalization)</c>, a transform cannot take the sample shape, or a sampler is given together with <paramref name="shuffle"/>.</exception>
    public DataLoader(IdxDataset dataset, Normalization normalization, int batchSize = 1, bool shuffle = false, bool dropLast = false, ulong seed = 0, IReadOnlyList<ISampleTransform>? transforms = null, bool prefetch = false, ISampler? sampler = null)
        : this(IdxSource(dataset, normalization), batchSize, shuffle, dropLast, seed, transforms, prefetch, sampler)
    {
    }

    private DataLoader(SampleSource source, int batchSize, bool shuffle, bool dropLast, ulong seed, IReadOnlyList<ISampleTransform>? transforms, bool prefetch, ISampler? sampler)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (sampler is not null && shuffle)
        {
            throw new ArgumentException("A sampler decides the order itself: pass shuffle: false with it (as PyTorch's DataLoader).", nameof(shuffle));
        }

        this.sampler = sampler;
        int[] inputShape = source.SampleShape;
        this.transforms = transforms is null || transforms.Count == 0 ? null : new Compose(inputShape, transforms);
        int[] sampleShape = this.transforms?.OutputShape ?? inputShape;
        this.source = source;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        Seed = seed;
        Prefetch = prefetch;
        shuffleRandom = new SeededRandom(seed);
        order = new int[sampler?.Count ?? source.Count];
        int capacity = Math.Min(batchSize, Math.Max(source.Count, 1));
        buffers = new DataBatch[prefetch ? 2 : 1];
        for (int b = 0; b < buffers.Length; b++)
        {
            buffers[b] = new DataBatch(capacity, sampleShape, source.TargetLength);
        }

        SampleShape = sampleShape;
        if (prefetch)
        {
            prefetcher = new BatchPrefetcher(Fill);
        }
    }

    /// <summary>Samples per batch (the last batch of an epoch may be smaller unless <see cref="DropLast"/>).</summary>
    public int BatchSize { get; }

    /// <summary>Whether every epoch draws a new order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a last, smaller batch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>Seed of the shuffling and of the random transforms.</summary>
    public ulong Seed { get; }

    /// <summary>Whether the next batch is filled on a background thread.</summary>
    public bool Prefetch { get; }

    /// <summary>Samples per epoch: those of the data set, or the sampler's count.</summary>
    public int Count => order.Length;

    /// <summary>Shape of one sample in a batch, after the transforms (do not modify).</summary>
    public IReadOnlyList<int> SampleShape { get; }

    /// <summary>Batches per epoch (PyTorch's <c>len(loader)</c>).</summary>
    public int BatchesPerEpoch => DropLast ? Count / BatchSize : (Count + BatchSize - 1) / BatchSize;

    /// <summary>Epochs started so far (1 after the first <see cref="StartEpoch"/>).</summary>
    public int Epoch { get; private set; }

    /// <summary>The sample order of the current epoch.</summary>
    public ReadOnlySpan<int> Order => order;

    /// <summary>Starts an epoch: back to the first batch and, when shuffling, a new order. The batch the caller holds stays valid until the next <see cref="Next"/>.</summary>
    /// <exception cref="ObjectDisposedException">The loader was disposed.</exception>
    public void StartEpoch()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (prefetcher is { Pending: true })
        {
            // A batch of the abandoned epoch: nobody will see it, nor what its fill threw.
            try
            {
                prefetcher.Wait();
            }
            catch (Exception)
            {
            }
        }

        if (sampler is not null)
        {
            sampler.Fill(Epoch + 1, order);
            CheckSamplerIndices();
        }
        else
        {
            for (int i = 0; i < order.Length; i++)
            {
                order[i] = i;
            }

            if (Shuffle)
            {
                shuffleRandom.Shuffle(order.AsSpan());
            }
        }

        position = 0;
        started = true;
        Epoch++;
        if (prefetcher is not null && BatchesPerEpoch > 0)
        {
            prefetcher.Begin(buffers[Free], 0, Epoch);
        }
    }

    /// <summary>The next batch of the epoch, or null when the epoch is over (and on every later call until <see cref="StartEpoch"/>).</summary>
    /// <returns>The batch, valid until the next call.</returns>
    /// <exception cref="InvalidOperationException"><see cref="StartEpoch"/> was never called.</exception>
    /// <exception cref="ObjectDisposedException">The loader was disposed.</exception>
    public DataBatch? Next()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (!started)
        {
            throw new InvalidOperationException("Call StartEpoch() before the first Next (it draws the epoch's order).");
        }

        if (position >= BatchesPerEpoch)
        {
            return null;
        }

        int free = Free;
        if (prefetcher is { Pending: true })
        {
            prefetcher.Wait(); // rethrows a failed fill; the position is unchanged and the next call fills synchronously
        }
        else
        {
            Fill(buffers[free], position, Epoch);
        }

        held = free;
        position++;
        if (prefetcher is not null && position < BatchesPerEpoch)
        {
            prefetcher.Begin(buffers[Free], position, Epoch);
        }

        return buffers[held];
    }

    /// <summary>Stops the prefetching thread (waiting for a fill in flight). The last batch handed out is no longer valid.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        prefetcher?.Dispose();
    }

    /// <summary>Throws when the sampler wrote an index outside the data set.</summary>
    private void CheckSamplerIndices()
    {
        foreach (int index in order)
        {
            if ((uint)index >= (uint)source.Count)
            {
                throw new InvalidOperationException($"The sampler gave sample index {index}; the data set has {source.Count} samples (0..{source.Count - 1}).");
            }
        }
    }

    /// <summary>The buffer the caller does not hold.</summary>
    private int Free => buffers.Length == 1 || held != 0 ? 0 : 1;

    private static IdxSampleSource IdxSource(IdxDataset dataset, Normalization normalization)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (!(normalization.Std > 0))
        {
            throw new ArgumentException("The normalisation has a standard deviation of 0 (default(Normalization)?): use Normalization.None for pixel / 255.", nameof(normalization));
        }

        return new IdxSampleSource(dataset, normalization);
    }

    /// <summary>Writes batch <paramref name="batchIndex"/> of epoch <paramref name="epoch"/> into <paramref name="batch"/> (on the caller's or the prefetch thread, never both at once).</summary>
    private void Fill(DataBatch batch, int batchIndex, int epoch)
    {
        int start = batchIndex * BatchSize;
        int count = Math.Min(BatchSize, order.Length - start);
        ulong epochSeed = SeededRandom.Mix(SeededRandom.Mix(Seed ^ AugmentationStream) + (ulong)epoch);
        for (int i = 0; i < count; i++)
        {
            int sample = order[start + i];
            ReadOnlySpan<float> input = source.Sample(sample);
            if (transforms is null)
            {
                input.CopyTo(batch.SampleBuffer(i));
            }
            else
            {
                augmentRandom.Reseed(SeededRandom.Mix(epochSeed + (ulong)sample));
                transforms.Apply(input, batch.SampleBuffer(i), augmentRandom);
            }

            batch.SetLabel(i, source.Label(sample), sample);
            source.Target(sample).CopyTo(batch.TargetBuffer(i));
        }

        batch.Complete(count, epoch, batchIndex);
    }
}
