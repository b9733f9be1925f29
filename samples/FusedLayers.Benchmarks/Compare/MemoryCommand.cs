using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace FusedLayers.Benchmarks.Compare;

/// <summary>
/// The <c>memory</c> verb: the peak memory of a training step, FusedLayers against PyTorch (TorchSharp), each framework
/// in its own child process (<see cref="MemoryChild"/>, this program re-launched with a hidden sub-verb), so that one
/// framework's allocations cannot raise the other's peak. Prints a markdown table and how it was measured.
/// </summary>
/// <remarks>
/// <para>
/// Usage: <c>memory [--block ResNet18] [--batch N] [--threads N] [--steps 3] [--torch-malloc tuned|glibc|both]</c>;
/// defaults: block ResNet18 at its benchmark batch (16), 1 thread and all cores, 3 measured steps after 1 warm-up,
/// PyTorch both with the malloc tuning the benchmarks use (<see cref="Peers.PeerNative.TuneMalloc"/>) and with glibc's
/// defaults. Not a timing: nothing is timed.
/// </para>
/// <para>
/// What it measures: the process's peak resident set (VmHWM of /proc/self/status, which is what
/// <see cref="Process.PeakWorkingSet64"/> reads on Linux; both are recorded and must agree), and the resident set
/// (VmRSS) at the baseline: after the runtime and the framework are loaded (for PyTorch: libtorch loaded, its
/// threads set), before the model is built. Peak - baseline is what the model, its data, gradients, optimizer state
/// and the training steps (activations saved for backward, workspaces, allocator caches, JIT-compiled code) added.
/// For PyTorch the resident set holds libtorch's native memory (its CPU allocator is glibc malloc); for FusedLayers
/// the .NET GC heap (every tensor is a managed array), whose allocated bytes, heap size and committed bytes are listed
/// too. The resident set counts touched pages only, shared library pages included.
/// </para>
/// </remarks>
public static class MemoryCommand
{
    /// <summary>The FusedLayers child's framework name.</summary>
    public const string FusedLayers = "FusedLayers";

    /// <summary>The PyTorch (TorchSharp) child's framework name.</summary>
    public const string PyTorch = "PyTorch";

    private const double MiB = 1024.0 * 1024.0;

    /// <summary>Runs the verb; returns the exit code (non-zero when a child failed or an option is wrong).</summary>
    /// <param name="args">The options after the verb.</param>
    /// <returns>The exit code.</returns>
    public static int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        string block = Option(args, "--block") ?? "ResNet18";
        if (!BlockBenchmarks.AllBlocks.Contains(block, StringComparer.Ordinal) || BlockShapes.InferenceOnly(block))
        {
            Console.Error.WriteLine($"memory: --block must be one of the blocks with a training step: {string.Join(", ", BlockBenchmarks.AllBlocks.Where(b => !BlockShapes.InferenceOnly(b)))}.");
            return 2;
        }

        int batch = int.Parse(Option(args, "--batch") ?? BlockShapes.Batch(block).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        int steps = int.Parse(Option(args, "--steps") ?? "3", CultureInfo.InvariantCulture);
        int[] threadCounts = Option(args, "--threads") is string t ? [int.Parse(t, CultureInfo.InvariantCulture)] : BlockBenchmarks.ThreadCounts;
        string torchMalloc = Option(args, "--torch-malloc") ?? "both";
        if (batch < 2 || steps < 1 || threadCounts.Any(n => n < 1) || torchMalloc is not ("tuned" or "glibc" or "both"))
        {
            Console.Error.WriteLine("memory: --batch must be at least 2 (BatchNorm's batch statistics), --steps and --threads at least 1, --torch-malloc tuned, glibc or both.");
            return 2;
        }

        IReadOnlyList<MemoryResult> results = Measure(block, batch, threadCounts, steps, torchMalloc);
        Console.WriteLine();
        Console.WriteLine(Markdown(results));
        return results.Count == threadCounts.Length * (torchMalloc == "both" ? 3 : 2) ? 0 : 1;
    }

