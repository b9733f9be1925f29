using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace FusedLayers.Generator.Helpers;

/// <summary>Formatting and arithmetic of per-sample shapes in the generator.</summary>
internal static class Shapes
{
    /// <summary>PyTorch-like <c>[3, 32, 32]</c>.</summary>
    public static string Format(IEnumerable<int> shape) =>
        "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    public static int Length(IEnumerable<int> shape) => shape.Aggregate(1, (a, b) => a * b);

    /// <summary>Element count; saturates at <see cref="long.MaxValue"/> instead of wrapping around.</summary>
    public static long LongLength(IEnumerable<int> shape) => Product(shape.ToArray());

    /// <summary>The product of non-negative factors, saturating at <see cref="long.MaxValue"/> (a negative factor counts as 0).</summary>
    public static long Product(params int[] factors)
    {
        long product = 1;
        foreach (int factor in factors)
        {
            if (factor <= 0)
            {
                return 0;
            }

            product = product > long.MaxValue / factor ? long.MaxValue : product * factor;
        }

        return product;
    }

    /// <summary>An element count for a message: saturated counts read "more than 9223372036854775806".</summary>
    public static string FormatCount(long count) =>
        count == long.MaxValue ? "more than " + (long.MaxValue - 1).ToString(CultureInfo.InvariantCulture) : count.ToString(CultureInfo.InvariantCulture);

    /// <summary>Largest per-sample activation the generated code supports (2^30 elements).</summary>
    public const long MaxSampleLength = 1L << 30;

    /// <summary>Positions per channel: the product of all dimensions after the first.</summary>
    public static int Spatial(IReadOnlyList<int> shape) => shape.Skip(1).Aggregate(1, (a, b) => a * b);

    public static string Inv(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A double as C# and PyTorch print it: round-trip digits, invariant culture, lower-case exponent.</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e");
}
