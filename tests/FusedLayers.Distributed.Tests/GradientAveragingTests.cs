using System;
using FusedLayers.Distributed.TestHost;
using Xunit.Abstractions;

namespace FusedLayers.Distributed.Tests;

/// <summary>Gradient averaging over N ranks equals the single-process gradient of the mean loss over the N*b samples.</summary>
public sealed class GradientAveragingTests(ITestOutputHelper log)
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Averaged_gradients_equal_the_gradient_of_the_global_mean_loss(int ranks)
    {
        const int LocalBatch = 3, Steps = 3;
        RunResult[] distributed = RankResults.Train(ranks, "plain", sync: false, LocalBatch, Steps);
        RunResult single = TrainingRun.Train(TrainingRun.CreateModel("plain", TrainingRun.RootSeed), null, ranks * LocalBatch, 0, 1, Steps);
        var close = new Closeness(absolute: 2e-6, relative: 5e-5);
        for (int r = 0; r < ranks; r++)
        {
            foreach ((string name, float[] grad) in single.Grads)
            {
                close.Check($"rank {r} grad {name}", grad, distributed[r].Grads[name]);
            }

            foreach ((string name, float[] weight) in single.Weights)
            {
                close.Check($"rank {r} {name} after {Steps} steps", weight, distributed[r].Weights[name]);
            }
        }

        foreach (string line in close.Report)
        {
            log.WriteLine(line);
        }
    }
}