    /// <summary>
    /// Runs one child per framework (and PyTorch malloc setting) and thread count, one after the other; a child that
    /// fails is reported on standard error and left out.
    /// </summary>
    /// <param name="block">A block with a training step.</param>
    /// <param name="batch">Batch size.</param>
    /// <param name="threadCounts">Thread counts.</param>
    /// <param name="steps">Measured steps (after one warm-up step).</param>
    /// <param name="torchMalloc"><c>tuned</c>, <c>glibc</c> or <c>both</c>: PyTorch's malloc setting(s).</param>
    /// <returns>The children's results.</returns>
    public static IReadOnlyList<MemoryResult> Measure(string block, int batch, IReadOnlyList<int> threadCounts, int steps, string torchMalloc)
    {
        ArgumentNullException.ThrowIfNull(threadCounts);
        var runs = new List<(string Framework, string Malloc)> { (FusedLayers, "-") };
        if (torchMalloc is "tuned" or "both")
        {
            runs.Add((PyTorch, "tuned"));
        }

        if (torchMalloc is "glibc" or "both")
        {
            runs.Add((PyTorch, "glibc"));
        }

        var results = new List<MemoryResult>();
        foreach (int threads in threadCounts)
        {
            foreach ((string framework, string malloc) in runs)
            {
                Console.Error.WriteLine($"memory: {framework}{(malloc == "-" ? string.Empty : $" (malloc {malloc})")}, block {block}, batch {batch}, {threads} thread(s), 1 + {steps} steps ...");
                MemoryResult? result = RunChild(framework, malloc, block, batch, threads, steps);
                if (result is not null)
                {
                    results.Add(result);
                }
            }
        }

        return results;
    }

