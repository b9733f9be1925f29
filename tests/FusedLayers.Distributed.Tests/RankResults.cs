using System.IO;
using System.Text.Json;
using FusedLayers.Distributed.TestHost;

namespace FusedLayers.Distributed.Tests;

/// <summary>Runs the host's <c>train</c> scenario and reads back every rank's <see cref="RunResult"/>.</summary>
public static class RankResults
{
    /// <summary>Trains under mpiexec and returns rank r's result at index r.</summary>
    /// <param name="ranks">N.</param>
    /// <param name="model">Model name (see <see cref="TrainingRun.CreateModel"/>).</param>
    /// <param name="sync">Synchronised BatchNorm.</param>
    /// <param name="localBatch">b.</param>
    /// <param name="steps">K.</param>
    /// <returns>Results in rank order.</returns>
    public static RunResult[] Train(int ranks, string model, bool sync, int localBatch, int steps)
    {
        string dir = Directory.CreateTempSubdirectory("fl-mpi-").FullName;
        try
        {
            MpiResult run = MpiJob.Run(ranks, System.TimeSpan.FromSeconds(120), "train", model, sync ? "1" : "0", localBatch.ToString(System.Globalization.CultureInfo.InvariantCulture), steps.ToString(System.Globalization.CultureInfo.InvariantCulture), dir);
            Assert.True(run.ExitCode == 0, run.All);
            var results = new RunResult[ranks];
            for (int r = 0; r < ranks; r++)
            {
                string file = Path.Combine(dir, $"rank{r}.json");
                Assert.True(File.Exists(file), $"rank {r} wrote no result\n{run.All}");
                results[r] = JsonSerializer.Deserialize<RunResult>(File.ReadAllText(file))!;
            }

            return results;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
