using System;

namespace FusedLayers.Data;

/// <summary>
/// A small seeded generator, xoshiro256** (Blackman and Vigna) seeded through SplitMix64, written out here so
/// that a seed gives the same sequence on every .NET version and machine (System.Random's algorithm is not
/// a documented contract). Not for cryptography.
/// </summary>
public sealed class SeededRandom
{
    private ulong s0;
    private ulong s1;
    private ulong s2;
    private ulong s3;

    /// <summary>Creates the generator.</summary>
    /// <param name="seed">Any 64-bit seed.</param>
    public SeededRandom(ulong seed) => Reseed(seed);

    /// <summary>Restarts the sequence as if newly created with <paramref name="seed"/> (no allocation).</summary>
    /// <param name="seed">Any 64-bit seed.</param>
    internal void Reseed(ulong seed)
    {
        ulong x = seed;
        s0 = SplitMix64(ref x);
        s1 = SplitMix64(ref x);
        s2 = SplitMix64(ref x);
        s3 = SplitMix64(ref x);
    }

    /// <summary>SplitMix64's output function applied to <paramref name="value"/>: a well-mixed 64-bit hash, used to derive seeds.</summary>
    /// <param name="value">Value to mix.</param>
    /// <returns>The mixed value.</returns>
    internal static ulong Mix(ulong value)
    {
        ulong x = value;
        return SplitMix64(ref x);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = ulong.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>A uniform integer in <c>[0, maxExclusive)</c>, without modulo bias (Lemire's multiply-and-reject).</summary>
    /// <param name="maxExclusive">Upper bound, at least 1.</param>
    /// <returns>The integer.</returns>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        ulong range = (ulong)maxExclusive;
        while (true)
        {
            ulong high = Math.BigMul(NextUInt64(), range, out ulong low);
            if (low >= range || low >= (0UL - range) % range)
            {
                return (int)high;
            }
        }
    }

    /// <summary>A uniform double in <c>[0, 1)</c> (53 random bits).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Shuffles <paramref name="items"/> in place with the Fisher-Yates algorithm (every permutation equally likely).</summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="items">Items to shuffle.</param>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