    /// <summary>The table and how it was measured, as markdown.</summary>
    /// <param name="results">Results of <see cref="Measure"/>.</param>
    /// <returns>The markdown.</returns>
    public static string Markdown(IReadOnlyList<MemoryResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var sb = new StringBuilder();
        MemoryResult? first = results.FirstOrDefault();
        sb.AppendLine(CultureInfo.InvariantCulture, $"### Peak memory of a training step{(first is null ? string.Empty : $": block {first.Block}, batch {first.Batch}, 1 warm-up + {first.Steps} steps")}");
        sb.AppendLine();
        sb.AppendLine("- A training step: forward, backward (input gradient and every parameter gradient), SGD update with momentum 0.9 (the TrainStep benchmark plus the optimizer). Each row is its own child process of this program (only that framework loaded; the FusedLayers child maps no libtorch).");
        sb.AppendLine("- Peak: the process's peak resident set, VmHWM of /proc/self/status (= Process.PeakWorkingSet64 on Linux), over the whole child: model construction, data and the steps. Baseline: VmRSS after the .NET runtime and the framework are loaded (PyTorch: libtorch loaded, threads set), before the model is built. Peak - baseline: what the model, its gradients and optimizer state, the data and the steps added. Linux updates these counters lazily (per thread), so readings are good to a fraction of a MiB.");
        sb.AppendLine("- PyTorch's memory is native (libtorch's CPU allocator, glibc malloc) and is in the resident set; \"tuned\" is the malloc setting of the timed benchmarks (never trim, mmap threshold 32 MiB, Peers/PeerNative.cs), \"glibc\" glibc's defaults. FusedLayers' tensors are managed arrays in the .NET GC heap (workstation GC), so its resident set includes GC heap not yet collected or returned to the OS.");
        sb.AppendLine();
        sb.AppendLine("| Framework | Threads | Baseline MiB | Peak MiB | Peak - baseline MiB | FusedLayers / this, peak - baseline | FusedLayers / this, peak |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (MemoryResult r in results)
        {
            MemoryResult? fused = results.FirstOrDefault(f => f.Framework == FusedLayers && f.Threads == r.Threads);
            string deltaRatio = fused is null || r.Framework == FusedLayers ? "-" : Ratio(fused.PeakHwm - fused.BaselineRss, r.PeakHwm - r.BaselineRss);
            string peakRatio = fused is null || r.Framework == FusedLayers ? "-" : Ratio(fused.PeakHwm, r.PeakHwm);
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Label} | {r.Threads} | {r.BaselineRss / MiB:F1} | {r.PeakHwm / MiB:F1} | {(r.PeakHwm - r.BaselineRss) / MiB:F1} | {deltaRatio} | {peakRatio} |");
        }

        sb.AppendLine();
        sb.AppendLine("Per child (MiB unless stated):");
        sb.AppendLine();
        foreach (MemoryResult r in results)
        {
            string steps = string.Join(", ", r.StepRss.Select(v => (v / MiB).ToString("F1", CultureInfo.InvariantCulture)));
            string gc = r.EndGcCollections == 0
                ? "no GC ran"
                : string.Create(CultureInfo.InvariantCulture, $"heap {r.EndGcHeap / MiB:F1} and committed {r.EndGcCommitted / MiB:F1} at the last of {r.EndGcCollections} GCs");
            string malloc = r.MallocHeld is null
                ? string.Empty
                : string.Create(CultureInfo.InvariantCulture, $"; glibc malloc after the steps: {r.MallocInUse / MiB:F1} in use, {r.MallocHeld / MiB:F1} held");
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"- {r.Label}, {r.Threads} thread(s): at process start {r.StartRss / MiB:F1} resident; baseline {r.BaselineRss / MiB:F1} (peak so far {r.BaselineHwm / MiB:F1}); after building the model and data {r.ModelRss / MiB:F1}; after each step (warm-up first) {steps}; peak VmHWM {r.PeakHwm / MiB:F1}, Process.PeakWorkingSet64 {r.PeakWorkingSet64 / MiB:F1} (read just after); .NET GC: {(r.EndGcAllocated - r.BaselineGcAllocated) / MiB:F1} allocated after the baseline, {r.StepsGcAllocated / 1024.0:F1} KiB by the {r.Steps} measured steps' calls, {gc}{malloc}; libtorch mapped: {(r.LibTorchMapped ? "yes" : "no")}");
        }

