using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using FusedLayers;

namespace ResNet;

/// <summary>
/// The sample: builds <see cref="ResNet18"/> (or, with <c>--model stage</c>, <see cref="ResNetStage"/>), trains it (and its PyTorch twin from the same weights) for a
/// few SGD steps on one synthetic batch, checks that the twin computes the same inference output, and
/// times a training step and an inference pass at 1 thread and at all cores.
/// </summary>
internal static class Program
{
    private const double LearningRate = 0.05;
    private const double Momentum = 0.9;
    private const double Tolerance = 1e-3;

    private static int Main(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        Options options;
        try
        {
            options = Options.Parse(args);
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Options.Usage);
            return 2;
        }

        if (options.Help)
        {
            Console.WriteLine(Options.Usage);
            return 0;
        }

        bool full = options.Model == "resnet18";
        IFusedModel model = full ? new ResNet18(options.Seed) : new ResNetStage(options.Seed);
        int classes = full ? ResNet18.Classes : ResNetStage.Classes;
        double forwardFlops = full ? ResNet18.ForwardFlopsPerImage : ResNetStage.ForwardFlopsPerImage;
        var batch = new SyntheticBatch(options.BatchSize, model.InputLength, classes, options.Seed);
        PrintHeader(model, options, full, forwardFlops);

        var runners = new List<IRunner> { new FusedRunner(model, batch, LearningRate, Momentum) };
        TorchRunner? torch = options.Torch ? CreateTorchRunner(model, batch, full) : null;
        if (torch is not null)
        {
            runners.Add(torch);
        }

        try
        {
            Train(runners, options);
            if (torch is not null)
            {
                CheckTwin(model, runners[0], torch);
            }

            Time(runners, options, options.BatchSize * forwardFlops);
        }
        finally
        {
            torch?.Dispose();
        }

