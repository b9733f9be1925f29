using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using FusedLayers.Benchmarks.Peers;
using FusedLayers.Execution;
using Perfolizer.Horology;

namespace FusedLayers.Benchmarks.Compare;

/// <summary>
/// The <c>compare</c> verb: FusedLayers against PyTorch (TorchSharp) and ONNX Runtime on every block x
/// mode x thread count, with the FMA peak and the memory bandwidth measured in the same run; prints a
/// markdown table and writes it as markdown and CSV, and a PNG chart of the speed-ups.
/// </summary>
/// <remarks>
/// Measurement: BenchmarkDotNet driven programmatically (the same engine, pilot, warm-up and statistics
/// as the rest of the suite), one run per block and thread count with the peers next to FusedLayers; the
/// table takes each case's smaller median of two passes. The job runs in process
/// (<see cref="InProcessEmitToolchain"/>), for two reasons. First, BenchmarkDotNet's default toolchain
/// builds a generated project per run whose output gets its own, unpatched copy of TorchSharp's native
/// wrapper (build/TorchSharpNativeFix.targets patches only this project's output), so libtorch would
/// not load on Debian 12. Second, it saves a build and a hundred process starts, which keeps <c>--quick</c>
/// within minutes on two cores. The cost is isolation: all three libraries share the process. Each
/// peer's thread pool is idle (libgomp and ONNX Runtime threads spin briefly, then sleep; ONNX Runtime
/// sessions and their pools are disposed in each case's cleanup) while the others run, FusedLayers
/// allocates no native memory, so the malloc tuning for libtorch does not touch it.
/// </remarks>
public static class CompareCommand
{
    private const int Passes = 2;

    private static readonly string[] Modes = ["TrainForward", "TrainStep", "InferForward", "InferForwardDirect"];

    /// <summary>
    /// Runs the comparison; <c>--quick</c> for fewer iterations, <c>--smoke</c> for one cold invocation per case and one
    /// pass (a check that every case's setup, cross-check and the table, CSV and chart work; its times are no
    /// measurement), <c>--memory</c> to add the peak memory of a training step, FusedLayers against PyTorch, per block
    /// with a training step and thread count (<see cref="MemoryCommand"/>: child processes, after the timed runs),
    /// <c>--out DIR</c> for the output folder (the <c>--blocks</c> option, taken out by <see cref="BlockSelection"/>
    /// before this, picks the blocks).
    /// </summary>
    public static int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        bool smoke = args.Contains("--smoke");
        bool quick = !smoke && args.Contains("--quick");
        string variant = smoke ? "--smoke" : quick ? "--quick" : string.Empty;
        int outIndex = Array.IndexOf(args, "--out");
        string outDir = Path.GetFullPath(outIndex >= 0 && outIndex + 1 < args.Length ? args[outIndex + 1] : Path.Combine("BenchmarkDotNet.Artifacts", "compare"));
        Directory.CreateDirectory(outDir);
        BlockBenchmarks.Smoke = false;

        // Quick: two warm-ups and nine measured iterations of ~100 ms (one invocation each for cases longer
        // than that), about 4 minutes here for both passes; full: three warm-ups and fifteen iterations of
        // ~250 ms, about 11 minutes. Smoke: BenchmarkDotNet's dry job (one cold invocation, no pilot or
        // warm-up) in one pass.
        Job job = smoke
            ? Job.Dry
                .WithToolchain(InProcessEmitToolchain.Instance)
                .WithId("CompareSmoke")
                .AsDefault()
            : Job.Default
                .WithToolchain(InProcessEmitToolchain.Instance)
                .WithWarmupCount(quick ? 2 : 3)
                .WithIterationCount(quick ? 9 : 15)
                .WithIterationTime(TimeInterval.FromMilliseconds(quick ? 100 : 250))
                .WithEvaluateOverhead(false)
                .WithId(quick ? "CompareQuick" : "Compare")
                .AsDefault();
        // The default config's loggers, columns, analysers and validators, without its exporters: compare
        // writes its own table, and BenchmarkDotNet's per-run reports would overwrite each other.
        IConfig config = ManualConfig.CreateEmpty()
            .AddLogger(DefaultConfig.Instance.GetLoggers().ToArray())
            .AddColumnProvider(DefaultConfig.Instance.GetColumnProviders().ToArray())
            .AddAnalyser(DefaultConfig.Instance.GetAnalysers().ToArray())
            .AddValidator(DefaultConfig.Instance.GetValidators().ToArray())
            .AddJob(job)
            .AddFilter(BlockModeFilter.Instance)
            .WithOrderer(new InterleavedOrderer())
            .WithOptions(ConfigOptions.DisableLogFile)
            .WithArtifactsPath(Path.Combine(outDir, "bdn"));

