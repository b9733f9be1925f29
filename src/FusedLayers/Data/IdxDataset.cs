using System;

namespace FusedLayers.Data;

/// <summary>
/// A labelled image set read from an IDX image file and an IDX label file (MNIST, Fashion-MNIST):
/// images as bytes, labels as class indices.
/// </summary>
public sealed class IdxDataset
{
    /// <summary>Pairs images with labels.</summary>
    /// <param name="images">The images.</param>
    /// <param name="labels">One label per image (not copied).</param>
    /// <exception cref="ArgumentException">The counts differ or a label is negative.</exception>
    public IdxDataset(IdxImages images, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (images.Count != labels.Length)
        {
            throw new ArgumentException($"{images.Count} images but {labels.Length} labels.", nameof(labels));
        }

        int max = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0)
            {
                throw new ArgumentException($"Label {i} is {labels[i]}, a class index cannot be negative.", nameof(labels));
            }

            max = Math.Max(max, labels[i]);
        }

        Images = images;
        Labels = labels;
        ClassCount = labels.Length == 0 ? 0 : max + 1;
    }

    /// <summary>The images.</summary>
    public IdxImages Images { get; }

    /// <summary>The labels, one per image.</summary>
    public int[] Labels { get; }

    /// <summary>Number of samples.</summary>
    public int Count => Labels.Length;

    /// <summary>One more than the largest label (10 for MNIST and Fashion-MNIST).</summary>
    public int ClassCount { get; }

    /// <summary>Per-sample shape, <c>[1, H, W]</c>.</summary>
    public int[] SampleShape => [1, Images.Rows, Images.Columns];

    /// <summary>Floats per sample, <c>H * W</c>.</summary>
    public int SampleLength => Images.PixelsPerImage;

    /// <summary>Reads an image file and its label file (each plain or gzip) and checks that they match.</summary>
    /// <param name="imagesPath">IDX image file, for example <c>train-images-idx3-ubyte.gz</c>.</param>
    /// <param name="labelsPath">IDX label file, for example <c>train-labels-idx1-ubyte.gz</c>.</param>
    /// <returns>The data set.</returns>
    /// <exception cref="IdxFormatException">A file is malformed, or the image and label counts differ.</exception>
    public static IdxDataset Load(string imagesPath, string labelsPath)
    {
        IdxImages images = IdxReader.ReadImages(imagesPath);
        byte[] raw = IdxReader.ReadLabels(labelsPath);
        if (raw.Length != images.Count)
        {
            throw new IdxFormatException(
                $"'{imagesPath}' holds {images.Count} images but '{labelsPath}' holds {raw.Length} labels: the files do not belong together.");
        }

        var labels = new int[raw.Length];
        for (int i = 0; i < raw.Length; i++)
        {
            labels[i] = raw[i];
        }

        return new IdxDataset(images, labels);
    }

    /// <summary>The first <paramref name="count"/> samples, copied (a subset for quick runs).</summary>
    /// <param name="count">Samples to keep, at most <see cref="Count"/>.</param>
    /// <returns>A new data set.</returns>
    public IdxDataset Take(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Count);
        byte[] pixels = Images.Pixels.AsSpan(0, count * Images.PixelsPerImage).ToArray();
        return new IdxDataset(new IdxImages(pixels, count, Images.Rows, Images.Columns), Labels.AsSpan(0, count).ToArray());
    }
}
