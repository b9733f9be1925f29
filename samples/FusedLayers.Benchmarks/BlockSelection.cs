using System;
using System.Linq;

namespace FusedLayers.Benchmarks;

/// <summary>
/// The <c>--blocks NAME[,NAME...]</c> option (for <c>compare</c> and the BenchmarkDotNet runs alike): restricts the
/// block parameter of every benchmark class to the named blocks, e.g. <c>--blocks ResNet18</c>.
/// </summary>
public static class BlockSelection
{
    /// <summary>The option's name.</summary>
    public const string Option = "--blocks";

    /// <summary>
    /// Sets <see cref="BlockBenchmarks.Selection"/> from <c>--blocks</c> if present and returns the arguments
    /// without it; throws on an unknown block name or a missing list.
    /// </summary>
    /// <param name="args">The command-line arguments.</param>
    /// <returns><paramref name="args"/> without the option and its value.</returns>
    public static string[] Apply(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        int index = Array.IndexOf(args, Option);
        if (index < 0)
        {
            return args;
        }

        if (index + 1 >= args.Length)
        {
            throw new ArgumentException($"{Option} needs a comma list of blocks ({string.Join(", ", BlockBenchmarks.AllBlocks)}).", nameof(args));
        }

        string[] blocks = args[index + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string[] unknown = [.. blocks.Where(b => !BlockBenchmarks.AllBlocks.Contains(b, StringComparer.Ordinal))];
        if (blocks.Length == 0 || unknown.Length > 0)
        {
            throw new ArgumentException(
                $"{Option}: unknown block(s) {string.Join(", ", unknown)}; the blocks are {string.Join(", ", BlockBenchmarks.AllBlocks)}.", nameof(args));
        }

        BlockBenchmarks.Selection = [.. BlockBenchmarks.AllBlocks.Where(blocks.Contains)];
        return [.. args.Take(index), .. args.Skip(index + 2)];
    }
}