        return sb.ToString();
    }

    private static string Ratio(long numerator, long denominator) =>
        denominator > 0 ? (numerator / (double)denominator).ToString("F2", CultureInfo.InvariantCulture) + "x" : "-";

    /// <summary>Runs one child and parses its result line; null (reported on standard error) when it fails.</summary>
    private static MemoryResult? RunChild(string framework, string malloc, string block, int batch, int threads, int steps)
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("memory: no process path to re-launch.");
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };

        // Under `dotnet FusedLayers.Benchmarks.dll` the host is dotnet and needs the assembly; the apphost does not.
        if (string.Equals(Path.GetFileNameWithoutExtension(host), "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(typeof(MemoryCommand).Assembly.Location);
        }

        foreach (string arg in new[]
        {
            MemoryChild.Verb, "--framework", framework, "--block", block,
            "--batch", batch.ToString(CultureInfo.InvariantCulture),
            "--threads", threads.ToString(CultureInfo.InvariantCulture),
            "--steps", steps.ToString(CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(arg);
        }

        if (malloc == "glibc")
        {
            start.ArgumentList.Add("--glibc-malloc");
        }

        using Process child = Process.Start(start) ?? throw new InvalidOperationException("memory: the child did not start.");
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        string? line = output.Split('\n').FirstOrDefault(l => l.StartsWith(MemoryChild.ResultPrefix, StringComparison.Ordinal));
        if (child.ExitCode != 0 || line is null)
        {
            Console.Error.WriteLine($"memory: the {framework} child exited with {child.ExitCode}{(line is null ? " without a result" : string.Empty)}:");
            Console.Error.WriteLine(output);
            return null;
        }

        Dictionary<string, string> values = line[MemoryChild.ResultPrefix.Length..]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        long Get(string key) => long.Parse(values[key], CultureInfo.InvariantCulture);
        long? Maybe(string key) => values.ContainsKey(key) ? Get(key) : null;
        return new MemoryResult(
            framework,
            framework == FusedLayers ? "FusedLayers" : $"PyTorch (TorchSharp), malloc {malloc}",
            block,
            batch,
            threads,
            steps,
            Get("start_rss"),
            Get("baseline_rss"),
            Get("baseline_hwm"),
            Get("model_rss"),
            [.. values["step_rss"].Split(',').Select(v => long.Parse(v, CultureInfo.InvariantCulture))],
            Get("peak_hwm"),
            Get("peak_working_set64"),
            Get("baseline_gc_allocated"),
            Get("steps_gc_allocated"),
            Get("end_gc_allocated"),
            Get("end_gc_heap"),
            Get("end_gc_committed"),
            Get("end_gc_collections"),
            Maybe("malloc_held"),
            Maybe("malloc_in_use"),
            Get("libtorch_mapped") != 0);
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}

/// <summary>One child's figures (bytes), see <see cref="MemoryCommand"/>.</summary>
/// <param name="Framework"><see cref="MemoryCommand.FusedLayers"/> or <see cref="MemoryCommand.PyTorch"/>.</param>
/// <param name="Label">The row's name (with PyTorch's malloc setting).</param>
/// <param name="Block">The block.</param>
/// <param name="Batch">Batch size.</param>
/// <param name="Threads">Threads of the framework.</param>
/// <param name="Steps">Measured steps after the warm-up.</param>
/// <param name="StartRss">VmRSS when the child's work began, before the framework was loaded.</param>
/// <param name="BaselineRss">VmRSS after the framework was loaded, before the model was built.</param>
/// <param name="BaselineHwm">VmHWM at the baseline.</param>
/// <param name="ModelRss">VmRSS after the model, optimizer and data were built.</param>
/// <param name="StepRss">VmRSS after each step, the warm-up first.</param>
/// <param name="PeakHwm">VmHWM at the end: the peak resident set of the whole child.</param>
/// <param name="PeakWorkingSet64"><see cref="Process.PeakWorkingSet64"/> at the end.</param>
/// <param name="BaselineGcAllocated">GC bytes allocated (precise) at the baseline.</param>
/// <param name="StepsGcAllocated">GC bytes allocated by the measured steps' calls (not by the measurement's own reads).</param>
/// <param name="EndGcAllocated">GC bytes allocated at the end.</param>
/// <param name="EndGcHeap">GC heap size at the last GC before the end.</param>
/// <param name="EndGcCommitted">GC committed bytes at the last GC before the end.</param>
/// <param name="EndGcCollections">Collections (gen 0, which counts every GC) by the end.</param>
/// <param name="MallocHeld">glibc malloc's bytes held from the OS at the end (null off Linux).</param>
/// <param name="MallocInUse">glibc malloc's bytes in use at the end (null off Linux).</param>
/// <param name="LibTorchMapped">Whether a libtorch library was mapped into the child.</param>
public sealed record MemoryResult(
    string Framework,
    string Label,
    string Block,
    int Batch,
    int Threads,
    int Steps,
    long StartRss,
    long BaselineRss,
    long BaselineHwm,
    long ModelRss,
    IReadOnlyList<long> StepRss,
    long PeakHwm,
    long PeakWorkingSet64,
    long BaselineGcAllocated,
    long StepsGcAllocated,
    long EndGcAllocated,
    long EndGcHeap,
    long EndGcCommitted,
    long EndGcCollections,
    long? MallocHeld,
    long? MallocInUse,
    bool LibTorchMapped);
