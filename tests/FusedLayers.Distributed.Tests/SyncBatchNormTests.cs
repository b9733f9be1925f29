using System;
using FusedLayers.Distributed.TestHost;
using Xunit.Abstractions;

namespace FusedLayers.Distributed.Tests;

/// <summary>
/// N ranks of local batch b with synchronised BatchNorm train like one process with batch N*b: the same outputs,
/// input gradients (each rank's is that of its own mean loss, N times the global one), averaged parameter gradients,
/// running statistics and, after K SGD steps, weights. Without synchronisation each rank's statistics are its own.
/// </summary>
public sealed class SyncBatchNormTests(ITestOutputHelper log)
{
    private const int LocalBatch = 4;
    private const int Steps = 4;

    // float32 tolerance: the distributed run sums the same float64 statistics in another order and averages
    // gradients in float32, so results differ from the single process by rounding (observed at most 4.2e-7 absolute on 2026-12-03; the tolerance leaves 10x; see the test log).
    private static Closeness Tolerance() => new(absolute: 5e-6, relative: 5e-5);

    // A local batch of 1: SyncNet's BatchNorm1d then holds one value per channel on each rank, which is fine because
    // the global count is N (PyTorch refuses only a global count of 1).
    [Theory]
    [InlineData(2, "sync", LocalBatch)]
    [InlineData(3, "sync", LocalBatch)]
    [InlineData(2, "renorm", LocalBatch)]
    [InlineData(2, "sync", 1)]
    [InlineData(3, "sync", 1)]
    public void Ranks_with_synchronised_batchnorm_equal_one_process_with_the_global_batch(int ranks, string model, int localBatch)
    {
        RunResult[] distributed = RankResults.Train(ranks, model, sync: true, localBatch, Steps);
        RunResult single = TrainingRun.Train(TrainingRun.CreateModel(model, TrainingRun.RootSeed), null, ranks * localBatch, 0, 1, Steps);

        Closeness close = Tolerance();
        int outputs = single.Output.Length / ranks, inputs = single.InputGrad.Length / ranks;
        for (int r = 0; r < ranks; r++)
        {
            RunResult mine = distributed[r];
            close.Check($"rank {r} output", single.Output.AsSpan(r * outputs, outputs), mine.Output);
            close.Check($"rank {r} input gradient", single.InputGrad.AsSpan(r * inputs, inputs), mine.InputGrad, scale: ranks);
            foreach ((string name, float[] grad) in single.Grads)
            {
                close.Check($"rank {r} grad {name}", grad, mine.Grads[name]);
            }

            foreach ((string name, float[] weight) in single.Weights)
            {
                close.Check($"rank {r} {name} after {Steps} steps", weight, mine.Weights[name]);
            }

            foreach ((string name, float[] buffer) in single.Buffers)
            {
                close.Check($"rank {r} {name} after {Steps} steps", buffer, mine.Buffers[name]);
            }

            Assert.Equal(single.Counters, mine.Counters);
            // The statistics merge runs in rank order on every rank: the replicas' state stays bit-identical.
            foreach ((string name, float[] buffer) in distributed[0].Buffers)
            {
                Assert.True(buffer.AsSpan().SequenceEqual(mine.Buffers[name]), $"rank {r} {name} differs from rank 0's");
            }

            foreach ((string name, float[] weight) in distributed[0].Weights)
            {
                Assert.True(weight.AsSpan().SequenceEqual(mine.Weights[name]), $"rank {r} {name} differs from rank 0's");
            }

            if (model == "sync")
            {
                // Two collectives per BatchNorm layer and step (the statistics gather, the backward sums), 4 layers.
                Assert.Equal(2 * 4 * Steps, mine.BatchNormCollectives);
            }
        }

        foreach (string line in close.Report)
        {
            log.WriteLine(line);
        }
    }

    [Fact]
    public void Without_synchronisation_each_rank_keeps_the_statistics_of_its_own_batch()
    {
        const int Ranks = 2;
        RunResult[] distributed = RankResults.Train(Ranks, "sync", sync: false, LocalBatch, steps: 1);
        Closeness close = Tolerance();
        var averaged = new System.Collections.Generic.Dictionary<string, double[]>();
        for (int r = 0; r < Ranks; r++)
        {
            // Rank r alone on its own slice: the same running statistics and step-0 output as that rank.
            RunResult alone = TrainingRun.Train(TrainingRun.CreateModel("sync", TrainingRun.RootSeed), null, LocalBatch, r, Ranks, steps: 1);
            close.Check($"rank {r} output", alone.Output, distributed[r].Output);
            foreach ((string name, float[] buffer) in alone.Buffers)
            {
                close.Check($"rank {r} {name}", buffer, distributed[r].Buffers[name]);
            }

            foreach ((string name, float[] grad) in alone.Grads)
            {
                double[] sum = averaged.TryGetValue(name, out double[]? s) ? s : averaged[name] = new double[grad.Length];
                for (int i = 0; i < grad.Length; i++)
                {
                    sum[i] += grad[i] / (double)Ranks;
                }
            }
        }

        // The ranks' statistics differ (their batches do), and the averaged gradient is the mean of the per-rank ones.
        Assert.NotEqual(distributed[0].Buffers["Bn1.running_mean"], distributed[1].Buffers["Bn1.running_mean"]);
        foreach ((string name, double[] mean) in averaged)
        {
            close.Check($"averaged grad {name}", Array.ConvertAll(mean, v => (float)v), distributed[0].Grads[name]);
        }

        foreach (string line in close.Report)
        {
            log.WriteLine(line);
        }
    }

    [Fact]
    public void A_global_count_of_one_fails_with_a_clear_error_on_every_rank()
    {
        // One rank with one sample: SyncNet's BatchNorm1d sees one value per channel in all.
        string dir = System.IO.Directory.CreateTempSubdirectory("fl-mpi-").FullName;
        try
        {
            MpiResult run = MpiJob.Run(1, TimeSpan.FromSeconds(60), "train", "sync", "1", "1", "1", dir);
            Assert.True(run.ExitCode != 0, run.All);
            Assert.Contains("Expected more than 1 value per channel when training", run.Error, StringComparison.Ordinal);
            Assert.Contains("rank 0 of 1 failed", run.Error, StringComparison.Ordinal);
        }
        finally
        {
            System.IO.Directory.Delete(dir, recursive: true);
        }
    }
}
