using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using FusedLayers.Benchmarks.Peers;
using FusedLayers.Training;
using TorchSharp;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace FusedLayers.Benchmarks.Compare;

/// <summary>
/// The hidden sub-verb <c>memory-child</c> that <see cref="MemoryCommand"/> launches once per framework, so that one
/// framework's allocations cannot raise the other's peak: reads the process's memory before anything is loaded, once
/// the framework is loaded (the baseline), then builds the model, runs 1 warm-up and <c>--steps</c> training steps
/// (forward, backward with the input gradient and every parameter gradient, SGD update with momentum) and prints one
/// line <c>memory-result key=value ...</c> (bytes) for the parent.
/// </summary>
/// <remarks>
/// Usage (by <see cref="MemoryCommand"/> only): <c>memory-child --framework FusedLayers|PyTorch --block B --batch N
/// --threads T --steps S [--glibc-malloc]</c>. The FusedLayers child never touches a TorchSharp type, so libtorch is not
/// loaded in it (the result says whether any libtorch library is mapped, from /proc/self/maps).
/// </remarks>
public static class MemoryChild
{
    /// <summary>The sub-verb.</summary>
    public const string Verb = "memory-child";

    /// <summary>Prefix of the result line on standard output.</summary>
    public const string ResultPrefix = "memory-result ";

    /// <summary>Learning rate and momentum of the SGD update (values do not change the memory).</summary>
    private const double LearningRate = 0.01, Momentum = 0.9;

    /// <summary>Runs the child; returns the exit code.</summary>
    /// <param name="args">The options after the sub-verb.</param>
    /// <returns>0 when the steps ran.</returns>
    public static int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        string framework = Option(args, "--framework") ?? throw new ArgumentException("--framework is required.", nameof(args));
        string block = Option(args, "--block") ?? throw new ArgumentException("--block is required.", nameof(args));
        int batch = int.Parse(Option(args, "--batch") ?? "2", CultureInfo.InvariantCulture);
        int threads = int.Parse(Option(args, "--threads") ?? "1", CultureInfo.InvariantCulture);
        int steps = int.Parse(Option(args, "--steps") ?? "3", CultureInfo.InvariantCulture);
        bool glibcMalloc = args.Contains("--glibc-malloc");

        var result = new StringBuilder(ResultPrefix);
        void Add(string key, object value) => result.Append(CultureInfo.InvariantCulture, $"{key}={value} ");

        (long startRss, long startHwm) = ProcStatus();
        Add("start_rss", startRss);
        Add("start_hwm", startHwm);
        long[] stepRss = framework switch
        {
            MemoryCommand.FusedLayers => FusedSteps(block, batch, threads, steps, Add),
            MemoryCommand.PyTorch => TorchSteps(block, batch, threads, steps, glibcMalloc, Add),
            _ => throw new ArgumentException($"Unknown framework {framework}.", nameof(args)),
        };

        (long rss, long hwm) = ProcStatus();
        using var self = Process.GetCurrentProcess();
        Add("end_rss", rss);
        Add("peak_hwm", hwm);
        Add("peak_working_set64", self.PeakWorkingSet64);
        Add("step_rss", string.Join(',', stepRss));
        AddGc("end", Add);
        if (PeerNative.MallocStatistics() is (long held, long inUse))
        {
            Add("malloc_held", held);
            Add("malloc_in_use", inUse);
        }

