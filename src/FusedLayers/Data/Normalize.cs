using System;
using System.Numerics;

namespace FusedLayers.Data;

/// <summary>
/// torchvision's <c>Normalize(mean, std)</c> on channels-first samples <c>[C, ...]</c> (images
/// <c>[C, H, W]</c>): <c>output[c] = (input[c] - mean[c]) / std[c]</c> in float32, in that order of
/// operations. A single mean or std applies to every channel. No random draws.
/// </summary>
public sealed class Normalize : ISampleTransform
{
    private readonly float[] mean;
    private readonly float[] std;

    /// <summary>Creates the transform.</summary>
    /// <param name="mean">Per-channel means (or one for all), finite (copied).</param>
    /// <param name="std">Per-channel standard deviations (or one for all), finite and not zero (copied).</param>
    /// <exception cref="ArgumentNullException">An array is null.</exception>
    /// <exception cref="ArgumentException">An array is empty, the lengths differ (other than one of them being 1), a value is not finite, or a std is zero.</exception>
    public Normalize(float[] mean, float[] std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Length == 0 || std.Length == 0)
        {
            throw new ArgumentException("Give at least one mean and one std.", mean.Length == 0 ? nameof(mean) : nameof(std));
        }

        if (mean.Length != std.Length && mean.Length != 1 && std.Length != 1)
        {
            throw new ArgumentException($"{mean.Length} means but {std.Length} stds: give one per channel (or one for all).", nameof(std));
        }

        for (int c = 0; c < mean.Length; c++)
        {
            if (!float.IsFinite(mean[c]))
            {
                throw new ArgumentException($"mean[{c}] is {mean[c]}, it must be finite.", nameof(mean));
            }
        }

        for (int c = 0; c < std.Length; c++)
        {
            if (!float.IsFinite(std[c]) || std[c] == 0)
            {
                throw new ArgumentException($"std[{c}] is {std[c]}, it must be finite and not zero (division by zero).", nameof(std));
            }
        }

        this.mean = (float[])mean.Clone();
        this.std = (float[])std.Clone();
    }

    /// <summary>The means (a copy).</summary>
    public float[] Mean => (float[])mean.Clone();

    /// <summary>The standard deviations (a copy).</summary>
    public float[] Std => (float[])std.Clone();

    /// <inheritdoc />
    public int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        Check(inputShape);
        return inputShape.ToArray();
    }

    /// <inheritdoc />
    public void Apply(ReadOnlySpan<float> input, ReadOnlySpan<int> inputShape, Span<float> output, SeededRandom random)
    {
        Check(inputShape);
        int channels = inputShape[0];
        int plane = 1;
        for (int d = 1; d < inputShape.Length; d++)
        {
            plane *= inputShape[d];
        }

        ImageShape.RequireLengths(input.Length, channels * plane, output.Length, channels * plane);
        for (int c = 0; c < channels; c++)
        {
            float m = mean[mean.Length == 1 ? 0 : c];
            float s = std[std.Length == 1 ? 0 : c];
            Channel(input.Slice(c * plane, plane), output.Slice(c * plane, plane), m, s);
        }
    }

    private static void Channel(ReadOnlySpan<float> input, Span<float> output, float m, float s)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vm = new Vector<float>(m);
            var vs = new Vector<float>(s);
            for (; i <= input.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                ((new Vector<float>(input[i..]) - vm) / vs).CopyTo(output[i..]);
            }
        }

        for (; i < input.Length; i++)
        {
            output[i] = (input[i] - m) / s;
        }
    }

    private void Check(ReadOnlySpan<int> shape)
    {
        if (shape.Length < 1 || shape[0] < 1)
        {
            throw new ArgumentException($"Normalize takes channels-first samples [C, ...], the sample shape is {TensorShape.Format(shape.ToArray())}.", "inputShape");
        }

        int channels = Math.Max(mean.Length, std.Length);
        if (channels != 1 && channels != shape[0])
        {
            throw new ArgumentException(
                $"Normalize has {channels} channel statistics but the sample shape {TensorShape.Format(shape.ToArray())} has {shape[0]} channels.", "inputShape");
        }
    }
}