        // Every case of the four classes, run row group by row group: the copy bandwidth first, then for each
        // block and thread count the FMA peak, FusedLayers, TorchSharp and ONNX Runtime. This machine's speed
        // drifts over minutes (shared host): grouping keeps the cases a speed-up compares within seconds of
        // each other, and spreads the three FMA-peak runs of a thread count (one per block; the table takes
        // the best) over the whole run. (One BenchmarkDotNet run executes its cases class by class, hence
        // one run per group.)
        Type[] types = [typeof(MemoryBandwidthBenchmarks<float>), typeof(BlockBenchmarks), typeof(TorchSharpBenchmarks), typeof(OnnxRuntimeBenchmarks)];
        BenchmarkRunInfo[] perType = [.. types.Select(t => BenchmarkConverter.TypeToBenchmarks(t, config))];
        var groups = perType
            .SelectMany(r => r.BenchmarksCases)
            .GroupBy(c => c.Descriptor.Type == typeof(MemoryBandwidthBenchmarks<float>) ? (-1, 0) : (Array.IndexOf(BlockBenchmarks.Blocks, (string)c.Parameters["Block"]), (int)c.Parameters["Threads"]))
            .OrderBy(g => g.Key)
            .ToList();
        // Two passes over all groups; each case's figure is the smaller of its two medians (interference
        // from the host only ever slows a case down, and a slow spell rarely hits both passes).
        DateTime started = DateTime.UtcNow;
        var summaries = new List<Summary>();
        for (int pass = 0; pass < (smoke ? 1 : Passes); pass++)
        {
            foreach (var group in groups)
            {
                using var run = new BenchmarkRunInfo([.. group], typeof(BlockBenchmarks), perType[0].Config);
                summaries.Add(BenchmarkRunner.Run(run));
            }
        }

        TimeSpan elapsed = DateTime.UtcNow - started;
        var measurements = Measurements.From(summaries);
        List<CompareRow> rows = BuildRows(measurements);
        string markdown = Markdown(rows, measurements, variant, started, elapsed);
        if (args.Contains("--memory"))
        {
            // After the timed runs, one child process per framework and thread count (MemoryCommand), nothing timed.
            foreach (string block in BlockBenchmarks.Blocks.Where(b => !BlockShapes.InferenceOnly(b)))
            {
                IReadOnlyList<MemoryResult> memory = MemoryCommand.Measure(block, BlockShapes.Batch(block), BlockBenchmarks.ThreadCounts, steps: 3, torchMalloc: "both");
                markdown += Environment.NewLine + MemoryCommand.Markdown(memory);
            }
        }

        Console.WriteLine();
        Console.WriteLine(markdown);

