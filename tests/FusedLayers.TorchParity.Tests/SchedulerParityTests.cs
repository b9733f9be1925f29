using System;
using System.Collections.Generic;
using System.Linq;
using FusedLayers.Training;
using TorchSharp;
using static TorchSharp.torch;
using FusedParameter = FusedLayers.Parameter;
using TorchParameter = TorchSharp.Modules.Parameter;

namespace FusedLayers.TorchParity.Tests;

/// <summary>
/// MultiStepLR, ExponentialLR, LinearLR, SequentialLR, OneCycleLR and ReduceLROnPlateau against
/// TorchSharp's <c>torch.optim.lr_scheduler</c>: the learning rate after construction and after each of
/// <see cref="Steps"/> steps, to <see cref="RateTolerance"/> relative.
/// </summary>
public class SchedulerParityTests
{
    /// <summary>Steps compared.</summary>
    public const int Steps = 30;

    /// <summary>
    /// 1e-12 relative: both sides compute in float64, our closed forms against PyTorch's chainable forms
    /// (products of factors) where they differ, a few ulps apart after 30 steps.
    /// </summary>
    public const double RateTolerance = 1e-12;

    [Fact]
    public void MultiStepLR_matches_pytorch() => Compare(
        0.5,
        o => new MultiStepLR(o, [3, 7, 8, 20], gamma: 0.3),
        o => optim.lr_scheduler.MultiStepLR(o, [3, 7, 8, 20], 0.3));

    [Fact]
    public void ExponentialLR_matches_pytorch() => Compare(
        0.2,
        o => new ExponentialLR(o, gamma: 0.87),
        o => optim.lr_scheduler.ExponentialLR(o, 0.87));

    [Theory]
    [InlineData(0.1, 1.0, 7)]
    [InlineData(1.0 / 3, 1.0, 5)]
    [InlineData(1.0, 0.05, 25)]
    public void LinearLR_matches_pytorch(double startFactor, double endFactor, int totalIters) => Compare(
        0.3,
        o => new LinearLR(o, startFactor, endFactor, totalIters),
        o => optim.lr_scheduler.LinearLR(o, startFactor, endFactor, totalIters));

    [Fact]
    public void SequentialLR_warm_up_then_cosine_matches_pytorch() => Compare(
        0.4,
        o => new SequentialLR(o, [new LinearLR(o, 0.1, 1.0, 5), new CosineAnnealingLR(o, tMax: 20, etaMin: 1e-3)], [5]),
        o => optim.lr_scheduler.SequentialLR(o, [optim.lr_scheduler.LinearLR(o, 0.1, 1.0, 5), optim.lr_scheduler.CosineAnnealingLR(o, 20, 1e-3)], [5]));

    [Fact]
    public void SequentialLR_of_three_matches_pytorch() => Compare(
        1.0,
        o => new SequentialLR(o, [new LinearLR(o, 0.25, 1.0, 4), new ExponentialLR(o, 0.8), new MultiStepLR(o, [2, 5], 0.5)], [6, 17]),
        o => optim.lr_scheduler.SequentialLR(
            o,
            [optim.lr_scheduler.LinearLR(o, 0.25, 1.0, 4), optim.lr_scheduler.ExponentialLR(o, 0.8), optim.lr_scheduler.MultiStepLR(o, [2, 5], 0.5)],
            [6, 17]));

    /// <summary>
    /// Thirty steps of a 31-step cycle: TorchSharp 0.107 selects the last phase by the parameter group's index
    /// instead of the phase's, so at step <c>total_steps</c> (extrapolated by PyTorch) it gives 0; that step is
    /// checked against PyTorch's formula by hand in the unit tests (ScheduleFormulaTests).
    /// </summary>
    [Theory]
    [InlineData(0.3, false, false)]
    [InlineData(0.25, true, false)]
    [InlineData(0.4, false, true)]
    [InlineData(0.2, true, true)]
    public void OneCycleLR_matches_pytorch(double pctStart, bool linear, bool threePhase) => Compare(
        0.01,
        o => new OneCycleLR(o, maxLr: 0.8, totalSteps: Steps + 1, pctStart, linear ? AnnealStrategy.Linear : AnnealStrategy.Cos, divFactor: 20, finalDivFactor: 500, threePhase),
        o => optim.lr_scheduler.OneCycleLR(
            o,
            0.8,
            total_steps: Steps + 1,
            pct_start: pctStart,
            anneal_strategy: linear ? optim.lr_scheduler.impl.OneCycleLR.AnnealStrategy.Linear : optim.lr_scheduler.impl.OneCycleLR.AnnealStrategy.Cos,
            cycle_momentum: false,
            div_factor: 20,
            final_div_factor: 500,
            three_phase: threePhase));

