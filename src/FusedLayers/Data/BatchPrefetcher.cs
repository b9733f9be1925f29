using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace FusedLayers.Data;

/// <summary>
/// The background thread of a prefetching <see cref="DataLoader"/>: one request at a time. <see cref="Begin"/>
/// hands it a batch buffer to fill (the one the caller does not hold) and <see cref="Wait"/> waits for the fill
/// to finish. The two semaphores order the memory accesses: everything the caller wrote before
/// <see cref="Begin"/> is visible to the worker, and everything the worker wrote is visible after
/// <see cref="Wait"/>. Nothing is allocated per request.
/// </summary>
internal sealed class BatchPrefetcher : IDisposable
{
    private readonly Action<DataBatch, int, int> fill;
    private readonly SemaphoreSlim requested = new(0, 1);
    private readonly SemaphoreSlim done = new(0, 1);
    private readonly Thread worker;
    private DataBatch? target;
    private int batchIndex;
    private int epoch;
    private ExceptionDispatchInfo? error;
    private volatile bool stopping;

    /// <summary>Starts the worker thread.</summary>
    /// <param name="fill">Fills a buffer with a batch of an epoch; runs on the worker thread.</param>
    public BatchPrefetcher(Action<DataBatch, int, int> fill)
    {
        this.fill = fill;
        worker = new Thread(Run) { IsBackground = true, Name = "FusedLayers DataLoader prefetch" };
        worker.Start();
    }

    /// <summary>Whether a request is in flight (begun and not yet waited for).</summary>
    public bool Pending { get; private set; }

    /// <summary>Asks the worker to fill <paramref name="buffer"/> with batch <paramref name="index"/> of <paramref name="epochNumber"/>.</summary>
    public void Begin(DataBatch buffer, int index, int epochNumber)
    {
        target = buffer;
        batchIndex = index;
        epoch = epochNumber;
        error = null;
        Pending = true;
        requested.Release();
    }

    /// <summary>Waits for the request in flight; rethrows what the fill threw.</summary>
    public void Wait()
    {
        done.Wait();
        Pending = false;
        error?.Throw();
    }

    /// <summary>Waits for any request in flight and stops the thread.</summary>
    public void Dispose()
    {
        if (Pending)
        {
            done.Wait();
            Pending = false;
        }

        stopping = true;
        requested.Release();
        worker.Join();
        requested.Dispose();
        done.Dispose();
    }

    private void Run()
    {
        while (true)
        {
            requested.Wait();
            if (stopping)
            {
                return;
            }

            try
            {
                fill(target!, batchIndex, epoch);
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }

            done.Release();
        }
    }
}
