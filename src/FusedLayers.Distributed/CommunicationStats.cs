using System;
using System.Diagnostics;

namespace FusedLayers.Distributed;

/// <summary>
/// Wall time this process spent inside collectives, by <see cref="CommunicationKind"/>. It includes the time spent
/// waiting for slower ranks (load imbalance), which is what a step loses to communication. Compare it with the step
/// time measured around the same steps for the communication share; <see cref="Reset"/> between phases.
/// </summary>
public sealed class CommunicationStats
{
    private readonly long[] ticks = new long[3];
    private readonly long[] calls = new long[3];
    private readonly long[] bytes = new long[3];

    /// <summary>Seconds in collectives of <paramref name="kind"/> since the last <see cref="Reset"/>.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>Seconds.</returns>
    public double Seconds(CommunicationKind kind) => ticks[(int)kind] / (double)Stopwatch.Frequency;

    /// <summary>Collective calls of <paramref name="kind"/>.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>Calls.</returns>
    public long Calls(CommunicationKind kind) => calls[(int)kind];

    /// <summary>Bytes this process contributed to collectives of <paramref name="kind"/>.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>Bytes.</returns>
    public long Bytes(CommunicationKind kind) => bytes[(int)kind];

    /// <summary>Seconds in gradient averaging and synchronised BatchNorm (set-up excluded): the per-step cost.</summary>
    public double TrainingSeconds => Seconds(CommunicationKind.Gradients) + Seconds(CommunicationKind.BatchNorm);

    /// <summary>Clears every counter.</summary>
    public void Reset()
    {
        Array.Clear(ticks);
        Array.Clear(calls);
        Array.Clear(bytes);
    }

    /// <summary>Records one collective.</summary>
    internal void Add(CommunicationKind kind, long elapsedTicks, long byteCount)
    {
        ticks[(int)kind] += elapsedTicks;
        calls[(int)kind]++;
        bytes[(int)kind] += byteCount;
    }
}
