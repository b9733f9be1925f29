using System;

namespace FusedLayers.Data;

/// <summary>
/// torchvision's <c>RandomCrop(size, padding)</c> on <c>[C, H, W]</c> images: pads every border with
/// <see cref="Padding"/> zeros (<c>fill=0</c>, <c>padding_mode='constant'</c>), then cuts a
/// <see cref="Size"/> x <see cref="Size"/> window at a uniform random position: first the top row
/// <c>i = randint(0, H + 2p - size + 1)</c>, then the left column <c>j = randint(0, W + 2p - size + 1)</c>, as
/// in <c>RandomCrop.get_params</c>. When the padded image is exactly the crop size nothing is drawn.
/// </summary>
public sealed class RandomCrop : ISampleTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="size">Height and width of the crop, at least 1.</param>
    /// <param name="padding">Zeros added on each of the four borders first, at least 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is below 1 or <paramref name="padding"/> negative.</exception>
    public RandomCrop(int size, int padding = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        Size = size;
        Padding = padding;
    }

    /// <summary>Height and width of the crop.</summary>
    public int Size { get; }

    /// <summary>Zeros added on each border before cropping.</summary>
    public int Padding { get; }

    /// <inheritdoc />
    public int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        Check(inputShape);
        return [inputShape[0], Size, Size];
    }

    /// <inheritdoc />
    public void Apply(ReadOnlySpan<float> input, ReadOnlySpan<int> inputShape, Span<float> output, SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Check(inputShape);
        int channels = inputShape[0];
        ImageShape.RequireLengths(input.Length, channels * inputShape[1] * inputShape[2], output.Length, channels * Size * Size);
        int rows = inputShape[1] + (2 * Padding);
        int columns = inputShape[2] + (2 * Padding);
        int top = 0;
        int left = 0;
        if (rows != Size || columns != Size)
        {
            top = random.NextInt(rows - Size + 1);
            left = random.NextInt(columns - Size + 1);
        }

        Crop(input, inputShape, Padding, top, left, Size, output);
    }

    /// <summary>The crop at a given position of the padded image (the deterministic part of <see cref="Apply"/>).</summary>
    /// <param name="input">The image.</param>
    /// <param name="shape">Its shape <c>[C, H, W]</c>.</param>
    /// <param name="padding">Zeros on each border.</param>
    /// <param name="top">First row of the window in the padded image.</param>
    /// <param name="left">First column of the window in the padded image.</param>
    /// <param name="size">Height and width of the window.</param>
    /// <param name="output">Receives <c>[C, size, size]</c>.</param>
    internal static void Crop(ReadOnlySpan<float> input, ReadOnlySpan<int> shape, int padding, int top, int left, int size, Span<float> output)
    {
        int channels = shape[0];
        int height = shape[1];
        int width = shape[2];

        // Columns of the window that fall inside the image: x in [x0, x1) reads source column left + x - padding.
        int x0 = Math.Clamp(padding - left, 0, size);
        int x1 = Math.Clamp(width + padding - left, x0, size);
        for (int c = 0; c < channels; c++)
        {
            ReadOnlySpan<float> plane = input.Slice(c * height * width, height * width);
            for (int y = 0; y < size; y++)
            {
                Span<float> row = output.Slice(((c * size) + y) * size, size);
                int sourceRow = top + y - padding;
                if (sourceRow < 0 || sourceRow >= height || x0 == x1)
                {
                    row.Clear();
                    continue;
                }

                row[..x0].Clear();
                plane.Slice((sourceRow * width) + left + x0 - padding, x1 - x0).CopyTo(row[x0..x1]);
                row[x1..].Clear();
            }
        }
    }

    private void Check(ReadOnlySpan<int> shape)
    {
        ImageShape.Require(shape, "RandomCrop");
        int rows = shape[1] + (2 * Padding);
        int columns = shape[2] + (2 * Padding);
        if (rows < Size || columns < Size)
        {
            throw new ArgumentException(
                $"Required crop size ({Size}, {Size}) is larger than the padded input image size ({rows}, {columns}) (image {shape[1]}x{shape[2]}, padding {Padding}).", "inputShape");
        }
    }
}
