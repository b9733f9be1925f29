using System;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using FusedLayers.Benchmarks;
using FusedLayers.Benchmarks.Compare;
using Perfolizer.Horology;

// The benchmark suite. Examples (Release only):
//   dotnet run -c Release --project samples/FusedLayers.Benchmarks -- --filter '*BlockBenchmarks*'
//   dotnet run -c Release --project samples/FusedLayers.Benchmarks -- --filter '*' --job dry --inProcess   (smoke run)
// Without --job, a job tuned for the mix of millisecond and multi-second cases is used.
//   dotnet run -c Release --project samples/FusedLayers.Benchmarks -- --smoke   (CI: every benchmark once, blocks S, L and ResNet18b1, in process)
//   dotnet run -c Release --project samples/FusedLayers.Benchmarks -- compare [--quick | --smoke] [--memory] [--out DIR] [--blocks S,R,L,ResNet,ResNet18,ResNet18b1]
//     (FusedLayers vs PyTorch/TorchSharp and ONNX Runtime on every block, mode and thread count: markdown table, CSV, PNG chart;
//      --smoke: one cold invocation per case, checks setups and the table, times are no measurement;
//      --memory: adds the memory verb's table for every block with a training step, after the timed runs)
// --blocks NAME[,NAME...] restricts any run (compare or BenchmarkDotNet's) to those blocks, e.g. only torchvision's ResNet-18
// (ResNet18: batch 16, every mode; ResNet18b1: batch 1, inference modes only):
//   dotnet run -c Release --project samples/FusedLayers.Benchmarks -- compare --quick --blocks ResNet18
//   dotnet run -c Release --project samples/FusedLayers.Benchmarks -- compare --quick --blocks ResNet18b1
//   dotnet run -c Release --project samples/FusedLayers.Benchmarks -- --smoke --blocks ResNet18b1   (setups and cross-checks only)
//   dotnet run -c Release --project samples/FusedLayers.Benchmarks -- memory [--block ResNet18] [--batch N] [--threads N] [--steps 3] [--torch-malloc tuned|glibc|both]
//     (peak memory of a training step, FusedLayers vs PyTorch, each framework in its own child process; nothing is timed)
//   dotnet run -c Release --project samples/FusedLayers.Benchmarks -- profile [--threads N] [--reps N]
//     (the ResNet block's inference kernel by kernel, and per stage next to ONNX Runtime's own per-node profile)
//   dotnet run -c Release --project samples/FusedLayers.Benchmarks -- profile --convs [--threads N] [--batch N]
//     (each of ResNet-18's convolutions, forward and backward, against libtorch's conv2d)
if (args.Length > 0 && args[0] == MemoryChild.Verb)
{
    // Hidden: one framework's training steps for the memory verb, in a process of its own.
    return MemoryChild.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "memory")
{
    return MemoryCommand.Run(args[1..]);
}

args = BlockSelection.Apply(args);
if (args.Length > 0 && args[0] == "compare")
{
    return CompareCommand.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "profile")
{
    return ProfileCommand.Run(args[1..]);
}

if (Array.IndexOf(args, "--smoke") >= 0)
{
    BlockBenchmarks.Smoke = true;
    args = [.. Array.FindAll(args, a => a != "--smoke"), "--filter", "*", "--job", "dry", "--inProcess"];
}

bool explicitJob = Array.Exists(args, a => a == "--job" || a.StartsWith("--job=", StringComparison.Ordinal));
IConfig config = DefaultConfig.Instance
    .AddColumn(PerformanceColumn.SpeedUpOverReference, PerformanceColumn.Gflops, PerformanceColumn.PeakFraction)
    .AddFilter(BlockModeFilter.Instance)
    .WithOptions(ConfigOptions.JoinSummary);
if (!explicitJob)
{
    config = config.AddJob(Job.Default
        .WithWarmupCount(2)
        .WithIterationCount(8)
        .WithIterationTime(TimeInterval.FromMilliseconds(250))
        .AsDefault());
}

BenchmarkSwitcher.FromAssembly(typeof(BlockBenchmarks).Assembly).Run(args, config);
return 0;
