using System;
using System.Collections.Generic;

namespace FusedLayers.Kernels.Conv.Winograd;

/// <summary>
/// Transformed weights cached between calls. The convolution kernels are static and generated code refolds
/// BatchNorm into a scratch weight buffer on every inference call, so no array identity or version counter
/// reaches them; the cache is keyed on the weight <i>values</i> instead: an entry is reused only when the weights
/// passed are byte-identical to the copy it was made from. Any change to the weights (an optimizer step, a state
/// dict load, new running statistics folded in) therefore misses and is transformed afresh. The comparison reads
/// the weights once (<c>9 Cin Cout</c> floats), several times less than the transform writes
/// (<c>alpha^2 Cin Cout</c>). A hit allocates nothing; a miss allocates the entry and evicts the least recently used
/// entries beyond <see cref="MaxEntries"/> or <see cref="MaxFloats"/>.
/// </summary>
internal static class WinogradWeightCache
{
    /// <summary>Entries kept at most (a ResNet-50 has 16 distinct 3x3 convolutions).</summary>
    public const int MaxEntries = 32;

    /// <summary>Transformed floats kept at most (256 MiB).</summary>
    public const long MaxFloats = 64L * 1024 * 1024;

    private static readonly object Gate = new();
    private static readonly List<WinogradWeights> Entries = new();

    /// <summary>The transformed weights for <paramref name="weight"/>, from the cache or made now.</summary>
    public static WinogradWeights Get<TTile>(int rows, int outChannels, int inChannels, ReadOnlySpan<float> weight)
        where TTile : struct, IWinogradTile
    {
        int alpha = TTile.InputTile;
        lock (Gate)
        {
            for (int i = 0; i < Entries.Count; i++)
            {
                WinogradWeights entry = Entries[i];
                if (entry.Matches(alpha, rows, outChannels, inChannels, weight))
                {
                    // Most recently used last.
                    Entries.RemoveAt(i);
                    Entries.Add(entry);
                    return entry;
                }
            }

            WinogradWeights made = WinogradWeights.Create<TTile>(rows, outChannels, inChannels, weight);
            Entries.Add(made);
            long total = 0;
            foreach (WinogradWeights e in Entries)
            {
                total += e.Transformed.Length;
            }

            while (Entries.Count > 1 && (Entries.Count > MaxEntries || total > MaxFloats))
            {
                total -= Entries[0].Transformed.Length;
                Entries.RemoveAt(0);
            }

            return made;
        }
    }

    /// <summary>Tests only: empties the cache.</summary>
    internal static void Clear()
    {
        lock (Gate)
        {
            Entries.Clear();
        }
    }

    /// <summary>Tests only: the number of entries.</summary>
    internal static int Count
    {
        get
        {
            lock (Gate)
            {
                return Entries.Count;
            }
        }
    }
}