        Console.WriteLine();
        Console.WriteLine($"Load average at the end: {LoadAverage()}");
        return 0;
    }

    // Kept apart so that nothing touches TorchSharp before the libstdc++ shim is loaded.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TorchRunner CreateTorchRunner(IFusedModel model, SyntheticBatch batch, bool full)
    {
        TorchNative.LoadShim();
        TorchNative.TuneMalloc();
        try
        {
            TorchSharp.torch.set_num_interop_threads(1);
        }
        catch (TypeInitializationException e)
        {
            throw new InvalidOperationException(TorchNative.LoadFailure, e);
        }

        // torchvision's own resnet18, whose module names the FusedLayers model shares; or the hand-written twin of the stage.
        TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> twin = full
            ? TorchSharp.torchvision.models.resnet18(num_classes: ResNet18.Classes)
            : new ResNetStageTwin();
        return new TorchRunner(model, twin, batch, LearningRate, Momentum);
    }

    private static void Train(List<IRunner> runners, Options options)
    {
        Console.WriteLine();
        Console.WriteLine($"Training: {options.Steps} SGD steps (lr {LearningRate}, momentum {Momentum}), cross-entropy, the same synthetic batch every step, " +
                          $"{Environment.ProcessorCount} threads; {(runners.Count > 1 ? "both frameworks from the same initial weights" : "FusedLayers only")}");
        Console.WriteLine($"  step  {string.Join("  ", runners.Select(r => $"{r.Name + " loss",16}"))}");
        foreach (IRunner runner in runners)
        {
            runner.SetThreads(Environment.ProcessorCount);
        }

        for (int step = 1; step <= options.Steps; step++)
        {
            float[] losses = [.. runners.Select(r => r.TrainStep())];
            if (losses.Any(l => !float.IsFinite(l)))
            {
                throw new InvalidOperationException($"The training loss is not finite at step {step}: {string.Join(", ", losses)}.");
            }

            Console.WriteLine($"  {step,4}  {string.Join("  ", losses.Select(l => $"{l,16:F4}"))}");
        }
    }

    private static void CheckTwin(IFusedModel model, IRunner fused, TorchRunner torch)
    {
        // The twin gets FusedLayers' trained parameters and running statistics (by state-dict name), so that
        // the check compares exactly the same function, with non-trivial BatchNorm statistics.
        torch.CopyFrom(model);
        float[] expected = fused.InferenceLogits();
        float[] actual = torch.InferenceLogits();
        double scale = expected.Max(v => Math.Abs((double)v));
        double worst = expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).Max();
        double relative = worst / Math.Max(scale, 1e-30);
        Console.WriteLine();
        Console.WriteLine($"Twin check: FusedLayers' {model.Parameters.Count} parameters and {model.Buffers.Count} buffers copied into the TorchSharp twin by name; " +
                          $"inference logits: largest |difference| {worst:0.00e+0}, {relative:0.00e+0} relative to the largest |logit| {scale:F4} (tolerance {Tolerance:0e+0})");
        if (!(relative <= Tolerance))
        {
            throw new InvalidOperationException($"The TorchSharp twin does not compute the same function as {model.GetType().Name}.");
        }
    }

    private static void Time(List<IRunner> runners, Options options, double forwardFlops)
    {
        Console.WriteLine();
        Console.WriteLine($"Timing: Stopwatch medians of {options.Iterations} timed iterations ({options.Warmup} untimed warm-up iterations first), the frameworks alternating iteration by iteration; ms per batch of {options.BatchSize}");
        Console.WriteLine("  training step = forward + cross-entropy + backward (parameter gradients) + SGD step; inference = eval-mode forward");
        string header = "| Mode | Threads | " + string.Join(" | ", runners.Select(r => r.Name + " ms"));
        header += runners.Count > 1 ? " | PyTorch / FusedLayers | FusedLayers GFLOP/s |" : " | FusedLayers GFLOP/s |";
        Console.WriteLine(header);
        Console.WriteLine("|---|---:|" + string.Concat(Enumerable.Repeat("---:|", runners.Count + (runners.Count > 1 ? 2 : 1))));
        int[] threadCounts = Environment.ProcessorCount > 1 ? [1, Environment.ProcessorCount] : [1];
        foreach (int threads in threadCounts)
        {
            foreach (IRunner runner in runners)
            {
                runner.SetThreads(threads);
            }

            foreach ((string mode, Action<IRunner> action, double flops) in new (string, Action<IRunner>, double)[]
            {
                ("training step", r => r.TrainStep(), (3 * forwardFlops) - (options.BatchSize * ResNetStage.StemFlopsPerImage)),
                ("inference", r => r.InferForward(), forwardFlops),
            })
            {
                double[] medians = Timing.InterleavedMedians(runners, action, options.Warmup, options.Iterations);
                string row = $"| {mode} | {threads} | {string.Join(" | ", medians.Select(m => m.ToString("F1", CultureInfo.InvariantCulture)))}";
                if (runners.Count > 1)
                {
                    row += $" | {medians[1] / medians[0]:F2}x";
                }

                Console.WriteLine(row + $" | {flops / (medians[0] * 1e6):F1} |");
            }
        }

        Console.WriteLine("  PyTorch / FusedLayers > 1: FusedLayers faster. GFLOP/s: conv + linear FLOPs (2 per multiply-add) per second; a training step counts forward, weight gradients and input gradients but the stem's (not computed: the images need none).");
    }

    private static void PrintHeader(IFusedModel model, Options options, bool full, double forwardFlops)
    {
        int parameters = model.Parameters.Sum(p => p.Length);
        Console.WriteLine(full
            ? "ResNet18: torchvision's resnet18, eight BasicBlock uses ([Block(typeof(BasicBlock), Planes = ..., Stride = ...)]) expanded and fused by the generator"
            : "ResNetStage: ResNet-18's stem (Conv 7x7/2 -> BN -> ReLU -> MaxPool 3x3/2) and two basic blocks at 64 channels, 56x56");
        Console.WriteLine(full
            ? $"  input per image {TensorShape.Format([.. model.InputShape])} -> stem -> layer1..layer4 (64, 128, 256, 512 planes) -> 512x7x7 -> avgpool -> fc({ResNet18.Classes})"
            : $"  input per image {TensorShape.Format([.. model.InputShape])} -> 64x56x56 -> AdaptiveAvgPool2d(1) -> Flatten -> Linear(64, {ResNetStage.Classes})");
        Console.WriteLine($"  {parameters:N0} parameters ({model.Parameters[0].Name}, {model.Parameters[1].Name}, ..., {model.Parameters[^1].Name}), {model.Buffers.Count} buffers");
        Console.WriteLine($"  forward {forwardFlops / 1e9:F3} GFLOP per image (2 x conv/linear multiply-adds); batch of {options.BatchSize}: {options.BatchSize * forwardFlops / 1e9:F2} GFLOP");
        Console.WriteLine($"Data: one synthetic batch of {options.BatchSize} images, uniform in [-1, 1), with random labels (seed {options.Seed}); no data set");
        Console.WriteLine($"Machine: {Cpu()}, {Environment.ProcessorCount} cores, {(Avx512F.IsSupported ? "AVX-512F" : Avx2.IsSupported && Fma.IsSupported ? "AVX2 + FMA, no AVX-512" : "no AVX2")}; " +
                          $"{RuntimeInformation.FrameworkDescription}; FusedLayers kernels: {model.Execution.EffectiveIsa}" +
                          (options.Torch ? $"; {TorchVersion()}" : string.Empty));
        Console.WriteLine($"Load average at the start: {LoadAverage()} (the machine is shared: figures are noisy)");
        if (typeof(IFusedModel).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true)
        {
            Console.WriteLine("WARNING: FusedLayers was built in Debug: the kernels run many times slower. Use dotnet run -c Release.");
        }
    }

    // Kept apart so that nothing touches TorchSharp before the libstdc++ shim is loaded.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string TorchVersion()
    {
        TorchNative.LoadShim();
        return TorchRunner.Version;
    }

    private static string Cpu()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
        catch (UnauthorizedAccessException)
        {
            return "unknown CPU";
        }
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
        catch (UnauthorizedAccessException)
        {
            return "unknown";
        }
    }
}
