using System;
using System.Globalization;

namespace DistributedFashionMnist;

/// <summary>Command-line settings: <c>--epochs E --batch B --threads T --steps S --no-sync-bn --no-overlap --bucket-kb K --lr X --data DIR</c>.</summary>
internal sealed record Settings(int Epochs, int GlobalBatch, int Threads, int MaxSteps, bool SyncBatchNorm, double LearningRate, string? DataDirectory)
{
    /// <summary>Start gradient buckets' allreduce during Backward (default) or all after it (<c>--no-overlap</c>).</summary>
    public bool OverlapGradients { get; init; } = true;

    /// <summary>Gradient bucket size in KiB (default 256: several buckets for this 1.7 MB model, so that overlap can happen).</summary>
    public int BucketKiB { get; init; } = 256;

    public const string Usage =
        "mpiexec.mpich -n N dotnet DistributedFashionMnist.dll [--epochs 1] [--batch 128 (global)] [--threads 1 (per rank)]\n" +
        "    [--steps 0 (all; a positive count stops each epoch early, for throughput runs)] [--no-sync-bn] [--no-overlap] [--bucket-kb 256] [--lr 0.05] [--data DIR]";

    public static Settings Parse(string[] args)
    {
        var s = new Settings(1, 128, 1, 0, true, 0.05, null);
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value.\n{Usage}");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            s = args[i] switch
            {
                "--epochs" => s with { Epochs = Int() },
                "--batch" => s with { GlobalBatch = Int() },
                "--threads" => s with { Threads = Int() },
                "--steps" => s with { MaxSteps = Int() },
                "--no-sync-bn" => s with { SyncBatchNorm = false },
                "--no-overlap" => s with { OverlapGradients = false },
                "--bucket-kb" => s with { BucketKiB = Int() },
                "--lr" => s with { LearningRate = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--data" => s with { DataDirectory = Next() },
                _ => throw new FormatException($"Unknown option {args[i]}.\n{Usage}"),
            };
        }

        return s;
    }
}
