using System;
using System.Collections.Generic;
using FusedLayers.Training;

namespace FusedLayers.Tests.Training;

/// <summary>
/// MultiStepLR, ExponentialLR, LinearLR, SequentialLR, OneCycleLR and ReduceLROnPlateau against sequences
/// worked out by hand from PyTorch's formulas (TorchSharp parity is in the TorchParity project).
/// </summary>
public class ScheduleFormulaTests
{
    [Fact]
    public void MultiStepLR_decays_on_each_milestone_and_counts_a_repeated_one_twice()
    {
        var sgd = new Sgd([new Parameter("w", 1)], lr: 1.0);
        var schedule = new MultiStepLR(sgd, [8, 2, 5, 5], gamma: 0.5);
        Assert.Equal([2, 5, 5, 8], schedule.Milestones);
        double[] expected = [1, 1, 0.5, 0.5, 0.5, 0.125, 0.125, 0.125, 0.0625, 0.0625, 0.0625];
        AssertSequence(schedule, expected);
    }

    [Fact]
    public void ExponentialLR_multiplies_every_epoch()
    {
        var sgd = new Sgd([new Parameter("w", 1)], lr: 0.3);
        var schedule = new ExponentialLR(sgd, gamma: 0.9);
        var expected = new double[31];
        for (int e = 0; e < expected.Length; e++)
        {
            expected[e] = 0.3 * Math.Pow(0.9, e);
        }

        AssertSequence(schedule, expected);
    }

    [Fact]
    public void LinearLR_warms_up_to_the_end_factor_and_stays()
    {
        var sgd = new Sgd([new Parameter("w", 1)], lr: 0.8);
        var schedule = new LinearLR(sgd, startFactor: 0.25, endFactor: 1.0, totalIters: 4);
        AssertSequence(schedule, [0.2, 0.35, 0.5, 0.65, 0.8, 0.8, 0.8]);

        var decay = new LinearLR(new Sgd([new Parameter("w", 1)], lr: 1.0), startFactor: 1.0, endFactor: 0.0, totalIters: 2);
        AssertSequence(decay, [1.0, 0.5, 0.0, 0.0]);
    }

    [Fact]
    public void Chainable_schedules_follow_an_outside_change_of_the_rate_as_pytorch_does()
    {
        var sgd = new Sgd([new Parameter("w", 1)], lr: 1.0);
        var schedule = new ExponentialLR(sgd, gamma: 0.5);
        schedule.Step();
        sgd.LearningRate = 3.0;
        schedule.Step();
        Assert.Equal(1.5, sgd.LearningRate);
        Assert.Equal(0.25, schedule.LearningRateAt(2));
    }

    [Fact]
    public void SequentialLR_runs_a_warm_up_then_the_next_schedule_from_its_epoch_0()
    {
        var sgd = new Sgd([new Parameter("w", 1)], lr: 1.0);
        var warmUp = new LinearLR(sgd, startFactor: 0.1, endFactor: 1.0, totalIters: 3);
        var decay = new ExponentialLR(sgd, gamma: 0.5);
        var steps = new MultiStepLR(sgd, [2], gamma: 0.1);
        Assert.Equal(1.0, decay.BaseLearningRate); // the initial rate, not the warm-up's 0.1
        var schedule = new SequentialLR(sgd, [warmUp, decay, steps], [3, 6]);
        double[] expected = [0.1, 0.4, 0.7, 1.0, 0.5, 0.25, 1.0, 1.0, 0.1, 0.1];
        AssertSequence(schedule, expected);
        Assert.Equal(2, decay.LastEpoch); // rewound to -1, started at epoch 0 on milestone 3, stepped at 4 and 5
        Assert.Equal(3, steps.LastEpoch);
    }

    [Fact]
    public void OneCycleLR_follows_pytorchs_phases()
    {
        var sgd = new Sgd([new Parameter("w", 1)], lr: 123.0);
        var schedule = new OneCycleLR(sgd, maxLr: 1.0, totalSteps: 10, pctStart: 0.3);
        Assert.Equal(0.04, schedule.BaseLearningRate, 15);
        Assert.Equal(0.04 / 1e4, schedule.MinLr, 15);
        var expected = new List<double> { 0.04, 1 + ((0.04 - 1) / 2 * (Math.Cos(Math.PI * 0.5) + 1)), 1.0 };
        for (int e = 3; e <= 10; e++)
        {
            // Phase two runs from step 2 (the end of phase one, 0.3 * 10 - 1) to step 9; step 10 extrapolates.
            double pct = (e - 2) / 7.0;
            expected.Add(4e-6 + ((1.0 - 4e-6) / 2 * (Math.Cos(Math.PI * pct) + 1)));
        }

        AssertSequence(schedule, [.. expected]);
        Assert.Throws<InvalidOperationException>(schedule.Step);
        Assert.Equal(10, schedule.LastEpoch);
        Assert.Equal(expected[10], sgd.LearningRate, 15);

        var linear = new OneCycleLR(new Sgd([new Parameter("w", 1)], lr: 1.0), maxLr: 2.0, totalSteps: 5, pctStart: 0.5, annealStrategy: AnnealStrategy.Linear, divFactor: 4, finalDivFactor: 10);
        // initial 0.5, max 2, min 0.05; phase ends 1.5 and 4.
        AssertSequence(linear, [0.5, 0.5 + (1.5 / 1.5), 2.0 + ((0.05 - 2.0) * (0.5 / 2.5)), 2.0 + ((0.05 - 2.0) * (1.5 / 2.5)), 0.05]);

        var three = new OneCycleLR(new Sgd([new Parameter("w", 1)], lr: 1.0), maxLr: 1.0, totalSteps: 11, pctStart: 0.25, annealStrategy: AnnealStrategy.Linear, divFactor: 10, finalDivFactor: 2, threePhase: true);
        // Phase ends 1.75, 3.5, 10: up 0.1 -> 1, down to 0.1, down to 0.05.
        Assert.Equal(0.1 + (0.9 / 1.75), three.LearningRateAt(1), 14);
        Assert.Equal(1.0 + ((0.1 - 1.0) * (1.25 / 1.75)), three.LearningRateAt(3), 14);
        Assert.Equal(0.1 + ((0.05 - 0.1) * (6.5 / 6.5)), three.LearningRateAt(10), 14);
    }

