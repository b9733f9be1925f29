using System;
using System.Linq;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Running;

namespace FusedLayers.Benchmarks;

/// <summary>
/// Drops the benchmark cases a block does not run (<see cref="BlockShapes.RunsMode"/>): the training forward and
/// training step of an inference-only block (ResNet18b1, ResNet-18 at batch 1), in every class (FusedLayers, PyTorch,
/// the naive reference). The cases are never created, so they neither run nor appear in a summary, as ONNX Runtime's
/// missing training cases; added to the configs of <c>Program.cs</c> and of <c>compare</c>.
/// </summary>
public sealed class BlockModeFilter : IFilter
{
    /// <summary>The one instance.</summary>
    public static BlockModeFilter Instance { get; } = new();

    /// <summary>False for a case of a block that does not run the case's mode (its first category).</summary>
    /// <param name="benchmarkCase">The case.</param>
    /// <returns>Whether the case runs.</returns>
    public bool Predicate(BenchmarkCase benchmarkCase)
    {
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        if (benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "Block")?.Value is not string block)
        {
            return true;
        }

        string? mode = benchmarkCase.Descriptor.Categories.FirstOrDefault();
        return mode is null || BlockShapes.RunsMode(block, mode);
    }
}
