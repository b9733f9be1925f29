using System;
using FusedLayers.Training;

namespace FusedLayers.Tests.Training;

/// <summary>StepLR and CosineAnnealingLR: PyTorch's closed forms, the rate after construction, and the optimizer driven.</summary>
public class SchedulerTests
{
    [Fact]
    public void StepLR_decays_every_step_size_epochs()
    {
        var sgd = new Sgd([new Parameter("w", 1)], lr: 0.1);
        var schedule = new StepLR(sgd, stepSize: 3, gamma: 0.5);
        var seen = new double[8];
        for (int epoch = 0; epoch < seen.Length; epoch++)
        {
            seen[epoch] = sgd.LearningRate;
            Assert.Equal(epoch, schedule.LastEpoch);
            schedule.Step();
        }

        Assert.Equal([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025], seen);
    }

    [Fact]
    public void CosineAnnealingLR_follows_the_closed_form_down_to_eta_min_and_back()
    {
        var adam = new Adam([new Parameter("w", 1)], lr: 1.0);
        var schedule = new CosineAnnealingLR(adam, tMax: 4, etaMin: 0.2);
        double[] expected = [1.0, 0.2 + (0.8 * (1 + Math.Sqrt(0.5)) / 2), 0.6, 0.2 + (0.8 * (1 - Math.Sqrt(0.5)) / 2), 0.2, 0.2 + (0.8 * (1 - Math.Sqrt(0.5)) / 2)];
        foreach (double lr in expected)
        {
            Assert.Equal(lr, adam.LearningRate, 12);
            Assert.Equal(lr, schedule.LearningRate, 12);
            schedule.Step();
        }
    }

    [Fact]
    public void The_scheduled_rate_drives_the_optimizer()
    {
        var p = new Parameter("w", 1);
        var sgd = new Sgd([p], lr: 1.0);
        var schedule = new StepLR(sgd, stepSize: 1, gamma: 0.5);
        p.Grad[0] = 1f;
        for (int i = 0; i < 3; i++)
        {
            sgd.Step();
            schedule.Step();
        }

        Assert.Equal(-1.75f, p.Data[0]); // 1 + 0.5 + 0.25
    }

    [Fact]
    public void Invalid_settings_are_refused()
    {
        var sgd = new Sgd([new Parameter("w", 1)], lr: 0.1);
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepLR(sgd, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepLR(sgd, 1, gamma: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealingLR(sgd, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealingLR(sgd, 5, etaMin: -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepLR(sgd, 1).LearningRateAt(-1));
    }
}
