using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FusedLayers.Checkpoints;
using FusedLayers.Tests.Models;
using FusedLayers.Tests.Numerics;
using FusedLayers.Training;

namespace FusedLayers.Tests.Training;

/// <summary>
/// Parameter groups: each group updates exactly as a single-group optimizer with its settings would; the
/// decay / no-decay split; schedules scale every group from its own initial rate (hand-computed PyTorch
/// values); group-aware state dicts.
/// </summary>
public class ParameterGroupTests
{
    [Fact]
    public void Each_sgd_group_steps_like_its_own_optimizer()
    {
        (Parameter[] a, Parameter[] b) = (Make(1), Make(1));
        var grouped = new Sgd(
            [new ParameterGroup(a[..1]), new ParameterGroup(a[1..], lr: 0.03, weightDecay: 0.0, momentum: 0.5)],
            lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true);
        var first = new Sgd(b[..1], lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true);
        var second = new Sgd(b[1..], lr: 0.03, momentum: 0.5, nesterov: true);
        StepTogether(grouped, [first, second], a, b);
        Assert.Equal(0.1, grouped.LearningRate);
        Assert.Equal(0.03, grouped.GetLearningRate(1));
    }

    [Fact]
    public void Each_adam_group_steps_like_its_own_optimizer()
    {
        (Parameter[] a, Parameter[] b) = (Make(2), Make(2));
        var grouped = new AdamW([new ParameterGroup(a[..2], lr: 0.02), new ParameterGroup(a[2..], weightDecay: 0.0)], lr: 0.01, weightDecay: 0.1, amsgrad: true);
        var first = new AdamW(b[..2], lr: 0.02, weightDecay: 0.1, amsgrad: true);
        var second = new AdamW(b[2..], lr: 0.01, weightDecay: 0.0, amsgrad: true);
        StepTogether(grouped, [first, second], a, b);

        (a, b) = (Make(3), Make(3));
        var adam = new Adam([new ParameterGroup(a[..1], weightDecay: 0.05), new ParameterGroup(a[1..], lr: 0.003)], lr: 0.01);
        StepTogether(adam, [new Adam(b[..1], lr: 0.01, weightDecay: 0.05), new Adam(b[1..], lr: 0.003)], a, b);
    }

    [Fact]
    public void SplitWeightDecay_puts_biases_and_norm_parameters_in_the_no_decay_group()
    {
        var model = new TwoBlockCnn(0);
        ParameterGroup[] groups = ParameterGroup.SplitWeightDecay(model.Parameters, weightDecay: 0.05);
        Assert.Equal(["Conv1.weight", "Conv2.weight", "Fc.weight"], groups[0].Parameters.Select(p => p.Name));
        Assert.Equal(["Conv1.bias", "Bn1.weight", "Bn1.bias", "Bn2.weight", "Bn2.bias", "Fc.bias"], groups[1].Parameters.Select(p => p.Name));
        Assert.Equal(0.05, groups[0].WeightDecay);
        Assert.Equal(0.0, groups[1].WeightDecay);

        ParameterGroup[] byName = ParameterGroup.SplitWeightDecay(model.Parameters, 0.05, p => p.Name.StartsWith("Bn", StringComparison.Ordinal));
        Assert.Equal(4, byName[1].Parameters.Count);

        var adamW = new AdamW(groups, lr: 1e-3);
        Assert.Equal(model.Parameters.Count, adamW.Parameters.Count);
        Assert.Equal(2, adamW.ParamGroups.Count);
    }

