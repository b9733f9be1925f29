using System;
using Xunit.Abstractions;

namespace FusedLayers.Distributed.Tests;

/// <summary>
/// A rank that fails never leaves the others hanging: a rank that throws aborts the job at once, a rank that exits
/// without finishing aborts the job from its exit handler, a rank that stalls is caught by the others' collective
/// watchdog (3 s in the host), and a model that differs
/// between ranks is reported by every rank at start-up.
/// </summary>
public sealed class FaultTests(ITestOutputHelper log)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public void A_rank_that_throws_ends_every_rank_with_an_error_naming_it()
    {
        MpiResult run = MpiJob.Run(3, Bound, "fault", "4", "1", "2");
        log.WriteLine(run.All);
        Assert.True(run.ExitCode != 0, run.All);
        Assert.Contains("rank 1 of 3 failed", run.Error + run.Output, StringComparison.Ordinal);
        Assert.Contains("injected fault at step 2", run.Error + run.Output, StringComparison.Ordinal);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(30), run.All);
    }

    [Fact]
    public void A_rank_that_exits_early_aborts_the_job_naming_it()
    {
        MpiResult run = MpiJob.Run(3, Bound, "exit", "1");
        log.WriteLine(run.All);
        Assert.True(run.ExitCode != 0, run.All);
        Assert.Contains("rank 1 of 3 exited without finishing", run.Error + run.Output, StringComparison.Ordinal);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(30), run.All);
    }

    [Fact]
    public void A_rank_that_stalls_is_caught_by_the_watchdog_of_the_others()
    {
        MpiResult run = MpiJob.Run(2, Bound, "stall", "1");
        log.WriteLine(run.All);
        Assert.True(run.ExitCode != 0, run.All);
        Assert.Contains("rank 0 of 2 waited more than 3 s", run.Error + run.Output, StringComparison.Ordinal);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(30), run.All);
    }

    [Fact]
    public void A_model_that_differs_between_ranks_is_reported_by_every_rank_at_start_up()
    {
        MpiResult run = MpiJob.Run(3, Bound, "schema");
        log.WriteLine(run.All);
        Assert.True(run.ExitCode != 0, run.All);
        for (int r = 0; r < 3; r++)
        {
            Assert.Contains(
                $"rank {r}: The model differs between ranks (seen on rank {r} of 3 at start-up): rank 1 has 'parameter Fc1.weight [16, 72]' where rank 0 has 'parameter Fc1.weight [12, 72]'",
                run.Output,
                StringComparison.Ordinal);
        }

        Assert.DoesNotContain("rank 2 has", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Rank_zero_saves_a_checkpoint_that_every_rank_loads()
    {
        string dir = System.IO.Directory.CreateTempSubdirectory("fl-ckpt-").FullName;
        try
        {
            MpiResult run = MpiJob.Run(2, Bound, "checkpoint", dir);
            Assert.True(run.ExitCode == 0, run.All);
            Assert.Contains("rank 0: checkpoint ok", run.Output, StringComparison.Ordinal);
            Assert.Contains("rank 1: checkpoint ok", run.Output, StringComparison.Ordinal);
        }
        finally
        {
            System.IO.Directory.Delete(dir, recursive: true);
        }
    }
}
