using System;

namespace FusedLayers.Data;

/// <summary>
/// Grey-scale images as read from an IDX file: <see cref="Count"/> images of <see cref="Rows"/> x
/// <see cref="Columns"/> unsigned bytes, row-major, one after the other (PyTorch shape <c>[N, 1, H, W]</c>).
/// Kept as bytes (a quarter of the float size); <see cref="ToTensor"/> or a <see cref="MiniBatchIterator"/>
/// converts them to normalised floats.
/// </summary>
public sealed class IdxImages
{
    /// <summary>Wraps pixel data (not copied).</summary>
    /// <param name="pixels">Pixels, <c>count * rows * columns</c> bytes.</param>
    /// <param name="count">Number of images.</param>
    /// <param name="rows">Rows per image, at least 1.</param>
    /// <param name="columns">Columns per image, at least 1.</param>
    /// <exception cref="ArgumentException">The sizes do not match the data.</exception>
    public IdxImages(byte[] pixels, int count, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        if ((long)count * rows * columns != pixels.Length)
        {
            throw new ArgumentException(
                $"{count} images of {rows}x{columns} need {(long)count * rows * columns} bytes, the data has {pixels.Length}.", nameof(pixels));
        }

        Pixels = pixels;
        Count = count;
        Rows = rows;
        Columns = columns;
    }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>Rows per image.</summary>
    public int Rows { get; }

    /// <summary>Columns per image.</summary>
    public int Columns { get; }

    /// <summary>Pixels per image, <c>Rows * Columns</c>.</summary>
    public int PixelsPerImage => Rows * Columns;

    /// <summary>All pixels, image after image.</summary>
    public byte[] Pixels { get; }

    /// <summary>The PyTorch shape of the whole set, <c>[N, 1, H, W]</c>.</summary>
    public int[] Shape => [Count, 1, Rows, Columns];

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    /// <param name="index">Image index.</param>
    public ReadOnlySpan<byte> Image(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Pixels.AsSpan(index * PixelsPerImage, PixelsPerImage);
    }

    /// <summary>All images as a float tensor <c>[N, 1, H, W]</c>, normalised (<see cref="Normalization.Apply(byte)"/>).</summary>
    /// <param name="normalization">Mean and standard deviation; <see cref="Normalization.None"/> gives <c>pixel / 255</c>.</param>
    /// <returns>A new tensor.</returns>
    public Tensor ToTensor(Normalization normalization)
    {
        var tensor = new Tensor(Shape);
        normalization.Apply(Pixels, tensor.Data);
        return tensor;
    }
}
