using System;
using System.Threading;

namespace FusedLayers.Tests.Execution;

/// <summary>
/// A stand-in for MPI in one process: N replicas on N threads, each with its own <see cref="IBatchStatisticsCollective"/>
/// member; <c>AllReduceSum</c> waits for every member, sums their values in replica order and hands every member the
/// same sums. A member that waits more than the timeout throws (a replica died), so a test can never hang.
/// </summary>
internal sealed class InProcessReplicas
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly Barrier barrier;
    private readonly double[][] slots;

    public InProcessReplicas(int count)
    {
        barrier = new Barrier(count);
        slots = new double[count][];
    }

    /// <summary>Calls made by member 0 (every member makes the same ones).</summary>
    public int Calls { get; private set; }

    public IBatchStatisticsCollective Member(int replica) => new Collective(this, replica);

    private void Wait()
    {
        if (!barrier.SignalAndWait(Timeout))
        {
            throw new TimeoutException("A replica did not reach the collective within 30 s.");
        }
    }

    private sealed class Collective(InProcessReplicas hub, int replica) : IBatchStatisticsCollective
    {
        public int Replicas => hub.slots.Length;

        public void AllGather(ReadOnlySpan<double> values, Span<double> gathered)
        {
            hub.slots[replica] = values.ToArray();
            hub.Wait();
            for (int r = 0; r < hub.slots.Length; r++)
            {
                if (hub.slots[r].Length != values.Length)
                {
                    throw new InvalidOperationException($"Replicas gathered spans of different lengths ({hub.slots[r].Length} and {values.Length}).");
                }

                hub.slots[r].CopyTo(gathered.Slice(r * values.Length, values.Length));
            }

            if (replica == 0)
            {
                hub.Calls++;
            }

            hub.Wait();
        }

        public void AllReduceSum(Span<double> values)
        {
            hub.slots[replica] = values.ToArray();
            hub.Wait();
            for (int i = 0; i < values.Length; i++)
            {
                double sum = 0;
                foreach (double[] slot in hub.slots)
                {
                    if (slot.Length != values.Length)
                    {
                        throw new InvalidOperationException($"Replicas reduced spans of different lengths ({slot.Length} and {values.Length}).");
                    }

                    sum += slot[i];
                }

                values[i] = sum;
            }

            if (replica == 0)
            {
                hub.Calls++;
            }

            hub.Wait();
        }
    }
}