        Add("libtorch_mapped", LibTorchMapped() ? 1 : 0);
        Console.WriteLine(result.ToString().TrimEnd());
        return 0;
    }

    /// <summary>FusedLayers: the generated model, FusedLayers' SGD, managed input and gradient arrays.</summary>
    private static long[] FusedSteps(string block, int batch, int threads, int steps, Action<string, object> add)
    {
        // FusedLayers is managed code: loading it is loading this assembly's dependencies, done by now.
        AddBaseline(add);
        AddGc("baseline", add);

        IFusedModel model = BlockShapes.CreateModel(block);
        model.Execution.MaxDegreeOfParallelism = threads;
        (int[] sampleInput, int[] sampleOutput) = BlockShapes.SampleShapes(block);
        if (!model.InputShape.SequenceEqual(sampleInput) || !model.OutputShape.SequenceEqual(sampleOutput))
        {
            throw new InvalidOperationException($"Block {block}: BlockShapes.SampleShapes differs from the model's shapes.");
        }

        var optimizer = new Sgd(model.Parameters, LearningRate, Momentum);
        var random = new Random(1);
        float[] input = new float[batch * model.InputLength];
        float[] gradOutput = new float[batch * model.OutputLength];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = (float)((random.NextDouble() * 2) - 1);
        }

        for (int i = 0; i < gradOutput.Length; i++)
        {
            gradOutput[i] = (float)((random.NextDouble() * 2) - 1);
        }

        float[] output = new float[gradOutput.Length];
        float[] gradInput = new float[input.Length];
        add("model_rss", ProcStatus().Rss);

        long[] stepRss = new long[steps + 1];
        long stepsAllocated = 0;
        for (int step = 0; step <= steps; step++)
        {
            long allocated = GC.GetTotalAllocatedBytes(precise: true);
            model.Train();
            model.Forward(input, output);
            model.ZeroGrad();
            model.Backward(gradOutput, gradInput);
            optimizer.Step();
            stepsAllocated += step > 0 ? GC.GetTotalAllocatedBytes(precise: true) - allocated : 0;
            stepRss[step] = ProcStatus().Rss;
        }

        add("steps_gc_allocated", stepsAllocated);

        GC.KeepAlive(model);
        return stepRss;
    }

    /// <summary>
    /// PyTorch: TorchVision's resnet18 (or the block's other TorchSharp module, <see cref="TorchSharpBenchmarks.CreateModule"/>),
    /// <c>torch.optim.SGD</c>, input and output gradient made by libtorch (no managed copy), each step in a dispose scope
    /// with <c>zero_grad(set_to_none)</c> first, as <see cref="TorchSharpBenchmarks.TorchTrainStep"/> plus the update.
    /// </summary>
    private static long[] TorchSteps(string block, int batch, int threads, int steps, bool glibcMalloc, Action<string, object> add)
    {
        PeerNative.EnsureTorch(tuneMalloc: !glibcMalloc);
        torch.set_num_threads(threads);
        AddBaseline(add);
        AddGc("baseline", add);

        torch.manual_seed(1);
        using nn.Module<TorchTensor, TorchTensor> module = TorchSharpBenchmarks.CreateModule(block);
        using optim.Optimizer optimizer = optim.SGD(module.parameters(), LearningRate, momentum: Momentum);
        (int[] sampleInput, int[] sampleOutput) = BlockShapes.SampleShapes(block);
        long[] inputShape = [batch, .. sampleInput.Select(d => (long)d)];
        long[] outputShape = [batch, .. sampleOutput.Select(d => (long)d)];
        using TorchTensor input = torch.rand(inputShape).mul_(2).sub_(1);
        using TorchTensor gradOutput = torch.rand(outputShape).mul_(2).sub_(1);
        add("model_rss", ProcStatus().Rss);

        long[] stepRss = new long[steps + 1];
        long stepsAllocated = 0;
        for (int step = 0; step <= steps; step++)
        {
            long allocated = GC.GetTotalAllocatedBytes(precise: true);
            module.train();
            module.zero_grad(set_to_none: true);
            using (DisposeScope scope = torch.NewDisposeScope())
            {
                TorchTensor x = input.detach().requires_grad_(true);
                TorchTensor y = module.forward(x);
                y.backward([gradOutput]);
                optimizer.step();
            }

            stepsAllocated += step > 0 ? GC.GetTotalAllocatedBytes(precise: true) - allocated : 0;
            stepRss[step] = ProcStatus().Rss;
        }

        add("steps_gc_allocated", stepsAllocated);

        return stepRss;
    }

    /// <summary>VmRSS and VmHWM at the baseline (the peak so far shows whether loading the framework peaked above it).</summary>
    private static void AddBaseline(Action<string, object> add)
    {
        (long rss, long hwm) = ProcStatus();
        add("baseline_rss", rss);
        add("baseline_hwm", hwm);
    }

    /// <summary>The .NET GC's figures: bytes allocated so far (precise), heap size and committed bytes at the last GC, collections.</summary>
    private static void AddGc(string prefix, Action<string, object> add)
    {
        GCMemoryInfo info = GC.GetGCMemoryInfo();
        add(prefix + "_gc_allocated", GC.GetTotalAllocatedBytes(precise: true));
        add(prefix + "_gc_heap", info.HeapSizeBytes);
        add(prefix + "_gc_committed", info.TotalCommittedBytes);
        add(prefix + "_gc_collections", GC.CollectionCount(0));
    }

    /// <summary>VmRSS and VmHWM of /proc/self/status, bytes; off Linux, the working set and its peak from <see cref="Process"/>.</summary>
    internal static (long Rss, long Hwm) ProcStatus()
    {
        const string Status = "/proc/self/status";
        if (File.Exists(Status))
        {
            long rss = -1, hwm = -1;
            foreach (string line in File.ReadLines(Status))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kilobytes(line);
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    hwm = Kilobytes(line);
                }
            }

            if (rss >= 0 && hwm >= 0)
            {
                return (rss, hwm);
            }
        }

        using var self = Process.GetCurrentProcess();
        return (self.WorkingSet64, self.PeakWorkingSet64);
    }

    /// <summary>"VmRSS:\t  123456 kB" as bytes.</summary>
    private static long Kilobytes(string line) =>
        1024 * long.Parse(line.Split(':', 2)[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);

    /// <summary>Whether any libtorch library is mapped into this process.</summary>
    private static bool LibTorchMapped()
    {
        const string Maps = "/proc/self/maps";
        return File.Exists(Maps) && File.ReadLines(Maps).Any(l => l.Contains("libtorch", StringComparison.Ordinal));
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
