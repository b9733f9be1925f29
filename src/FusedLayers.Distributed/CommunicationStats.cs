using System;
using System.Diagnostics;

namespace FusedLayers.Distributed;

/// <summary>
/// Time this process spent on collectives, by <see cref="CommunicationKind"/>, two ways. <see cref="Seconds"/> is the
/// exposed time: the calling thread was inside MPI (a blocking collective, or starting, testing and waiting for a
/// non-blocking one), including the wait for slower ranks; that is what a step loses to communication.
/// <see cref="InFlightSeconds"/> is the time from a collective's start to its completion: for a blocking one the same,
/// for the overlapped gradient allreduce (started during Backward) the longer span of which only the exposed part
/// costs. Compare both with the step time measured around the same steps; <see cref="Reset"/> between phases.
/// </summary>
public sealed class CommunicationStats
{
    private readonly long[] ticks = new long[3];
    private readonly long[] calls = new long[3];
    private readonly long[] bytes = new long[3];
    private readonly long[] inFlight = new long[3];

    /// <summary>Exposed seconds (the calling thread inside MPI) in collectives of <paramref name="kind"/> since the last <see cref="Reset"/>.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>Seconds.</returns>
    public double Seconds(CommunicationKind kind) => ticks[(int)kind] / (double)Stopwatch.Frequency;

    /// <summary>Seconds from start to completion of the collectives of <paramref name="kind"/> (at least <see cref="Seconds"/>; overlapped time included).</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>Seconds.</returns>
    public double InFlightSeconds(CommunicationKind kind) => inFlight[(int)kind] / (double)Stopwatch.Frequency;

    /// <summary>Collective calls of <paramref name="kind"/>.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>Calls.</returns>
    public long Calls(CommunicationKind kind) => calls[(int)kind];

    /// <summary>Bytes this process contributed to collectives of <paramref name="kind"/>.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>Bytes.</returns>
    public long Bytes(CommunicationKind kind) => bytes[(int)kind];

    /// <summary>Exposed seconds in gradient averaging and synchronised BatchNorm (set-up excluded): the per-step cost.</summary>
    public double TrainingSeconds => Seconds(CommunicationKind.Gradients) + Seconds(CommunicationKind.BatchNorm);

    /// <summary>In-flight seconds of gradient averaging and synchronised BatchNorm (overlapped time included).</summary>
    public double TrainingInFlightSeconds => InFlightSeconds(CommunicationKind.Gradients) + InFlightSeconds(CommunicationKind.BatchNorm);

    /// <summary>Clears every counter.</summary>
    public void Reset()
    {
        Array.Clear(ticks);
        Array.Clear(calls);
        Array.Clear(bytes);
        Array.Clear(inFlight);
    }

    /// <summary>Records one blocking collective (exposed and in flight for the same time).</summary>
    internal void Add(CommunicationKind kind, long elapsedTicks, long byteCount)
    {
        ticks[(int)kind] += elapsedTicks;
        inFlight[(int)kind] += elapsedTicks;
        calls[(int)kind]++;
        bytes[(int)kind] += byteCount;
    }

    /// <summary>Records time the calling thread spent starting, testing or waiting for a non-blocking collective.</summary>
    internal void AddExposed(CommunicationKind kind, long elapsedTicks) => ticks[(int)kind] += elapsedTicks;

    /// <summary>Records one completed non-blocking collective: start to completion.</summary>
    internal void AddCompleted(CommunicationKind kind, long inFlightTicks, long byteCount)
    {
        inFlight[(int)kind] += inFlightTicks;
        calls[(int)kind]++;
        bytes[(int)kind] += byteCount;
    }
}
