using System;
using System.Threading;

namespace FusedLayers.Tests.Execution;

/// <summary>
/// Threads that compete for the cores until disposed, so that pool workers and callers get preempted at
/// arbitrary points: half of them spin, half spin briefly and sleep, and each of their wake-ups preempts
/// whatever thread runs on that core at that instant.
/// </summary>
internal sealed class BusyThreads : IDisposable
{
    private readonly Thread[] threads;
    private volatile bool stop;

    public BusyThreads(int count)
    {
        threads = new Thread[count];
        for (int i = 0; i < count; i++)
        {
            threads[i] = new Thread(i % 2 == 0 ? Spin : SpinAndSleep) { IsBackground = true, Name = "busy " + i };
            threads[i].Start();
        }
    }

    public void Dispose()
    {
        stop = true;
        foreach (var thread in threads)
        {
            thread.Join();
        }
    }

    private void Spin()
    {
        while (!stop)
        {
            Thread.SpinWait(1000);
        }
    }

    private void SpinAndSleep()
    {
        while (!stop)
        {
            Thread.SpinWait(500);
            Thread.Sleep(1);
        }
    }
}