        string csvPath = Path.Combine(outDir, "compare.csv");
        string markdownPath = Path.Combine(outDir, "compare.md");
        string chartPath = Path.Combine(outDir, "compare.png");
        File.WriteAllText(csvPath, Csv(rows));
        File.WriteAllText(markdownPath, markdown);
        CompareChart.Render(rows, chartPath, variant);
        Console.WriteLine($"CSV:      {csvPath}");
        Console.WriteLine($"Markdown: {markdownPath}");
        Console.WriteLine($"Chart:    {chartPath}");
        return rows.Any(r => r.FusedUs is null) ? 1 : 0;
    }

    private static List<CompareRow> BuildRows(Measurements m)
    {
        long? cache = Roofline.LastLevelCacheBytes();
        var rows = new List<CompareRow>();
        foreach (string block in BlockBenchmarks.Blocks)
        {
            // An inference-only block (ResNet18b1) has no training cases (BlockModeFilter), so no training rows either.
            foreach (string mode in Modes.Where(mode => BlockShapes.RunsMode(block, mode)))
            {
                foreach (int threads in BlockBenchmarks.ThreadCounts)
                {
                    // InferForwardDirect is FusedLayers' inference with the direct convolution forced, against the
                    // same peer runs as InferForward (which runs ConvAlgorithm.Auto).
                    string peerMode = mode == "InferForwardDirect" ? "InferForward" : mode;
                    double? fused = m.Time("FusedLayers", block, mode, threads);
                    double? torch = m.Time("TorchSharp", block, peerMode, threads);
                    double? ort = peerMode == "InferForward" ? m.Time("OnnxRuntime", block, peerMode, threads) : null;
                    double? best = new[] { torch, ort }.Where(t => t is not null).Min();
                    string? bestPeer = best is null ? null : best == torch ? "TorchSharp" : "ONNX Runtime";
                    double flops = BlockShapes.Flops(block, mode);
                    double? peak = m.PeakGflops(threads);
                    bool inCache = cache is not null && Roofline.WorkingSet(block, peerMode) <= cache.Value / 2.0;
                    double? bandwidth = m.BandwidthGBps(inCache ? 8 : 128, threads);
                    rows.Add(new CompareRow(
                        block,
                        mode,
                        threads,
                        fused / 1000,
                        torch / 1000,
                        ort / 1000,
                        bestPeer,
                        fused is > 0 && best is > 0 ? best / fused : null,
                        fused is > 0 ? flops / fused : null,
                        fused is > 0 && peak is > 0 ? 100 * flops / fused / peak : null,
                        peak is > 0 ? flops / peak / 1000 : null,
                        bandwidth is > 0 ? Roofline.BytesMoved(block, peerMode) / bandwidth / 1000 : null,
                        inCache ? "L3" : "DRAM"));
                }
            }
        }

        return rows;
    }

    private static string Markdown(List<CompareRow> rows, Measurements m, string variant, DateTime started, TimeSpan elapsed)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"## FusedLayers vs PyTorch (TorchSharp) and ONNX Runtime{(variant.Length > 0 ? $" ({variant})" : string.Empty)}");
        if (variant == "--smoke")
        {
            sb.AppendLine();
            sb.AppendLine("**Smoke run: one cold invocation per case, one pass. The times below show that every case ran; they are not measurements.**");
        }

        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"- Run: {started:yyyy-MM-dd HH:mm} UTC, {elapsed.TotalMinutes:F1} min; {Machine()}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- {RuntimeInformation.FrameworkDescription}; TorchSharp-cpu 0.107.0 (libtorch 2.10 CPU); Microsoft.ML.OnnxRuntime 1.31.1 (CPU provider); FusedLayers kernels: {KernelContext.BestSupported}");
        foreach (int threads in BlockBenchmarks.ThreadCounts)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"- {threads} thread{(threads == 1 ? string.Empty : "s")}: FMA peak {Format(m.PeakGflops(threads), "F1")} GFLOP/s; copy bandwidth {Format(m.BandwidthGBps(128, threads), "F1")} GB/s (DRAM, 2 x 128 MiB), {Format(m.BandwidthGBps(8, threads), "F1")} GB/s (L3, 2 x 8 MiB)");
        }

        foreach ((string block, string graph) in OnnxRuntimeBenchmarks.OptimizedGraphs.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"- ONNX Runtime's optimised graph, block {block}: {graph}");
        }

        if (BlockBenchmarks.Blocks.Any(BlockShapes.InferenceOnly))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"- Block ResNet18b1: torchvision's ResNet-18 at batch 1 (same model, peers and ONNX graph as ResNet18 at batch {BlockShapes.ResNet18Batch}), inference rows only: a training forward or step at batch 1 is no meaningful case for a BatchNorm network, so those cases are not run.");
        }

        sb.AppendLine("- Modes: InferForward runs every convolution with ConvAlgorithm.Auto (Winograd where the shared rule picks it); InferForwardDirect is the same inference with ConvAlgorithm.Direct forced, in the same run, against the same peer figures. % of FMA peak counts direct-convolution FLOPs, so Winograd can exceed 100%.");
        sb.AppendLine((variant == "--smoke" ? "- Times (µs): per case, its one cold invocation (--smoke)." : "- Times (µs): per case, the smaller of the BenchmarkDotNet medians of two passes.") + " Speed-up = best peer's time / FusedLayers' time (> 1: FusedLayers faster). % of FMA peak: conv/linear FLOPs (training step = 3x forward) per second over the FMA peak at the same thread count. Roofline: the larger of FLOPs / peak and estimated minimum bytes moved / copy bandwidth (Compare/Roofline.cs), and the share of that bound FusedLayers reaches.");
        sb.AppendLine();
        sb.AppendLine("| Block | Mode | Threads | FusedLayers µs | TorchSharp µs | ONNX Runtime µs | Speed-up vs best peer | % of FMA peak | Roofline |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---|");
        foreach (CompareRow r in rows)
        {
            string speedUp = r.SpeedUp is null ? "-" : $"{r.SpeedUp.Value.ToString("F2", CultureInfo.InvariantCulture)}x ({r.BestPeer})";
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Block} | {r.Mode} | {r.Threads} | {Micro(r.FusedUs)} | {Micro(r.TorchUs)} | {Micro(r.OrtUs)} | {speedUp} | {Format(r.PercentOfPeak, "F0")}% | {r.RooflineNote} |");
        }

        return sb.ToString();
    }

    private static string Csv(List<CompareRow> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("block,mode,threads,fusedlayers_us,torchsharp_us,onnxruntime_us,best_peer,speedup_vs_best_peer,fusedlayers_gflops,fusedlayers_pct_of_fma_peak,bound,compute_bound_us,memory_bound_us,memory_level,pct_of_bound");
        foreach (CompareRow r in rows)
        {
            sb.AppendLine(string.Join(',',
                r.Block,
                r.Mode,
                r.Threads.ToString(CultureInfo.InvariantCulture),
                Format(r.FusedUs, "F1", string.Empty),
                Format(r.TorchUs, "F1", string.Empty),
                Format(r.OrtUs, "F1", string.Empty),
                r.BestPeer ?? string.Empty,
                Format(r.SpeedUp, "F3", string.Empty),
                Format(r.Gflops, "F2", string.Empty),
                Format(r.PercentOfPeak, "F1", string.Empty),
                r.Bound ?? string.Empty,
                Format(r.ComputeBoundUs, "F1", string.Empty),
                Format(r.MemoryBoundUs, "F1", string.Empty),
                r.MemoryLevel,
                Format(r.PercentOfBound, "F1", string.Empty)));
        }

        return sb.ToString();
    }

    private static string Machine()
    {
        string cpu = "unknown CPU";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        string isa = Avx512F.IsSupported ? "AVX-512F present" : Fma.IsSupported && Avx2.IsSupported ? "AVX2 + FMA, no AVX-512" : "no AVX2/FMA";
        long? cache = Roofline.LastLevelCacheBytes();
        return $"{cpu}, {Environment.ProcessorCount} cores, {isa}{(cache is null ? string.Empty : $", L3 {cache.Value >> 20} MiB")}, {RuntimeInformation.OSDescription}";
    }

    /// <summary>Within a row group: the FMA peak, then each mode's FusedLayers, TorchSharp and ONNX Runtime cases.</summary>
    private sealed class InterleavedOrderer : DefaultOrderer
    {
        private static readonly Type[] Implementations = [typeof(BlockBenchmarks), typeof(TorchSharpBenchmarks), typeof(OnnxRuntimeBenchmarks)];

        public override IEnumerable<BenchmarkCase> GetExecutionOrder(ImmutableArray<BenchmarkCase> benchmarksCase, IEnumerable<BenchmarkLogicalGroupRule>? order = null) =>
            benchmarksCase
                .OrderBy(c => c.Descriptor.Type == typeof(MemoryBandwidthBenchmarks<float>) ? -1 : Array.IndexOf(BlockBenchmarks.Blocks, (string)c.Parameters["Block"]))
                .ThenBy(c => (int)c.Parameters["Threads"])
                .ThenBy(c => c.Descriptor.WorkloadMethod.Name == nameof(BlockBenchmarks.FmaPeakChains) ? -1 : Array.IndexOf(Modes, c.Descriptor.Categories.FirstOrDefault()))
                .ThenBy(c => Array.IndexOf(Implementations, c.Descriptor.Type))
                .ThenByDescending(c => c.Parameters.Items.Any(p => p.Name == "MiB") ? (int)c.Parameters["MiB"] : 0);
    }

    internal static string Micro(double? microseconds) =>
        microseconds is null ? "-" : microseconds.Value.ToString(microseconds.Value < 1000 ? "F1" : "F0", CultureInfo.InvariantCulture);

    private static string Format(double? value, string format, string missing = "-") =>
        value is null ? missing : value.Value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>Every case's figure over the passes, by implementation, block, mode and threads.</summary>
    private sealed class Measurements
    {
        private readonly Dictionary<(string Implementation, string Block, string Mode, int Threads), double> times = [];
        private readonly Dictionary<int, double> peaks = [];
        private readonly Dictionary<(int MiB, int Threads), double> bandwidths = [];

        public static Measurements From(IEnumerable<Summary> summaries)
        {
            var m = new Measurements();
            foreach (BenchmarkReport report in summaries.SelectMany(s => s.Reports))
            {
                BenchmarkCase c = report.BenchmarkCase;
                double? median = report.ResultStatistics?.Median;
                if (median is not > 0)
                {
                    Console.Error.WriteLine($"compare: no result for {c.DisplayInfo}");
                    continue;
                }

                int threads = (int)c.Parameters["Threads"];
                Type type = c.Descriptor.Type;
                if (type == typeof(MemoryBandwidthBenchmarks<float>))
                {
                    int mib = (int)c.Parameters["MiB"];
                    m.bandwidths[(mib, threads)] = Math.Max(MemoryBandwidth.BytesMoved(mib) / median.Value, m.bandwidths.GetValueOrDefault((mib, threads)));
                    continue;
                }

                if (c.Descriptor.WorkloadMethod.Name == nameof(BlockBenchmarks.FmaPeakChains))
                {
                    double gflops = FmaPeak.FlopsPerThread * threads / median.Value;
                    m.peaks[threads] = Math.Max(gflops, m.peaks.GetValueOrDefault(threads));
                    continue;
                }

                string implementation = type == typeof(BlockBenchmarks) ? "FusedLayers"
                    : type == typeof(TorchSharpBenchmarks) ? "TorchSharp"
                    : type == typeof(OnnxRuntimeBenchmarks) ? "OnnxRuntime"
                    : type.Name;
                var key = (implementation, (string)c.Parameters["Block"], c.Descriptor.Categories.First(), threads);
                m.times[key] = m.times.TryGetValue(key, out double earlier) ? Math.Min(earlier, median.Value) : median.Value;
            }

            return m;
        }

        /// <summary>The smallest median over the passes, nanoseconds, or null when the case failed or did not run.</summary>
        public double? Time(string implementation, string block, string mode, int threads) =>
            times.TryGetValue((implementation, block, mode, threads), out double t) ? t : null;

        /// <summary>The best FMA-peak GFLOP/s at a thread count (the microbenchmark runs once per block).</summary>
        public double? PeakGflops(int threads) => peaks.TryGetValue(threads, out double p) ? p : null;

        /// <summary>Best copy bandwidth over the passes, GB/s (bytes per ns).</summary>
        public double? BandwidthGBps(int mib, int threads) => bandwidths.TryGetValue((mib, threads), out double b) ? b : null;
    }
}

