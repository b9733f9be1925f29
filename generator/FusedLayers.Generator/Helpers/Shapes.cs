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

    /// <summary>Element count without overflow.</summary>
    public static long LongLength(IEnumerable<int> shape) => shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Largest per-sample activation the generated code supports (2^30 elements).</summary>
    public const long MaxSampleLength = 1L << 30;

    /// <summary>Positions per channel: the product of all dimensions after the first.</summary>
    public static int Spatial(IReadOnlyList<int> shape) => shape.Skip(1).Aggregate(1, (a, b) => a * b);

    public static string Inv(int value) => value.ToString(CultureInfo.InvariantCulture);
}
