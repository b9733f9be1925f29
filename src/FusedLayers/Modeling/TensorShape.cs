using System;
using System.Collections.Generic;
using System.Globalization;

namespace FusedLayers;

/// <summary>Helpers for shapes written as <c>int[]</c>.</summary>
public static class TensorShape
{
    /// <summary>Product of the dimensions (1 for a scalar).</summary>
    /// <param name="shape">The shape.</param>
    /// <exception cref="ArgumentException">A dimension is negative or the product overflows.</exception>
    public static int Length(IReadOnlyList<int> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long length = 1;
        for (int i = 0; i < shape.Count; i++)
        {
            if (shape[i] < 0)
            {
                throw new ArgumentException($"Shape {Format(shape)} has a negative dimension.", nameof(shape));
            }

            length *= shape[i];
            if (length > int.MaxValue)
            {
                throw new ArgumentException($"Shape {Format(shape)} has more than {int.MaxValue} elements.", nameof(shape));
            }
        }

        return (int)length;
    }

    /// <summary>Formats a shape like PyTorch's <c>torch.Size</c>: <c>[8, 3, 32, 32]</c>.</summary>
    /// <param name="shape">The shape.</param>
    public static string Format(IReadOnlyList<int> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return "[" + string.Join(", ", ToStrings(shape)) + "]";
    }

    private static IEnumerable<string> ToStrings(IReadOnlyList<int> shape)
    {
        for (int i = 0; i < shape.Count; i++)
        {
            yield return shape[i].ToString(CultureInfo.InvariantCulture);
        }
    }
}
