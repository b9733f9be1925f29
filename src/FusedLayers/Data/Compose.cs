using System;
using System.Collections.Generic;

namespace FusedLayers.Data;

/// <summary>
/// torchvision's <c>Compose([...])</c> for samples of a fixed input shape: the transforms run in order, each on
/// the previous one's output, through two scratch buffers allocated here once (so <see cref="Apply"/>
/// allocates nothing). The shapes of every stage are checked when it is built. Not thread-safe: one
/// <see cref="Compose"/> serves one thread at a time.
/// </summary>
public sealed class Compose
{
    private readonly ISampleTransform[] transforms;
    private readonly int[][] shapes;
    private readonly int[] lengths;
    private readonly float[] first;
    private readonly float[] second;

    /// <summary>Builds the pipeline.</summary>
    /// <param name="inputShape">Shape of one input sample (copied).</param>
    /// <param name="transforms">The transforms, applied in this order; none gives a copy.</param>
    /// <exception cref="ArgumentNullException">An argument or transform is null.</exception>
    /// <exception cref="ArgumentException">A transform cannot take the shape its predecessor produces (the message names it).</exception>
    public Compose(int[] inputShape, params IReadOnlyList<ISampleTransform> transforms)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        ArgumentNullException.ThrowIfNull(transforms);
        this.transforms = new ISampleTransform[transforms.Count];
        shapes = new int[transforms.Count + 1][];
        shapes[0] = (int[])inputShape.Clone();
        int scratch = 0;
        for (int t = 0; t < transforms.Count; t++)
        {
            ISampleTransform transform = transforms[t] ?? throw new ArgumentNullException(nameof(transforms), $"Transform {t} is null.");
            try
            {
                shapes[t + 1] = transform.OutputShape(shapes[t]);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Transform {t} ({transform.GetType().Name}) cannot take samples of shape {TensorShape.Format(shapes[t])}: {e.Message}", nameof(transforms), e);
            }

            this.transforms[t] = transform;
            if (t + 1 < transforms.Count)
            {
                scratch = Math.Max(scratch, TensorShape.Length(shapes[t + 1]));
            }
        }

        lengths = new int[shapes.Length];
        for (int s = 0; s < shapes.Length; s++)
        {
            lengths[s] = TensorShape.Length(shapes[s]);
        }

        InputLength = lengths[0];
        OutputLength = lengths[^1];
        first = transforms.Count > 1 ? new float[scratch] : [];
        second = transforms.Count > 2 ? new float[scratch] : [];
    }

    /// <summary>The transforms, in order.</summary>
    public IReadOnlyList<ISampleTransform> Transforms => transforms;

    /// <summary>Shape of one input sample (a copy).</summary>
    public int[] InputShape => (int[])shapes[0].Clone();

    /// <summary>Shape of one output sample (a copy).</summary>
    public int[] OutputShape => (int[])shapes[^1].Clone();

    /// <summary>Floats per input sample.</summary>
    public int InputLength { get; }

    /// <summary>Floats per output sample.</summary>
    public int OutputLength { get; }

    /// <summary>Runs every transform on one sample.</summary>
    /// <param name="input">The sample, <see cref="InputLength"/> floats.</param>
    /// <param name="output">Receives <see cref="OutputLength"/> floats; must not overlap <paramref name="input"/>.</param>
    /// <param name="random">Source of every random draw, used by the transforms in order.</param>
    /// <exception cref="ArgumentException">A span has the wrong length (nothing is written).</exception>
    public void Apply(ReadOnlySpan<float> input, Span<float> output, SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        ImageShape.RequireLengths(input.Length, InputLength, output.Length, OutputLength);
        ReadOnlySpan<float> current = input;
        for (int t = 0; t < transforms.Length; t++)
        {
            bool last = t == transforms.Length - 1;
            Span<float> target = last ? output[..OutputLength] : (t % 2 == 0 ? first : second).AsSpan(0, lengths[t + 1]);
            transforms[t].Apply(current, shapes[t], target, random);
            current = target;
        }

        if (transforms.Length == 0)
        {
            input.CopyTo(output);
        }
    }
}
