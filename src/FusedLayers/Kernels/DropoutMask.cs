using System;

namespace FusedLayers.Kernels;

/// <summary>
/// The counter-based random mask shared by the reference dropout and the dropout kernels: whether element
/// <c>index</c> of the tensor is kept at training step <c>step</c> is a pure function of
/// <c>(seed, step, index)</c>, so every ISA path, thread count and chunking draws the same mask.
/// </summary>
/// <remarks>
/// <para>Bits: <c>key = mix(seed ^ mix(step + G))</c> per (seed, step), then <c>bits = mix(key + (index + 1) * G)</c>,
/// where <c>mix</c> is the SplitMix64 finalizer (Stafford's variant 13) and <c>G = 0x9E3779B97F4A7C15</c>, i.e.
/// element <c>index</c> gets the <c>(index + 1)</c>-th output of a SplitMix64 stream started at <c>key</c>
/// (SplitMix64 passes BigCrush).</para>
/// <para>Draw: <c>u = (bits &gt;&gt; 40) / 2^24</c>, uniform on the 2^24 float32-exact values of <c>[0, 1)</c>; the element is
/// kept iff <c>u &gt;= p</c>, so it is kept with probability <c>1 - p</c> up to 2^-24 (p = 0 keeps everything, p = 1
/// nothing). Kept elements are scaled by <c>1 / (1 - p)</c>, as PyTorch.</para>
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // for generated code; out of IntelliSense
public static class DropoutMask
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;
    private const double TwoTo24 = 16777216.0;

    /// <summary>Whether element <paramref name="index"/> is kept at <paramref name="step"/> (<c>u &gt;= p</c>).</summary>
    /// <param name="seed">The layer's seed.</param>
    /// <param name="step">The training step (advanced once per training forward pass).</param>
    /// <param name="index">Flat row-major index of the element in the whole tensor.</param>
    /// <param name="p">Drop probability in <c>[0, 1]</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside <c>[0, 1]</c> or NaN.</exception>
    public static bool Keep(ulong seed, ulong step, long index, double p) =>
        KeepBits(Bits(StreamKey(seed, step), index), Threshold(p));

    /// <summary>The uniform draw <c>u</c> in <c>[0, 1)</c> of element <paramref name="index"/> at <paramref name="step"/>.</summary>
    /// <param name="seed">The layer's seed.</param>
    /// <param name="step">The training step.</param>
    /// <param name="index">Flat row-major index of the element.</param>
    public static double Uniform(ulong seed, ulong step, long index) =>
        (Bits(StreamKey(seed, step), index) >> 40) / TwoTo24;

    /// <summary>The scale of kept elements, <c>1 / (1 - p)</c> in float32; 0 for <c>p = 1</c> (nothing is kept).</summary>
    /// <param name="p">Drop probability in <c>[0, 1]</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside <c>[0, 1]</c> or NaN.</exception>
    public static float Scale(double p)
    {
        CheckProbability(p);
        return p == 1.0 ? 0f : (float)(1.0 / (1.0 - p));
    }

    /// <summary>Throws unless <c>0 &lt;= p &lt;= 1</c> (PyTorch: "dropout probability has to be between 0 and 1").</summary>
    /// <param name="p">Drop probability.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside <c>[0, 1]</c> or NaN.</exception>
    public static void CheckProbability(double p)
    {
        if (!(p >= 0.0 && p <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout probability has to be between 0 and 1.");
        }
    }

    /// <summary>The per-(seed, step) key of the element stream.</summary>
    internal static ulong StreamKey(ulong seed, ulong step) => Mix(seed ^ Mix(step + Golden));

    /// <summary>The 64 random bits of element <paramref name="index"/> in the stream <paramref name="key"/>.</summary>
    internal static ulong Bits(ulong key, long index) => Mix(key + (((ulong)index + 1) * Golden));

    /// <summary>
    /// <c>ceil(p * 2^24)</c>: <c>u &gt;= p</c> iff <c>(bits &gt;&gt; 40) &gt;= threshold</c>, because <c>bits &gt;&gt; 40</c> is an
    /// integer and <c>p * 2^24</c> is exact in float64.
    /// </summary>
    internal static ulong Threshold(double p)
    {
        CheckProbability(p);
        return (ulong)Math.Ceiling(p * TwoTo24);
    }

    /// <summary>Whether bits drawn by <see cref="Bits"/> keep their element for a given <see cref="Threshold"/>.</summary>
    internal static bool KeepBits(ulong bits, ulong threshold) => (bits >> 40) >= threshold;

    /// <summary>The SplitMix64 finalizer.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