    [Fact]
    public void Invalid_groups_are_refused()
    {
        Parameter[] ps = Make(4);
        var e = Assert.Throws<ArgumentException>(() => new Sgd([new ParameterGroup(ps), new ParameterGroup(ps[..1])], lr: 0.1));
        Assert.Contains("more than one parameter group", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Adam([new ParameterGroup(ps, momentum: 0.9)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([new ParameterGroup(ps, lr: -1)], lr: 0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([new ParameterGroup(ps, weightDecay: -1)], lr: 0.1));
        Assert.Throws<ArgumentException>(() => new Sgd([new ParameterGroup(ps[..1], momentum: 0.9), new ParameterGroup(ps[1..])], lr: 0.1, nesterov: true));
        Assert.Contains("empty parameter list", Assert.Throws<ArgumentException>(() => new Sgd([new ParameterGroup([])], 0.1)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LearningRate_setter_scales_every_group()
    {
        var sgd = new Sgd([new ParameterGroup(Make(5)[..1]), new ParameterGroup(Make(6)[..1], lr: 0.04)], lr: 0.2);
        sgd.LearningRate = 0.1;
        Assert.Equal(0.1, sgd.LearningRate);
        Assert.Equal(0.02, sgd.GetLearningRate(1), 15);
        sgd.SetLearningRate(1, 0.5);
        Assert.Equal(0.1, sgd.LearningRate);
        Assert.Equal(0.5, sgd.GetLearningRate(1));
    }

    [Fact]
    public void Schedules_scale_each_group_from_its_own_initial_rate()
    {
        // CosineAnnealingLR with eta_min is not proportional: lr_g = eta_min + (base_g - eta_min) (1 + cos(pi t / T)) / 2.
        Sgd sgd = TwoGroups(1.0, 0.1);
        var cosine = new CosineAnnealingLR(sgd, tMax: 4, etaMin: 0.05);
        Assert.Equal([1.0, 0.1], cosine.BaseLearningRates);
        cosine.Step();
        cosine.Step();
        Assert.Equal(0.05 + (0.95 / 2), sgd.GetLearningRate(0), 15);
        Assert.Equal(0.05 + (0.05 / 2), sgd.GetLearningRate(1), 15);
        Assert.Equal(0.075, cosine.LearningRateAt(2, 1), 15);

        // LinearLR (chainable) warm-up: factors 0.5, 0.75, 1 on each group's own rate.
        sgd = TwoGroups(0.4, 0.02);
        var warm = new LinearLR(sgd, startFactor: 0.5, endFactor: 1.0, totalIters: 2);
        Assert.Equal([0.2, 0.01], Rates(sgd));
        warm.Step();
        AssertRates([0.3, 0.015], sgd);
        warm.Step();
        AssertRates([0.4, 0.02], sgd);

        // MultiStepLR and ExponentialLR.
        sgd = TwoGroups(0.8, 0.08);
        var multi = new MultiStepLR(sgd, [1, 3], gamma: 0.5);
        multi.Step();
        AssertRates([0.4, 0.04], sgd);
        sgd = TwoGroups(0.8, 0.08);
        var exponential = new ExponentialLR(sgd, gamma: 0.9);
        exponential.Step();
        AssertRates([0.72, 0.072], sgd);

        // SequentialLR: warm-up, then StepLR from each group's initial rate.
        sgd = TwoGroups(1.0, 0.3);
        var sequence = new SequentialLR(sgd, [new LinearLR(sgd, 0.1, 1.0, 2), new StepLR(sgd, stepSize: 1, gamma: 0.5)], [2]);
        AssertRates([0.1, 0.03], sgd);
        sequence.Step();
        AssertRates([0.55, 0.165], sgd);
        sequence.Step();
        AssertRates([1.0, 0.3], sgd);
        sequence.Step();
        AssertRates([0.5, 0.15], sgd);

        // OneCycleLR: max_lr is one number, so every group follows the same cycle (PyTorch with a float max_lr).
        sgd = TwoGroups(1.0, 0.3);
        var cycle = new OneCycleLR(sgd, maxLr: 0.5, totalSteps: 10);
        AssertRates([0.02, 0.02], sgd);

        // ReduceLROnPlateau reduces each group, down to min_lr.
        sgd = TwoGroups(1.0, 0.01);
        var plateau = new ReduceLROnPlateau(sgd, factor: 0.5, patience: 0, minLr: 0.008);
        plateau.Step(1.0);
        plateau.Step(1.0);
        AssertRates([0.5, 0.008], sgd);
        GC.KeepAlive(cycle);
    }

    [Fact]
    public void Group_state_dicts_round_trip_and_check_the_groups()
    {
        (Parameter[] a, Parameter[] b) = (Make(7), Make(7));
        Sgd Create(Parameter[] ps) => new([new ParameterGroup(ps[..2]), new ParameterGroup(ps[2..], lr: 0.01, momentum: 0.5)], lr: 0.1, momentum: 0.9);
        Sgd source = Create(a);
        var schedule = new StepLR(source, stepSize: 1, gamma: 0.5);
        foreach (Parameter p in a)
        {
            p.Grad.AsSpan().Fill(0.5f);
        }

        source.Step();
        schedule.Step();
        SafeTensorsFile file = source.StateDict();
        Assert.Equal(0.005, BitConverter.ToDouble(file.Find("param_groups.1.lr")!.Data.Span));
        Assert.Equal(0.01, BitConverter.ToDouble(file.Find("param_groups.1.initial_lr")!.Data.Span));
        Assert.Equal("p2,p3", file.Metadata["param_groups.1.params"]);
        Assert.Equal("0.5", file.Metadata["param_groups.1.momentum"]);

        Sgd target = Create(b);
        var stream = new MemoryStream();
        source.SaveStateDict(stream);
        stream.Position = 0;
        target.LoadStateDict(stream);
        Assert.Equal([0.05, 0.005], Rates(target));
        Assert.Equal(source.MomentumBuffer(3).ToArray(), target.MomentumBuffer(3).ToArray());
        Assert.Equal([0.1, 0.01], new StepLR(target, 1, 0.5).BaseLearningRates);

        // One group instead of two, or the parameters split differently.
        var single = new Sgd(Make(7), lr: 0.1, momentum: 0.9);
        var e = Assert.Throws<StateDictLoadException>(() => single.LoadStateDict(file));
        Assert.Contains("The state has 2 parameter groups, this optimizer 1.", e.Message, StringComparison.Ordinal);
        Assert.Contains("param_groups.0.params differ", e.Message, StringComparison.Ordinal);
        Parameter[] c = Make(7);
        var split = new Sgd([new ParameterGroup(c[..1]), new ParameterGroup(c[1..], lr: 0.01, momentum: 0.5)], lr: 0.1, momentum: 0.9);
        e = Assert.Throws<StateDictLoadException>(() => split.LoadStateDict(file));
        Assert.Contains("param_groups.1.params differ: the state has [p2,p3], this optimizer has [p1,p2,p3].", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, split.StepCount);
    }

    private static Sgd TwoGroups(double lr0, double lr1)
    {
        Parameter[] ps = Make(8);
        return new Sgd([new ParameterGroup(ps[..2]), new ParameterGroup(ps[2..], lr: lr1)], lr: lr0);
    }

    private static double[] Rates(Optimizer o) => [.. Enumerable.Range(0, o.ParamGroups.Count).Select(o.GetLearningRate)];

    private static void AssertRates(double[] expected, Optimizer o)
    {
        for (int g = 0; g < expected.Length; g++)
        {
            Assert.Equal(expected[g], o.GetLearningRate(g), 14);
        }
    }

    /// <summary>Four parameters p0..p3 of lengths that sweep the vector remainders, seeded.</summary>
    private static Parameter[] Make(int seed)
    {
        var random = new Random(seed);
        Parameter[] ps = [new Parameter("p0", 7), new Parameter("p1", 3, 5), new Parameter("p2", 33), new Parameter("p3", 64)];
        foreach (Parameter p in ps)
        {
            RandomData.Normal(random, p.Length).CopyTo(p.Data, 0);
        }

        return ps;
    }

    /// <summary>Steps the grouped optimizer over <paramref name="a"/> and the per-group ones over the twin <paramref name="b"/>; bit-identical.</summary>
    private static void StepTogether(Optimizer grouped, Optimizer[] separate, Parameter[] a, Parameter[] b)
    {
        var random = new Random(99);
        for (int step = 0; step < 5; step++)
        {
            for (int i = 0; i < a.Length; i++)
            {
                float[] g = RandomData.Normal(random, a[i].Length, std: 1.0 / (step + 1));
                g.CopyTo(a[i].Grad, 0);
                g.CopyTo(b[i].Grad, 0);
            }

            grouped.Step();
            foreach (Optimizer o in separate)
            {
                o.Step();
            }

            for (int i = 0; i < a.Length; i++)
            {
                Assert.Equal(a[i].Data.Select(BitConverter.SingleToInt32Bits), b[i].Data.Select(BitConverter.SingleToInt32Bits));
            }
        }
    }
}
