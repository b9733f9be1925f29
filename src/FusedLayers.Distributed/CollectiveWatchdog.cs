using System;
using System.Diagnostics;
using System.Threading;

namespace FusedLayers.Distributed;

/// <summary>
/// Ends the process when one collective waits longer than the timeout: a peer rank has died without MPI noticing
/// (it exited without <c>MPI_Finalize</c>) or is stuck. It kills this process with <see cref="Environment.FailFast(string)"/>
/// (no MPI call from a second thread), which makes <c>mpiexec</c> tear the whole job down; the message names this
/// rank, the collective and the wait. A rank that throws is handled sooner by <see cref="ProcessGroup.Run"/> (MPI abort).
/// </summary>
internal sealed class CollectiveWatchdog : IDisposable
{
    private readonly TimeSpan timeout;
    private readonly int rank;
    private readonly int size;
    private readonly Thread thread;
    private long enteredAt; // Stopwatch timestamp, 0 when no collective is running
    private string what = "";
    private volatile bool stopped;

    public CollectiveWatchdog(TimeSpan timeout, int rank, int size)
    {
        this.timeout = timeout;
        this.rank = rank;
        this.size = size;
        thread = new Thread(Watch) { IsBackground = true, Name = "FusedLayers.Distributed watchdog" };
        thread.Start();
    }

    public void Enter(string collective)
    {
        what = collective;
        Volatile.Write(ref enteredAt, Stopwatch.GetTimestamp());
    }

    public void Exit() => Volatile.Write(ref enteredAt, 0);

    public void Dispose()
    {
        stopped = true;
        thread.Join();
    }

    private void Watch()
    {
        int pollMs = (int)Math.Clamp(timeout.TotalMilliseconds / 10, 10, 500);
        while (!stopped)
        {
            Thread.Sleep(pollMs);
            long start = Volatile.Read(ref enteredAt);
            if (start != 0 && Stopwatch.GetElapsedTime(start) > timeout)
            {
                string message =
                    $"FusedLayers.Distributed: rank {rank} of {size} waited more than {timeout.TotalSeconds:0.#} s in collective '{what}': " +
                    "another rank has failed, exited or stalled. Ending this rank so that mpiexec stops the job.";
                Console.Error.WriteLine(message);
                Console.Error.Flush();
                Environment.FailFast(message);
            }
        }
    }
}
