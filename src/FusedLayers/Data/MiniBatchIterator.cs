using System;

namespace FusedLayers.Data;

/// <summary>
/// Mini-batches of an <see cref="IdxDataset"/>, like a PyTorch <c>DataLoader</c> over it: each
/// <see cref="StartEpoch"/> draws a new order (seeded Fisher-Yates, when shuffling), and each
/// <see cref="NextBatch"/> writes the next samples, normalised to float <c>[B, 1, H, W]</c>, and their labels
/// into buffers the caller owns and reuses. Nothing is allocated per batch or per epoch.
/// </summary>
public sealed class MiniBatchIterator
{
    private readonly IdxDataset data;
    private readonly int[] order;
    private readonly SeededRandom random;
    private int position;
    private bool started;

    /// <summary>Creates the iterator.</summary>
    /// <param name="data">The data set.</param>
    /// <param name="batchSize">Samples per batch, at least 1.</param>
    /// <param name="normalization">Pixel normalisation.</param>
    /// <param name="shuffle">Draw a new random order every epoch (else the file order).</param>
    /// <param name="seed">Seed of the shuffling; the same seed gives the same batches.</param>
    /// <param name="dropLast">Skip the last batch when it is smaller than <paramref name="batchSize"/>.</param>
    /// <exception cref="ArgumentException">A batch size below 1, or <c>default(Normalization)</c>.</exception>
    public MiniBatchIterator(IdxDataset data, int batchSize, Normalization normalization, bool shuffle = true, ulong seed = 0, bool dropLast = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (!(normalization.Std > 0))
        {
            throw new ArgumentException("The normalisation has a standard deviation of 0 (default(Normalization)?): use Normalization.None for pixel / 255.", nameof(normalization));
        }

        this.data = data;
        BatchSize = batchSize;
        Normalization = normalization;
        Shuffle = shuffle;
        DropLast = dropLast;
        random = new SeededRandom(seed);
        order = new int[data.Count];
    }

    /// <summary>Samples per batch (the last batch of an epoch may be smaller unless <see cref="DropLast"/>).</summary>
    public int BatchSize { get; }

    /// <summary>Pixel normalisation.</summary>
    public Normalization Normalization { get; }

    /// <summary>Whether every epoch draws a new order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a last, smaller batch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>Floats per sample in the image buffer, <c>H * W</c>.</summary>
    public int SampleLength => data.SampleLength;

    /// <summary>Batches per epoch.</summary>
    public int BatchesPerEpoch => DropLast ? data.Count / BatchSize : (data.Count + BatchSize - 1) / BatchSize;

    /// <summary>Epochs started so far (1 after the first <see cref="StartEpoch"/>).</summary>
    public int Epoch { get; private set; }

    /// <summary>The sample order of the current epoch.</summary>
    public ReadOnlySpan<int> Order => order;

    /// <summary>Starts an epoch: resets to the first batch and, when shuffling, draws a new order.</summary>
    public void StartEpoch()
    {
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        if (Shuffle)
        {
            random.Shuffle(order.AsSpan());
        }

        position = 0;
        started = true;
        Epoch++;
    }

    /// <summary>
    /// Writes the next batch: <c>n * SampleLength</c> normalised floats to <paramref name="images"/> and
    /// <c>n</c> labels to <paramref name="labels"/>, and returns n, or 0 when the epoch is over.
    /// </summary>
    /// <param name="images">Reusable buffer for at least <c>BatchSize * SampleLength</c> floats.</param>
    /// <param name="labels">Reusable buffer for at least <see cref="BatchSize"/> labels.</param>
    /// <returns>The number of samples written.</returns>
    /// <exception cref="InvalidOperationException"><see cref="StartEpoch"/> was never called.</exception>
    /// <exception cref="ArgumentException">A buffer is too small.</exception>
    public int NextBatch(Span<float> images, Span<int> labels)
    {
        if (!started)
        {
            throw new InvalidOperationException("Call StartEpoch() before the first NextBatch (it draws the epoch's order).");
        }

        if ((long)images.Length < (long)BatchSize * SampleLength)
        {
            throw new ArgumentException(
                $"The image buffer holds {images.Length} floats, a batch needs {(long)BatchSize * SampleLength} ({BatchSize} x {SampleLength}).", nameof(images));
        }

        if (labels.Length < BatchSize)
        {
            throw new ArgumentException($"The label buffer holds {labels.Length} labels, a batch needs {BatchSize}.", nameof(labels));
        }

        int count = Math.Min(BatchSize, order.Length - position);
        if (count <= 0 || (DropLast && count < BatchSize))
        {
            return 0;
        }

        int length = SampleLength;
        for (int i = 0; i < count; i++)
        {
            int sample = order[position + i];
            Normalization.Apply(data.Images.Image(sample), images.Slice(i * length, length));
            labels[i] = data.Labels[sample];
        }

        position += count;
        return count;
    }
}
