using System;
using System.Collections.Generic;
using System.Globalization;

namespace FusedLayers.Reference;

/// <summary>
/// Shape helpers for the reference layers. Self-contained on purpose: the reference is the oracle,
/// so it depends on nothing but the base library.
/// </summary>
internal static class ReferenceShape
{
    /// <summary>Product of the dimensions (1 for an empty shape); rejects negative dimensions and overflow.</summary>
    public static int Length(IReadOnlyList<int> shape, string paramName)
    {
        long length = 1;
        for (int i = 0; i < shape.Count; i++)
        {
            if (shape[i] < 0)
            {
                throw new ArgumentException($"Shape {Format(shape)} has a negative dimension.", paramName);
            }

            length *= shape[i];
            if (length > int.MaxValue)
            {
                throw new ArgumentException($"Shape {Format(shape)} has more than {int.MaxValue} elements.", paramName);
            }
        }

        return (int)length;
    }

    /// <summary>Product of <c>shape[first..]</c>.</summary>
    public static int TrailingLength(IReadOnlyList<int> shape, int first)
    {
        int length = 1;
        for (int i = first; i < shape.Count; i++)
        {
            length *= shape[i];
        }

        return length;
    }

    /// <summary>Formats a shape as <c>[8, 3, 32, 32]</c>.</summary>
    public static string Format(IReadOnlyList<int> shape)
    {
        var parts = new string[shape.Count];
        for (int i = 0; i < shape.Count; i++)
        {
            parts[i] = shape[i].ToString(CultureInfo.InvariantCulture);
        }

        return "[" + string.Join(", ", parts) + "]";
    }

    /// <summary>Whether two shapes are equal dimension by dimension.</summary>
    public static bool SameShape(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        for (int i = 0; i < a.Count; i++)
        {
            if (a[i] != b[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Checks that a gradient passed to <c>Backward</c> has the shape of the output of the last
    /// <c>Forward</c>; throws <see cref="InvalidOperationException"/> when there was no forward pass.
    /// </summary>
    public static void CheckGradOutput(string layerName, int[]? outputShape, ReferenceTensor gradOutput)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        if (outputShape is null)
        {
            throw new InvalidOperationException($"{layerName}: Backward was called before Forward.");
        }

        if (!SameShape(outputShape, gradOutput.Shape))
        {
            throw new ArgumentException(
                $"{layerName}: expected a gradient of shape {Format(outputShape)} (the last output), got {Format(gradOutput.Shape)}.",
                nameof(gradOutput));
        }
    }
}
