using System;

namespace FusedLayers.Data;

/// <summary>
/// A per-sample transform on float samples (a torchvision transform on one tensor), applied by a
/// <see cref="Compose"/> or a <see cref="DataLoader"/> while batching. An implementation draws its random
/// numbers only from the generator it is given (so a seed reproduces it), writes its whole output, does not
/// allocate in <see cref="Apply"/>, and keeps no state between calls (a <see cref="DataLoader"/> with
/// <c>prefetch</c> calls it from its background thread).
/// </summary>
public interface ISampleTransform
{
    /// <summary>The output shape for an input shape; called once, when a pipeline is built.</summary>
    /// <param name="inputShape">Shape of one input sample.</param>
    /// <returns>Shape of one output sample (a new array).</returns>
    /// <exception cref="ArgumentException">The transform cannot take this shape.</exception>
    int[] OutputShape(ReadOnlySpan<int> inputShape);

    /// <summary>Transforms one sample.</summary>
    /// <param name="input">The sample, <paramref name="inputShape"/> in row-major order.</param>
    /// <param name="inputShape">Its shape, one that <see cref="OutputShape"/> accepts.</param>
    /// <param name="output">Receives the result, <see cref="OutputShape"/> in row-major order; must not overlap <paramref name="input"/>.</param>
    /// <param name="random">Source of the random draws.</param>
    /// <exception cref="ArgumentException">A length does not match the shapes (nothing is written).</exception>
    void Apply(ReadOnlySpan<float> input, ReadOnlySpan<int> inputShape, Span<float> output, SeededRandom random);
}
