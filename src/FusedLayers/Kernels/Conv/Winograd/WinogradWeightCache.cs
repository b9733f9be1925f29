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
/// (<c>alpha^2 Cin Cout</c>).
/// </summary>
/// <remarks>
/// A hit allocates nothing, and neither does a miss once an entry of the same variant and shape exists that no call
/// is using: the least recently used such entry is refilled in place (a training loop changes its weights every
/// step). Only a new shape, or more concurrent calls than entries, allocates; entries beyond <see cref="MaxEntries"/>
/// are then evicted least recently used first (never one in use). Callers hold an entry between
/// <see cref="Acquire{TTile}"/> and <see cref="Release"/>.
/// </remarks>
internal static class WinogradWeightCache
{
    /// <summary>Entries kept at most (ResNet-50 has 16 distinct 3x3 convolution shapes).</summary>
    public const int MaxEntries = 32;

    private static readonly object Gate = new();
    private static readonly List<WinogradWeights> Entries = new();

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

    /// <summary>The transformed weights for <paramref name="weight"/>, from the cache or made now; pass it to <see cref="Release"/> when done.</summary>
    public static WinogradWeights Acquire<TTile>(int rows, int outChannels, int inChannels, ReadOnlySpan<float> weight)
        where TTile : struct, IWinogradTile
    {
        int alpha = TTile.InputTile;
        lock (Gate)
        {
            int free = -1;
            for (int i = Entries.Count - 1; i >= 0; i--)
            {
                WinogradWeights entry = Entries[i];
                if (entry.Matches(alpha, rows, outChannels, inChannels, weight))
                {
                    return Use(i);
                }

                if (entry.Users == 0 && entry.InputTile == alpha && entry.Rows == rows && entry.OutChannels == outChannels && entry.InChannels == inChannels)
                {
                    free = i; // ends at the least recently used one
                }
            }

            if (free >= 0)
            {
                Entries[free].Refill<TTile>(weight);
                return Use(free);
            }

            WinogradWeights made = WinogradWeights.Create<TTile>(rows, outChannels, inChannels, weight);
            Entries.Add(made);
            for (int i = 0; i < Entries.Count && Entries.Count > MaxEntries; i++)
            {
                if (Entries[i].Users == 0 && Entries[i] != made)
                {
                    Entries.RemoveAt(i);
                    i--;
                }
            }

            made.Users++;
            return made;
        }
    }

    /// <summary>Ends a call's use of <paramref name="entry"/>.</summary>
    public static void Release(WinogradWeights entry)
    {
        lock (Gate)
        {
            entry.Users--;
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

    /// <summary>Marks entry <paramref name="index"/> used and most recently used (moved to the end).</summary>
    private static WinogradWeights Use(int index)
    {
        WinogradWeights entry = Entries[index];
        Entries.RemoveAt(index);
        Entries.Add(entry);
        entry.Users++;
        return entry;
    }
}
