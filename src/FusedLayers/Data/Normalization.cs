using System;
using System.Numerics;

namespace FusedLayers.Data;

/// <summary>
/// torchvision's <c>ToTensor()</c> followed by <c>Normalize(mean, std)</c> for byte pixels:
/// <c>x = (pixel / 255 - mean) / std</c>, in float32, in that order of operations.
/// </summary>
public readonly record struct Normalization
{
    /// <summary>Creates a normalisation.</summary>
    /// <param name="mean">Mean subtracted from <c>pixel / 255</c>.</param>
    /// <param name="std">Standard deviation divided by; positive.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="std"/> is not positive or a value is not finite.</exception>
    public Normalization(float mean, float std)
    {
        if (!float.IsFinite(mean))
        {
            throw new ArgumentOutOfRangeException(nameof(mean), mean, "The mean must be finite.");
        }

        if (!(std > 0) || !float.IsFinite(std))
        {
            throw new ArgumentOutOfRangeException(nameof(std), std, "The standard deviation must be positive and finite.");
        }

        Mean = mean;
        Std = std;
    }

    /// <summary>Mean subtracted from <c>pixel / 255</c>.</summary>
    public float Mean { get; }

    /// <summary>Standard deviation divided by.</summary>
    public float Std { get; }

    /// <summary>No normalisation: <c>pixel / 255</c> in [0, 1] (mean 0, std 1).</summary>
    public static Normalization None => new(0f, 1f);

    /// <summary>The usual MNIST statistics of the training set: mean 0.1307, std 0.3081.</summary>
    public static Normalization Mnist => new(0.1307f, 0.3081f);

    /// <summary>The usual Fashion-MNIST statistics of the training set: mean 0.2860, std 0.3530.</summary>
    public static Normalization FashionMnist => new(0.2860f, 0.3530f);

    /// <summary>Mean and (unbiased, like <c>torch.std</c>) standard deviation of <c>pixel / 255</c> over every pixel.</summary>
    /// <param name="pixels">Pixels.</param>
    /// <returns>The normalisation that maps them to mean 0 and standard deviation 1.</returns>
    /// <exception cref="ArgumentException">Fewer than two pixels, or all equal.</exception>
    public static Normalization Estimate(ReadOnlySpan<byte> pixels)
    {
        if (pixels.Length < 2)
        {
            throw new ArgumentException("At least two pixels are needed to estimate a standard deviation.", nameof(pixels));
        }

        Span<long> histogram = stackalloc long[256];
        foreach (byte p in pixels)
        {
            histogram[p]++;
        }

        double sum = 0;
        for (int v = 0; v < 256; v++)
        {
            sum += histogram[v] * (v / 255.0);
        }

        double mean = sum / pixels.Length;
        double squares = 0;
        for (int v = 0; v < 256; v++)
        {
            double d = (v / 255.0) - mean;
            squares += histogram[v] * d * d;
        }

        double std = Math.Sqrt(squares / (pixels.Length - 1));
        if (std == 0)
        {
            throw new ArgumentException("Every pixel has the same value: the standard deviation is 0.", nameof(pixels));
        }

        return new Normalization((float)mean, (float)std);
    }

    /// <summary>Normalises one pixel.</summary>
    /// <param name="pixel">Pixel value.</param>
    /// <returns><c>(pixel / 255 - Mean) / Std</c>.</returns>
    public float Apply(byte pixel) => ((pixel / 255f) - Mean) / Std;

    /// <summary>Normalises <paramref name="pixels"/> into <paramref name="output"/> (vectorised; the same float32 operations as <see cref="Apply(byte)"/>).</summary>
    /// <param name="pixels">Pixels.</param>
    /// <param name="output">Receives the values; at least as long as <paramref name="pixels"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="output"/> is too short.</exception>
    public void Apply(ReadOnlySpan<byte> pixels, Span<float> output)
    {
        if (output.Length < pixels.Length)
        {
            throw new ArgumentException($"The output has room for {output.Length} values, {pixels.Length} are needed.", nameof(output));
        }

        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int width = Vector<float>.Count;
            var scale = new Vector<float>(255f);
            var mean = new Vector<float>(Mean);
            var std = new Vector<float>(Std);
            for (; i <= pixels.Length - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                Vector.Widen(new Vector<byte>(pixels[i..]), out Vector<ushort> low, out Vector<ushort> high);
                Vector.Widen(low, out Vector<uint> a, out Vector<uint> b);
                Vector.Widen(high, out Vector<uint> c, out Vector<uint> d);
                Span<float> o = output[i..];
                (((Vector.ConvertToSingle(a) / scale) - mean) / std).CopyTo(o);
                (((Vector.ConvertToSingle(b) / scale) - mean) / std).CopyTo(o[width..]);
                (((Vector.ConvertToSingle(c) / scale) - mean) / std).CopyTo(o[(2 * width)..]);
                (((Vector.ConvertToSingle(d) / scale) - mean) / std).CopyTo(o[(3 * width)..]);
            }
        }

        for (; i < pixels.Length; i++)
        {
            output[i] = Apply(pixels[i]);
        }
    }
}
