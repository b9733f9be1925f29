using System;

namespace FusedLayers.Data;

/// <summary>
/// torchvision's <c>RandomHorizontalFlip(p)</c> on <c>[C, H, W]</c> images: mirrors every row (left becomes
/// right) when a uniform draw in <c>[0, 1)</c> is below <see cref="P"/> (<c>torch.rand(1) &lt; p</c>), else
/// copies the image. One draw per sample, whatever <see cref="P"/> is.
/// </summary>
public sealed class RandomHorizontalFlip : ISampleTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="p">Probability of a flip, in <c>[0, 1]</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside <c>[0, 1]</c> or NaN.</exception>
    public RandomHorizontalFlip(double p = 0.5)
    {
        if (!(p >= 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "The flip probability p must be in [0, 1].");
        }

        P = p;
    }

    /// <summary>Probability of a flip.</summary>
    public double P { get; }

    /// <inheritdoc />
    public int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        ImageShape.Require(inputShape, "RandomHorizontalFlip");
        return inputShape.ToArray();
    }

    /// <inheritdoc />
    public void Apply(ReadOnlySpan<float> input, ReadOnlySpan<int> inputShape, Span<float> output, SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        ImageShape.Require(inputShape, "RandomHorizontalFlip");
        int length = inputShape[0] * inputShape[1] * inputShape[2];
        ImageShape.RequireLengths(input.Length, length, output.Length, length);
        bool flip = random.NextDouble() < P;
        input.CopyTo(output);
        if (flip)
        {
            Flip(output[..length], inputShape[2]);
        }
    }

    /// <summary>Mirrors every row of <paramref name="image"/> in place.</summary>
    /// <param name="image">The image, rows of <paramref name="width"/> floats.</param>
    /// <param name="width">Row length.</param>
    internal static void Flip(Span<float> image, int width)
    {
        for (int start = 0; start < image.Length; start += width)
        {
            image.Slice(start, width).Reverse();
        }
    }
}
