using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace FusedLayers.Distributed;

/// <summary>
/// A model's schema, one line per parameter (name, shape, whether it is trained) and buffer (name, type, shape),
/// compared across ranks at start-up: every rank gathers every rank's schema, so every rank finds the same first
/// difference and throws the same <see cref="ModelSchemaMismatchException"/>, and none goes on to wait in a
/// collective the others never reach.
/// </summary>
internal static class ModelSchema
{
    public static string[] Describe(IFusedModel model)
    {
        var lines = new List<string> { "input " + Shape(model.InputShape), "output " + Shape(model.OutputShape) };
        foreach (Parameter p in model.Parameters)
        {
            lines.Add($"parameter {p.Name} {Shape(p.Shape)}{(p.RequiresGrad ? "" : " frozen")}");
        }

        foreach (Buffer b in model.Buffers)
        {
            lines.Add($"buffer {b.Name} {b.ElementType} {Shape(b.Shape)}");
        }

        return [.. lines];
    }

    /// <summary>Throws on every rank when any rank's schema differs from rank 0's.</summary>
    public static void Verify(ProcessGroup group, IFusedModel model)
    {
        string[] mine = Describe(model);
        byte[][] all = group.AllGather(Encoding.UTF8.GetBytes(string.Join('\n', mine)));
        string[] root = Encoding.UTF8.GetString(all[0]).Split('\n');
        var problems = new List<string>();
        for (int r = 1; r < all.Length; r++)
        {
            string[] other = Encoding.UTF8.GetString(all[r]).Split('\n');
            if (FirstDifference(root, other) is { } diff)
            {
                problems.Add(string.Format(CultureInfo.InvariantCulture, "rank {0} has {1} where rank 0 has {2}", r, diff.Other, diff.Root));
            }
        }

        if (problems.Count > 0)
        {
            throw new ModelSchemaMismatchException(
                $"The model differs between ranks (seen on rank {group.Rank} of {group.Size} at start-up): {string.Join("; ", problems)}. " +
                "Every rank must build the same model (same layers, shapes and frozen parameters).");
        }
    }

    private static (string Root, string Other)? FirstDifference(string[] root, string[] other)
    {
        int n = Math.Max(root.Length, other.Length);
        for (int i = 0; i < n; i++)
        {
            string a = i < root.Length ? "'" + root[i] + "'" : "nothing (fewer entries)";
            string b = i < other.Length ? "'" + other[i] + "'" : "nothing (fewer entries)";
            if (a != b)
            {
                return (a, b);
            }
        }

        return null;
    }

    private static string Shape(IReadOnlyList<int> shape) => "[" + string.Join(", ", shape) + "]";
}
