using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

namespace ResNet;

/// <summary>
/// Stopwatch medians for the sample's printout (the benchmark suite, samples/FusedLayers.Benchmarks, is
/// the place for careful figures): warm-ups, then iterations that alternate between the runners, so that
/// a slow spell on this shared machine hits both sides alike.
/// </summary>
internal static class Timing
{
    /// <summary>The median milliseconds of <paramref name="action"/> per runner, in the runners' order.</summary>
    public static double[] InterleavedMedians(IReadOnlyList<IRunner> runners, Action<IRunner> action, int warmup, int iterations)
    {
        foreach (IRunner runner in runners)
        {
            for (int i = 0; i < warmup; i++)
            {
                action(runner);
            }
        }

        var times = runners.Select(_ => new double[iterations]).ToArray();
        for (int i = 0; i < iterations; i++)
        {
            for (int r = 0; r < runners.Count; r++)
            {
                long start = Stopwatch.GetTimestamp();
                action(runners[r]);
                times[r][i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        }

        return [.. times.Select(Median)];
    }

    private static double Median(double[] values)
    {
        double[] sorted = [.. values.Order()];
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