/// <summary>One row of the comparison (times in µs).</summary>
public sealed record CompareRow(
    string Block,
    string Mode,
    int Threads,
    double? FusedUs,
    double? TorchUs,
    double? OrtUs,
    string? BestPeer,
    double? SpeedUp,
    double? Gflops,
    double? PercentOfPeak,
    double? ComputeBoundUs,
    double? MemoryBoundUs,
    string MemoryLevel)
{
    /// <summary>"compute" or "memory", whichever bound is larger.</summary>
    public string? Bound => ComputeBoundUs is null || MemoryBoundUs is null ? null : ComputeBoundUs >= MemoryBoundUs ? "compute" : "memory";

    /// <summary>The roofline bound's share of FusedLayers' time, percent.</summary>
    public double? PercentOfBound => FusedUs is > 0 && ComputeBoundUs is not null && MemoryBoundUs is not null
        ? 100 * Math.Max(ComputeBoundUs.Value, MemoryBoundUs.Value) / FusedUs.Value
        : null;

    /// <summary>E.g. <c>compute-bound: ≥ 77000 µs (memory 5100 µs, DRAM); at 54% of it</c>.</summary>
    public string RooflineNote => Bound is null
        ? "-"
        : Bound == "compute"
            ? $"compute-bound: ≥ {CompareCommand.Micro(ComputeBoundUs)} µs at peak (memory ≥ {CompareCommand.Micro(MemoryBoundUs)} µs, {MemoryLevel}); at {PercentOfBound?.ToString("F0", CultureInfo.InvariantCulture) ?? "-"}% of bound"
            : $"memory-bound ({MemoryLevel}): ≥ {CompareCommand.Micro(MemoryBoundUs)} µs (compute ≥ {CompareCommand.Micro(ComputeBoundUs)} µs); at {PercentOfBound?.ToString("F0", CultureInfo.InvariantCulture) ?? "-"}% of bound";
}
