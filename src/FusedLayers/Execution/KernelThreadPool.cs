using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace FusedLayers.Kernels;

/// <summary>
/// A small pool of dedicated worker threads for kernel loops. The calling thread works too; indices are
/// handed out with an atomic counter. One parallel region runs at a time: a call that finds the pool
/// busy (another model on another thread) runs its loop inline instead of waiting, so there is no
/// oversubscription and no deadlock. Steady-state calls allocate nothing.
/// </summary>
public static class KernelThreadPool
{
    private static readonly object Gate = new();
    private static Worker[] workers = [];

    /// <summary>Runs <paramref name="work"/> for indices <c>[0, count)</c> on up to <paramref name="threads"/> threads.</summary>
    /// <param name="work">The loop body.</param>
    /// <param name="count">Number of indices.</param>
    /// <param name="threads">Maximum threads, the caller included.</param>
    public static void Run(ParallelWork work, int count, int threads)
    {
        ArgumentNullException.ThrowIfNull(work);
        threads = Math.Min(threads, count);
        if (threads <= 1 || !Monitor.TryEnter(Gate))
        {
            for (int i = 0; i < count; i++)
            {
                work.Execute(i);
            }

            return;
        }

        try
        {
            RunLocked(work, count, threads);
        }
        finally
        {
            Monitor.Exit(Gate);
        }
    }

    private static void RunLocked(ParallelWork work, int count, int threads)
    {
        EnsureWorkers(threads - 1);
        var region = Region.Shared;
        region.Start(work, count, threads - 1);
        for (int t = 0; t < threads - 1; t++)
        {
            workers[t].Signal();
        }

        region.Drain();
        region.WaitForWorkers();
        region.ThrowIfFailed();
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

    /// <summary>The shared state of the one running region.</summary>
    private sealed class Region
    {
        public static readonly Region Shared = new();

        private readonly ManualResetEventSlim finished = new(false);
        private ParallelWork? work;
        private int count;
        private int next;
        private int activeWorkers;
        private Exception? failure;

        public void Start(ParallelWork body, int total, int workerCount)
        {
            work = body;
            count = total;
            next = 0;
            failure = null;
            activeWorkers = workerCount;
            finished.Reset();
        }

        public void Drain()
        {
            ParallelWork body = work!;
            int i;
            while ((i = Interlocked.Increment(ref next) - 1) < count)
            {
                try
                {
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

        public void WorkerDone()
        {
            if (Interlocked.Decrement(ref activeWorkers) == 0)
            {
                finished.Set();
            }
        }

        public void WaitForWorkers()
        {
            if (Volatile.Read(ref activeWorkers) > 0)
            {
                finished.Wait();
            }

            work = null;
        }

        public void ThrowIfFailed()
        {
            if (failure is not null)
            {
                ExceptionDispatchInfo.Throw(failure);
            }
        }
    }

    private sealed class Worker
    {
        private readonly SemaphoreSlim start = new(0);

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = "FusedLayers kernel worker " + index };
            thread.Start();
        }

        public void Signal() => start.Release();

        private void Loop()
        {
            while (true)
            {
                start.Wait();
                Region.Shared.Drain();
                Region.Shared.WorkerDone();
            }
        }
    }
}