    [Fact]
    public void OneCycleLR_sets_the_initial_rate_of_later_schedules()
    {
        var sgd = new Sgd([new Parameter("w", 1)], lr: 1.0);
        _ = new OneCycleLR(sgd, maxLr: 0.5, totalSteps: 20);
        Assert.Equal(0.02, new ExponentialLR(sgd, 0.5).BaseLearningRate, 15);
    }

    [Fact]
    public void ReduceLROnPlateau_waits_patience_then_reduces_with_cooldown_and_floor()
    {
        var sgd = new Sgd([new Parameter("w", 1)], lr: 1.0);
        var plateau = new ReduceLROnPlateau(sgd, factor: 0.5, patience: 1, threshold: 0.1, cooldown: 1, minLr: 0.2);
        // best 10; 9.5 and 9.2 are not below 10 * 0.9: reduce after the second; cooldown eats the next bad epoch.
        (double Metric, double Lr)[] steps =
        [
            (10, 1), (9.5, 1), (9.2, 0.5), (9.1, 0.5), (9.0, 0.5), (8.0, 0.5), (8, 0.5), (8, 0.25),
            (8, 0.25), (8, 0.25), (8, 0.2), (8, 0.2), (8, 0.2), (8, 0.2), (double.NaN, 0.2),
        ];
        foreach ((double metric, double lr) in steps)
        {
            plateau.Step(metric);
            Assert.Equal(lr, sgd.LearningRate, 15);
        }

        Assert.Equal(8.0, plateau.Best);
        Assert.Equal(steps.Length, plateau.LastEpoch);

        var max = new ReduceLROnPlateau(sgd, PlateauMode.Max, factor: 0.1, patience: 0, threshold: 1, thresholdMode: ThresholdMode.Abs, minLr: 0);
        max.Step(1);
        Assert.Equal(0.2, sgd.LearningRate, 15);
        max.Step(1.5); // not above 1 + 1
        Assert.Equal(0.02, sgd.LearningRate, 15);
        max.Step(2.6);
        Assert.Equal(0.02, sgd.LearningRate, 15);
    }

    [Fact]
    public void Invalid_settings_are_refused()
    {
        var sgd = new Sgd([new Parameter("w", 1)], lr: 0.1);
        var other = new Sgd([new Parameter("v", 1)], lr: 0.1);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiStepLR(sgd, [-1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiStepLR(sgd, [1], gamma: double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialLR(sgd, -0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearLR(sgd, startFactor: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearLR(sgd, startFactor: 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearLR(sgd, endFactor: 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearLR(sgd, totalIters: 0));
        var a = new ExponentialLR(sgd, 0.5);
        var b = new ExponentialLR(sgd, 0.5);
        Assert.Throws<ArgumentException>(() => new SequentialLR(sgd, [], []));
        Assert.Throws<ArgumentException>(() => new SequentialLR(sgd, [a, b], []));
        Assert.Throws<ArgumentException>(() => new SequentialLR(sgd, [a, a], [2]));
        Assert.Throws<ArgumentException>(() => new SequentialLR(sgd, [a, new ExponentialLR(other, 0.5)], [2]));
        Assert.Throws<ArgumentException>(() => new SequentialLR(sgd, [a, b, new ExponentialLR(sgd, 0.5)], [3, 3]));
        Assert.Throws<ArgumentException>(() => new SequentialLR(sgd, [a, b], [0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OneCycleLR(sgd, maxLr: -1, totalSteps: 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OneCycleLR(sgd, maxLr: 1, totalSteps: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OneCycleLR(sgd, maxLr: 1, totalSteps: 10, pctStart: 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OneCycleLR(sgd, maxLr: 1, totalSteps: 10, divFactor: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OneCycleLR(sgd, maxLr: 1, totalSteps: 10, finalDivFactor: double.PositiveInfinity));
        Assert.Throws<InvalidOperationException>(() => new OneCycleLR(sgd, maxLr: 1, totalSteps: 10, pctStart: 0.1)); // phase one of length 0
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(sgd, factor: 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(sgd, patience: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(sgd, cooldown: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(sgd, minLr: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(sgd, mode: (PlateauMode)5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(sgd, threshold: double.NaN));
    }

    /// <summary>The rate after construction and after each step, to 1e-12 relative, and the closed form at each epoch.</summary>
    private static void AssertSequence(LearningRateScheduler schedule, double[] expected)
    {
        for (int epoch = 0; epoch < expected.Length; epoch++)
        {
            if (epoch > 0)
            {
                schedule.Step();
            }

            Assert.Equal(epoch, schedule.LastEpoch);
            AssertClose(expected[epoch], schedule.LearningRate, $"epoch {epoch}");
            AssertClose(expected[epoch], schedule.LearningRateAt(epoch), $"closed form at {epoch}");
        }
    }

    private static void AssertClose(double expected, double actual, string what) =>
        Assert.True(Math.Abs(actual - expected) <= 1e-12 * Math.Abs(expected) + 1e-300 || actual == expected, $"{what}: {actual}, expected {expected}");
}
