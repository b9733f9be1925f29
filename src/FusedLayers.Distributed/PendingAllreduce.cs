using System;
using System.Runtime.InteropServices;

namespace FusedLayers.Distributed;

/// <summary>
/// One non-blocking float sum across the group (<c>MPI_Iallreduce</c>) with its own buffers, pinned for their whole
/// life (MPI reads and writes them while the caller runs on), and its state: idle, or in flight since a timestamp.
/// Started, tested and waited for through <see cref="ProcessGroup"/>, which times it.
/// </summary>
internal sealed class PendingAllreduce
{
    private int request = MpichNative.RequestNull;

    public PendingAllreduce(int length)
    {
        Send = GC.AllocateArray<float>(length, pinned: true);
        Receive = GC.AllocateArray<float>(length, pinned: true);
    }

    /// <summary>This rank's values; do not change them while <see cref="InFlight"/>.</summary>
    public float[] Send { get; }

    /// <summary>The sums, valid once the operation has completed.</summary>
    public float[] Receive { get; }

    /// <summary>True from start to completion.</summary>
    public bool InFlight => request != MpichNative.RequestNull;

    /// <summary>Stopwatch timestamp of the start.</summary>
    public long StartedAt { get; private set; }

    public void Start(int communicator, long timestamp)
    {
        if (InFlight)
        {
            throw new InvalidOperationException("This allreduce is still in flight.");
        }

        request = MpichNative.StartAllreduceSum(
            Marshal.UnsafeAddrOfPinnedArrayElement(Send, 0), Marshal.UnsafeAddrOfPinnedArrayElement(Receive, 0), Send.Length, communicator);
        StartedAt = timestamp;
    }

    /// <summary>Drives MPI progress; true when it has completed now.</summary>
    public bool Test() => InFlight && MpichNative.Test(ref request);

    public void Wait() => MpichNative.Wait(ref request);
}
