using System;
using System.Collections.Generic;
using Xunit.Sdk;

namespace FusedLayers.Tests;

/// <summary>Steady-state allocation checks on the calling thread.</summary>
internal static class AllocationAssert
{
    /// <summary>
    /// Runs <paramref name="measured"/> (already warmed up) up to <paramref name="attempts"/> times and passes
    /// as soon as one run allocated nothing on the calling thread. A per-call allocation shows in every run;
    /// a one-off does not: <c>ArrayPool.Shared</c> drops its cached arrays when a gen-2 GC happens (caused by
    /// another test or the runtime), and the next rent then allocates once.
    /// </summary>
    /// <param name="measured">The calls that must not allocate.</param>
    /// <param name="attempts">How many runs to try.</param>
    public static void SteadyStateAllocatesNothing(Action measured, int attempts = 3)
    {
        var seen = new List<long>();
        for (int attempt = 0; attempt < attempts; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            measured();
            long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
            if (bytes == 0)
            {
                return;
            }

            seen.Add(bytes);
        }

        throw new XunitException($"Allocated on every one of {attempts} runs after warm-up: {string.Join(", ", seen)} bytes.");
    }
}