    [Theory]
    [InlineData(false, false, 0, 0.0)]
    [InlineData(false, true, 2, 0.01)]
    [InlineData(true, false, 1, 0.0)]
    [InlineData(true, true, 0, 0.02)]
    public void ReduceLROnPlateau_matches_pytorch(bool max, bool absolute, int cooldown, double minLr)
    {
        var random = new Random(cooldown + (max ? 10 : 0) + (absolute ? 20 : 0));
        var ours = new Sgd([new FusedParameter("w", 1)], lr: 0.5);
        var plateau = new ReduceLROnPlateau(
            ours, max ? PlateauMode.Max : PlateauMode.Min, factor: 0.5, patience: 2, threshold: absolute ? 0.05 : 0.01,
            thresholdMode: absolute ? ThresholdMode.Abs : ThresholdMode.Rel, cooldown: cooldown, minLr: minLr);
        optim.Optimizer theirs = optim.SGD([new TorchParameter(torch.zeros(1))], 0.5);
        optim.lr_scheduler.LRScheduler reference = optim.lr_scheduler.ReduceLROnPlateau(
            theirs, max ? "max" : "min", 0.5, 2, absolute ? 0.05 : 0.01, absolute ? "abs" : "rel", cooldown, [minLr]);
        double metric = max ? 0.0 : 5.0;
        for (int step = 0; step < 40; step++)
        {
            // Improves quickly, then plateaus with noise; some steps repeat the previous metric exactly.
            double change = step < 8 ? 0.5 : (random.NextDouble() - 0.45) * 0.06;
            metric += step % 7 == 3 ? 0 : (max ? change : -change);
            plateau.Step(metric);
            reference.step(metric);
            AssertRate($"step {step} (metric {metric})", theirs.ParamGroups.Single().LearningRate, ours.LearningRate);
        }

        Assert.True(ours.LearningRate < 0.5 * 0.5, $"the schedule never reduced twice: {ours.LearningRate}");
    }

    private static void Compare(double lr, Func<Optimizer, LearningRateScheduler> createOurs, Func<optim.Optimizer, optim.lr_scheduler.LRScheduler> createTheirs)
    {
        using DisposeScope scope = NewDisposeScope();
        var ours = new Sgd([new FusedParameter("w", 1)], lr: lr);
        optim.Optimizer theirs = optim.SGD([new TorchParameter(torch.zeros(1))], lr);
        LearningRateScheduler schedule = createOurs(ours);
        optim.lr_scheduler.LRScheduler reference = createTheirs(theirs);
        var seen = new List<double>();
        for (int step = 0; step <= Steps; step++)
        {
            if (step > 0)
            {
                schedule.Step();
                reference.step();
            }

            double expected = theirs.ParamGroups.Single().LearningRate;
            AssertRate($"step {step}", expected, ours.LearningRate);
            AssertRate($"step {step} get_last_lr", reference.get_last_lr().Single(), ours.LearningRate);
            AssertRate($"step {step} closed form", expected, schedule.LearningRateAt(step));
            seen.Add(ours.LearningRate);
        }

        Assert.True(seen.Distinct().Count() > 3, "the schedule barely moved: " + string.Join(", ", seen));
    }

    private static void AssertRate(string what, double expected, double actual) =>
        Assert.True(actual == expected || Math.Abs(actual - expected) <= RateTolerance * Math.Abs(expected), $"{what}: learning rate {actual:R}, torch {expected:R}");
}
