using System;
using System.Collections.Generic;
using System.Linq;
using FusedLayers.Training;
using TorchSharp;
using static TorchSharp.torch;
using FusedParameter = FusedLayers.Parameter;
using TorchParameter = TorchSharp.Modules.Parameter;
using TorchTensor = TorchSharp.torch.Tensor;

namespace FusedLayers.TorchParity.Tests;

/// <summary>
/// Optimizers built from two parameter groups with their own lr / weight_decay / momentum, driven by a
/// schedule, against TorchSharp's param groups (<c>SGD.ParamGroup</c>, <c>AdamW.ParamGroup</c>): every group's
/// rate (to 1e-12, each from its own <c>initial_lr</c>) and the parameters after every step
/// (<see cref="OptimizerParityTests.OptimizerTolerance"/>).
/// </summary>
public class ParameterGroupParityTests
{
    private static readonly int[][] Shapes = [[7], [3, 5], [33], [2, 3, 3, 3]];

    [Fact]
    public void Sgd_groups_with_cosine_schedule_match_torch()
    {
        Run(
            ps => new Sgd([new ParameterGroup(ps[..2]), new ParameterGroup(ps[2..], lr: 0.02, weightDecay: 0.0, momentum: 0.5)], lr: 0.2, momentum: 0.9, weightDecay: 0.01),
            ps => optim.SGD(
                [new TorchSharp.Modules.SGD.ParamGroup(ps[..2], lr: 0.2, momentum: 0.9, weight_decay: 0.01), new TorchSharp.Modules.SGD.ParamGroup(ps[2..], lr: 0.02, momentum: 0.5, weight_decay: 0.0)],
                0.2, 0.9, 0.0, 0.01),
            o => new CosineAnnealingLR(o, tMax: 6, etaMin: 1e-3),
            o => optim.lr_scheduler.CosineAnnealingLR(o, 6, 1e-3));
    }

    [Fact]
    public void AdamW_groups_with_step_schedule_match_torch()
    {
        Run(
            ps => new AdamW([new ParameterGroup(ps[..1], lr: 0.05), new ParameterGroup(ps[1..], weightDecay: 0.0)], lr: 0.01, weightDecay: 0.1),
            ps => optim.AdamW(
                [new TorchSharp.Modules.AdamW.ParamGroup(ps[..1], lr: 0.05, weight_decay: 0.1), new TorchSharp.Modules.AdamW.ParamGroup(ps[1..], lr: 0.01, weight_decay: 0.0)],
                0.01, 0.9, 0.999, 1e-8, 0.1),
            o => new StepLR(o, stepSize: 3, gamma: 0.5),
            o => optim.lr_scheduler.StepLR(o, 3, 0.5));
    }

    private static void Run(
        Func<FusedParameter[], Optimizer> createFused,
        Func<TorchParameter[], optim.Optimizer> createTorch,
        Func<Optimizer, LearningRateScheduler> fusedSchedule,
        Func<optim.Optimizer, optim.lr_scheduler.LRScheduler> torchSchedule,
        int steps = 10)
    {
        using DisposeScope scope = NewDisposeScope();
        var random = new Random(23);
        var fused = new List<FusedParameter>();
        var torchParameters = new List<TorchParameter>();
        foreach (int[] shape in Shapes)
        {
            var p = new FusedParameter($"p{fused.Count}", shape);
            TestData.Normal(random, p.Length).CopyTo(p.Data, 0);
            fused.Add(p);
            torchParameters.Add(new TorchParameter(torch.tensor(p.Data, shape.Select(d => (long)d).ToArray())));
        }

        Optimizer ours = createFused([.. fused]);
        optim.Optimizer theirs = createTorch([.. torchParameters]);
        LearningRateScheduler ourSchedule = fusedSchedule(ours);
        optim.lr_scheduler.LRScheduler theirSchedule = torchSchedule(theirs);
        Assert.Equal(2, ours.ParamGroups.Count);
        for (int step = 0; step < steps; step++)
        {
            ours.ZeroGrad();
            theirs.zero_grad();
            TorchTensor objective = torch.zeros(1);
            for (int i = 0; i < fused.Count; i++)
            {
                float[] g = TestData.Normal(random, fused[i].Length, std: 1.0 / (1 + (step % 4)));
                g.CopyTo(fused[i].Grad, 0);
                objective = objective + (torchParameters[i] * torch.tensor(g, torchParameters[i].shape)).sum();
            }

            objective.backward();
            ours.Step();
            theirs.step();
            ourSchedule.Step();
            theirSchedule.step();
            double[] expectedRates = [.. theirSchedule.get_last_lr()];
            Assert.Equal(2, expectedRates.Length);
            for (int g = 0; g < 2; g++)
            {
                double rate = ours.GetLearningRate(g);
                Assert.True(Math.Abs(rate - expectedRates[g]) <= 1e-12 * expectedRates[g], $"step {step} group {g}: learning rate {rate}, torch {expectedRates[g]}");
            }

            for (int i = 0; i < fused.Count; i++)
            {
                ParityAssert.Close($"step {step}, parameter {i}", Twin.ToArray(torchParameters[i]), fused[i].Data, OptimizerParityTests.OptimizerTolerance);
            }
        }
    }
}
