using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace FusedLayers.Execution;

/// <summary>
/// A small pool of dedicated worker threads for kernel loops. The calling thread works too; indices are
/// handed out with an atomic counter. One parallel region runs at a time: a call that finds the pool
/// busy (another model on another thread), or that is made from inside a running region, runs its loop
/// inline instead of waiting, so there is no oversubscription and no deadlock. Steady-state calls
/// allocate nothing.
/// </summary>
/// <remarks>
/// <para>Completion protocol. Every worker owns a slot whose state moves Idle -&gt; Assigned (by the
/// caller, when it hands the worker the region) -&gt; Running (by the worker, with a compare-and-swap,
/// when it wakes) -&gt; Idle (by the worker, after its last item). When the caller has drained the index
/// counter it takes back every slot still Assigned (compare-and-swap Assigned -&gt; Idle: that worker has
/// not started and never will for this region) and waits for every slot that is Running to become Idle.
/// Nothing is shared between regions but the slots themselves, so a worker preempted at any instruction
/// cannot make a later region return early: <see cref="Run"/> returns only when every index has run
/// exactly once and no worker is still inside the region.</para>
/// <para>Exceptions. The first exception thrown by any index (on any thread) is rethrown to the caller of
/// that <see cref="Run"/>, after every other index has finished; the pool stays usable.</para>
/// </remarks>
public static class KernelThreadPool
{
    private static readonly object Gate = new();
    private static readonly Region Shared = new();
    private static Worker[] workers = [];

    [ThreadStatic]
    private static bool insideRegion;

    /// <summary>
    /// Tests only: called with each index before it runs, on whichever thread runs it, for regions that the
    /// thread setting it starts (a thread-static, so tests running in parallel do not see each other's hooks).
    /// Lets a test make an index throw on a worker.
    /// </summary>
    [ThreadStatic]
    internal static Action<int>? BeforeItemForTests;

    /// <summary>The most worker threads the pool starts: one fewer than the cores, since the caller works too.</summary>
    public static int MaxWorkers { get; } = Math.Max(1, Environment.ProcessorCount - 1);

    /// <summary>Runs <paramref name="work"/> for indices <c>[0, count)</c> on up to <paramref name="threads"/> threads.</summary>
    /// <param name="work">The loop body.</param>
    /// <param name="count">Number of indices.</param>
    /// <param name="threads">Maximum threads, the caller included.</param>
    public static void Run(ParallelWork work, int count, int threads)
    {
        ArgumentNullException.ThrowIfNull(work);
        threads = Math.Min(Math.Min(threads, count), MaxWorkers + 1);
        if (threads <= 1 || insideRegion || !Monitor.TryEnter(Gate))
        {
            RunInline(work, count);
            return;
        }

        insideRegion = true;
        try
        {
            RunLocked(work, count, threads - 1);
        }
        finally
        {
            insideRegion = false;
            Monitor.Exit(Gate);
        }
    }

    /// <summary>The loop on the calling thread alone, with the same failure rule as a region: every index runs, then the first exception is rethrown.</summary>
    private static void RunInline(ParallelWork work, int count)
    {
        Exception? first = null;
        for (int i = 0; i < count; i++)
        {
            try
            {
                work.Execute(i);
            }
#pragma warning disable CA1031 // Rethrown below.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                first ??= exception;
            }
        }

        if (first is not null)
        {
            ExceptionDispatchInfo.Throw(first);
        }
    }

    private static void RunLocked(ParallelWork work, int count, int workerCount)
    {
        EnsureWorkers(workerCount);
        Shared.Start(work, count);
        for (int t = 0; t < workerCount; t++)
        {
            workers[t].Assign();
        }

        Shared.Drain();
        for (int t = 0; t < workerCount; t++)
        {
            workers[t].Retire();
        }

        Shared.Finish();
    }

    private static void EnsureWorkers(int count)
    {
        if (workers.Length >= count)
        {
            return;
        }

        var grown = new Worker[count];
        Array.Copy(workers, grown, workers.Length);
        for (int i = workers.Length; i < count; i++)
        {
            grown[i] = new Worker(i);
        }

        workers = grown;
    }

    /// <summary>The index counter and the first failure of the one running region.</summary>
    private sealed class Region
    {
        private ParallelWork? work;
        private Action<int>? beforeItem;
        private int count;
        private int next;
        private Exception? failure;

        public void Start(ParallelWork body, int total)
        {
            work = body;
            beforeItem = BeforeItemForTests;
            count = total;
            failure = null;
            Volatile.Write(ref next, 0);
        }

        public void Drain()
        {
            ParallelWork body = work!;
            Action<int>? hook = beforeItem;
            int total = count;
            bool outer = insideRegion;
            insideRegion = true;
            try
            {
                int i;
                while ((i = Interlocked.Increment(ref next) - 1) < total)
                {
                    try
                    {
                        hook?.Invoke(i);
                        body.Execute(i);
                    }
#pragma warning disable CA1031 // Rethrown on the calling thread.
                    catch (Exception exception)
#pragma warning restore CA1031
                    {
                        Interlocked.CompareExchange(ref failure, exception, null);
                    }
                }
            }
            finally
            {
                insideRegion = outer;
            }
        }

        /// <summary>Called once no worker is inside the region: forgets the body and rethrows the first failure.</summary>
        public void Finish()
        {
            work = null;
            beforeItem = null;
            Exception? first = failure;
            failure = null;
            if (first is not null)
            {
                ExceptionDispatchInfo.Throw(first);
            }
        }
    }

    /// <summary>One worker thread and its slot (see the completion protocol on <see cref="KernelThreadPool"/>).</summary>
    private sealed class Worker
    {
        private const int Idle = 0;
        private const int Assigned = 1;
        private const int Running = 2;

        private readonly SemaphoreSlim wake = new(0);
        private int state;

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = "FusedLayers kernel worker " + index };
            thread.Start();
        }

        /// <summary>Caller: hands this worker the current region and wakes it.</summary>
        public void Assign()
        {
            Volatile.Write(ref state, Assigned);
            wake.Release();
        }

        /// <summary>Caller, after draining: takes the slot back if the worker has not started, else waits until it is done.</summary>
        public void Retire()
        {
            if (Interlocked.CompareExchange(ref state, Idle, Assigned) == Assigned)
            {
                return;
            }

            var spinner = default(SpinWait);
            while (Volatile.Read(ref state) != Idle)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }
        }

        private void Loop()
        {
            while (true)
            {
                wake.Wait();

                // A wake-up whose region was already taken back finds the slot Idle (or Assigned to a newer
                // region, which is then the region this worker runs): either way the state decides.
                if (Interlocked.CompareExchange(ref state, Running, Assigned) != Assigned)
                {
                    continue;
                }

                Shared.Drain();
                Volatile.Write(ref state, Idle);
            }
        }
    }
}
