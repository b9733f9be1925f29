using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using FusedLayers.Execution;

namespace FusedLayers.Benchmarks.Compare;

/// <summary>
/// A STREAM-like copy (<c>b[i] = a[i]</c>, split into chunks over <c>Threads</c> threads of the kernel
/// thread pool) measuring the memory bandwidth for the roofline notes of <c>compare</c>: with 2 x 128 MiB
/// (far beyond the last-level cache: DRAM) and 2 x 8 MiB (resident in a 32 MiB L3 after the first pass).
/// Bandwidth counts read + written bytes (STREAM's convention; the write-allocate read of a
/// cached store is not counted).
/// </summary>
/// <remarks>
/// Generic (over the element type copied) so that BenchmarkSwitcher, i.e. the suite's default verbs and
/// <c>--smoke</c>, skips it: an open generic benchmark class without <c>[GenericTypeArguments]</c> is not
/// discovered, and the suite's <see cref="PerformanceColumn"/> expects block benchmarks. <c>compare</c>
/// runs the closed type <c>MemoryBandwidthBenchmarks&lt;float&gt;</c>.
/// </remarks>
/// <typeparam name="TElement">Element type of the arrays.</typeparam>
public class MemoryBandwidthBenchmarks<TElement>
    where TElement : unmanaged
{
    private readonly CopyWork work = new();

    /// <summary>Size of each of the two arrays, MiB.</summary>
    [Params(128, 8)]
    public int MiB { get; set; } = 128;

    /// <summary>Threads.</summary>
    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; } = 1;

    /// <summary>1 and all cores.</summary>
    public static int[] ThreadCounts => BlockBenchmarks.ThreadCounts;

    /// <summary>Allocates and touches both arrays.</summary>
    [GlobalSetup]
    public void Setup()
    {
        int length = (MiB << 20) / Unsafe.SizeOf<TElement>();
        work.Source = new TElement[length];
        work.Destination = new TElement[length];
        work.Destination.AsSpan().Fill(default);
        MemoryMarshal.AsBytes(work.Source.AsSpan()).Fill(1);
    }

    /// <summary>One copy of the source array into the destination.</summary>
    [Benchmark(Description = "Copy")]
    public void Copy() => KernelThreadPool.Run(work, CopyWork.Chunks, Threads);

    private sealed class CopyWork : ParallelWork
    {
        public const int Chunks = 64;

        public TElement[] Source { get; set; } = [];

        public TElement[] Destination { get; set; } = [];

        public override void Execute(int index)
        {
            int chunk = Source.Length / Chunks;
            Source.AsSpan(index * chunk, chunk).CopyTo(Destination.AsSpan(index * chunk, chunk));
        }
    }
}

/// <summary>Bytes moved by <see cref="MemoryBandwidthBenchmarks{TElement}"/>.</summary>
public static class MemoryBandwidth
{
    /// <summary>Bytes read plus bytes written by one copy of <paramref name="mib"/> MiB.</summary>
    public static double BytesMoved(int mib) => 2.0 * mib * (1 << 20);
}
