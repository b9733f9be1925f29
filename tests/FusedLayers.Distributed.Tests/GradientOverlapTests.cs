using System;
using System.IO;
using System.Text.Json;
using FusedLayers.Distributed.TestHost;

namespace FusedLayers.Distributed.Tests;

/// <summary>
/// The gradient allreduce overlapped with Backward gives bit-identical gradients to the allreduce after it (the same
/// buckets through the same collective), with gradient accumulation inside and outside <c>NoSync</c> and with a second
/// <c>retainGraph</c> Backward; buckets do start during Backward.
/// </summary>
public sealed class GradientOverlapTests
{
    [Theory]
    [InlineData(2, "sync", false)]
    [InlineData(3, "sync", false)]
    [InlineData(2, "sync", true)]
    [InlineData(3, "sync", true)]
    public void Overlapped_allreduce_gives_bit_identical_gradients(int ranks, string model, bool sync)
    {
        string dir = Directory.CreateTempSubdirectory("fl-mpi-").FullName;
        try
        {
            MpiResult run = MpiJob.Run(ranks, TimeSpan.FromSeconds(120), "overlap", model, sync ? "1" : "0", "3", dir);
            Assert.True(run.ExitCode == 0, run.All);
            for (int r = 0; r < ranks; r++)
            {
                OverlapResult result = JsonSerializer.Deserialize<OverlapResult>(File.ReadAllText(Path.Combine(dir, $"rank{r}.json")))!;
                Assert.True(result.Buckets > 1, $"the test needs several buckets, got {result.Buckets}");
                Assert.True(result.StartedDuringBackward["overlap"] > 0, $"rank {r}: no bucket started during Backward");
                Assert.Equal(0, result.StartedDuringBackward["after"]);
                Same(r, result, "after", "overlap");
                Same(r, result, "after-accumulate", "overlap-nosync");
                Same(r, result, "after-accumulate", "overlap-accumulate");
                Same(r, result, "after-retain", "overlap-retain");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Same(int rank, OverlapResult result, string expected, string actual)
    {
        foreach ((string name, float[] grad) in result.Grads[expected])
        {
            float[] other = result.Grads[actual][name];
            for (int i = 0; i < grad.Length; i++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(grad[i]) == BitConverter.SingleToInt32Bits(other[i]),
                    $"rank {rank} {name}[{i}]: {expected} {grad[i]:R}, {actual} {other[i]:R}");
            }
        }
    }
}
