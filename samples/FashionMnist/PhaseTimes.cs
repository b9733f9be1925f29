using System;
using System.Diagnostics;
using System.Globalization;

namespace FashionMnist;

/// <summary>The phases of a training step whose time is accounted separately, in step order.</summary>
internal enum Phase
{
    /// <summary>The next mini-batch: shuffled indices, flips, normalisation into the shared buffers (and, for PyTorch, the copy into tensors).</summary>
    Data,

    /// <summary>The model's training forward.</summary>
    Forward,

    /// <summary>Cross-entropy and its gradient (FusedLayers: one call; PyTorch: <c>F.cross_entropy</c>) plus the accuracy count.</summary>
    Loss,

    /// <summary>Zeroing the gradients and the model's backward.</summary>
    Backward,

    /// <summary>The optimizer step and the per-step learning-rate schedule.</summary>
    Optimizer,
}

/// <summary>
/// Wall time per <see cref="Phase"/> over an epoch, taken with <see cref="Stopwatch"/> timestamps around each phase
/// (libtorch on the CPU runs synchronously, so its phases are timed the same way). Shows where the gap between the
/// two frameworks sits once the whole training loop, not one block, is measured.
/// </summary>
internal sealed class PhaseTimes
{
    private static readonly Phase[] Phases = Enum.GetValues<Phase>();
    private readonly long[] ticks = new long[Phases.Length];
    private long mark;

    /// <summary>Seconds spent in <paramref name="phase"/> since the last <see cref="Reset"/>.</summary>
    public double this[Phase phase] => ticks[(int)phase] / (double)Stopwatch.Frequency;

    /// <summary>Seconds over every phase.</summary>
    public double Total
    {
        get
        {
            long sum = 0;
            foreach (long t in ticks)
            {
                sum += t;
            }

            return sum / (double)Stopwatch.Frequency;
        }
    }

    /// <summary>Clears every phase.</summary>
    public void Reset() => Array.Clear(ticks);

    /// <summary>Starts timing: the next <see cref="Lap"/> measures from here.</summary>
    public void Start() => mark = Stopwatch.GetTimestamp();

    /// <summary>Charges the time since the last <see cref="Start"/> or <see cref="Lap"/> to <paramref name="phase"/>.</summary>
    /// <param name="phase">The phase that just ended.</param>
    public void Lap(Phase phase)
    {
        long now = Stopwatch.GetTimestamp();
        ticks[(int)phase] += now - mark;
        mark = now;
    }

    /// <summary>A copy of the current totals.</summary>
    public PhaseTimes Snapshot()
    {
        var copy = new PhaseTimes();
        Array.Copy(ticks, copy.ticks, ticks.Length);
        return copy;
    }

    /// <summary>Adds <paramref name="other"/>'s totals to these.</summary>
    public void Add(PhaseTimes other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (int i = 0; i < ticks.Length; i++)
        {
            ticks[i] += other.ticks[i];
        }
    }

    /// <summary>"data 1.2 s (4%), forward 9.8 s (35%), ..."</summary>
    public override string ToString()
    {
        double total = Math.Max(Total, 1e-12);
        return string.Join(", ", Array.ConvertAll(Phases, p => string.Create(
            CultureInfo.InvariantCulture, $"{p.ToString().ToLowerInvariant()} {this[p]:F1} s ({100 * this[p] / total:F0}%)")));
    }

    /// <summary>The phases in step order.</summary>
    public static ReadOnlySpan<Phase> All => Phases;
}
