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
/// The optimizers and schedules against TorchSharp's <c>torch.optim</c> over several steps, with identical
/// parameters and identical gradients on both sides (set on the PyTorch side by back-propagating
/// <c>sum(p * g)</c>, whose gradient is exactly g). Parameter shapes sweep the vector remainders.
/// Tolerance: <see cref="OptimizerTolerance"/>, checked after every step.
/// </summary>
public class OptimizerParityTests
{
    /// <summary>
    /// 1e-5 relative to the largest parameter magnitude, after every step. Both sides do the same float32
    /// operations; they differ by rounding only (libtorch fuses some multiply-adds, TorchSharp's Adam uses
    /// <c>mul_().add_()</c> where torch.optim uses <c>lerp_</c>), a few units of 1e-7 per step.
    /// The displacement from the start is checked too, at 1e-4 of its own scale, so that an update that is
    /// small against the weights is still compared meaningfully.
    /// </summary>
    public const double OptimizerTolerance = 1e-5;

    private static readonly int[][] Shapes = [[1], [7], [3, 5], [64], [33], [2, 3, 3, 3]];

    public static TheoryData<string> SgdSettings => new() { "plain", "momentum", "dampening", "nesterov", "weight_decay", "all" };

    public static TheoryData<string> AdamSettings => new() { "adam", "adam_l2", "adam_amsgrad", "adamw", "adamw_amsgrad", "adam_betas" };

    [Theory]
    [MemberData(nameof(SgdSettings))]
    public void Sgd_matches_torch_optim(string setting)
    {
        (double momentum, double dampening, double weightDecay, bool nesterov) = setting switch
        {
            "plain" => (0.0, 0.0, 0.0, false),
            "momentum" => (0.9, 0.0, 0.0, false),
            "dampening" => (0.9, 0.4, 0.0, false),
            "nesterov" => (0.8, 0.0, 0.0, true),
            "weight_decay" => (0.0, 0.0, 0.05, false),
            _ => (0.9, 0.0, 0.01, true),
        };
        Run(
            ps => new Sgd(ps, 0.1, momentum, dampening, weightDecay, nesterov),
            ps => optim.SGD(ps, 0.1, momentum, dampening, weightDecay, nesterov),
            scheduled: null);
    }

    [Theory]
    [MemberData(nameof(AdamSettings))]
    public void Adam_and_AdamW_match_torch_optim(string setting)
    {
        (double b1, double b2, double wd, bool ams, bool decoupled) = setting switch
        {
            "adam" => (0.9, 0.999, 0.0, false, false),
            "adam_l2" => (0.9, 0.999, 0.05, false, false),
            "adam_amsgrad" => (0.9, 0.999, 0.0, true, false),
            "adamw" => (0.9, 0.999, 0.1, false, true),
            "adamw_amsgrad" => (0.9, 0.999, 0.1, true, true),
            _ => (0.5, 0.9, 0.0, false, false),
        };
        Run(
            ps => decoupled ? new AdamW(ps, 0.01, b1, b2, 1e-8, wd, ams) : new Adam(ps, 0.01, b1, b2, 1e-8, wd, ams),
            ps => decoupled ? optim.AdamW(ps, 0.01, b1, b2, 1e-8, wd, ams) : optim.Adam(ps, 0.01, b1, b2, 1e-8, wd, ams),
            scheduled: null);
    }

    [Fact]
    public void StepLR_drives_sgd_like_torch()
    {
        Run(
            ps => new Sgd(ps, 0.2, momentum: 0.9),
            ps => optim.SGD(ps, 0.2, momentum: 0.9),
            scheduled: (o => new StepLR(o, stepSize: 3, gamma: 0.5), o => optim.lr_scheduler.StepLR(o, 3, 0.5)));
    }

    [Fact]
    public void CosineAnnealingLR_drives_adamw_like_torch()
    {
        Run(
            ps => new AdamW(ps, 0.05),
            ps => optim.AdamW(ps, 0.05, 0.9, 0.999, 1e-8, 0.01),
            scheduled: (o => new CosineAnnealingLR(o, tMax: 5, etaMin: 1e-3), o => optim.lr_scheduler.CosineAnnealingLR(o, 5, 1e-3)));
    }

    private static void Run(
        Func<IReadOnlyList<FusedParameter>, Optimizer> createFused,
        Func<IEnumerable<TorchParameter>, optim.Optimizer> createTorch,
        (Func<Optimizer, LearningRateScheduler> Fused, Func<optim.Optimizer, optim.lr_scheduler.LRScheduler> Torch)? scheduled,
        int steps = 12)
    {
        using DisposeScope scope = NewDisposeScope();
        var random = new Random(17);
        var fused = new List<FusedParameter>();
        var torchParameters = new List<TorchParameter>();
        var initial = new List<float[]>();
        foreach (int[] shape in Shapes)
        {
            var p = new FusedParameter($"p{fused.Count}", shape);
            TestData.Normal(random, p.Length).CopyTo(p.Data, 0);
            fused.Add(p);
            initial.Add((float[])p.Data.Clone());
            torchParameters.Add(new TorchParameter(torch.tensor(p.Data, shape.Select(d => (long)d).ToArray())));
        }

        Optimizer ours = createFused(fused);
        optim.Optimizer theirs = createTorch(torchParameters);
        LearningRateScheduler? ourSchedule = scheduled?.Fused(ours);
        optim.lr_scheduler.LRScheduler? theirSchedule = scheduled?.Torch(theirs);
        for (int step = 0; step < steps; step++)
        {
            // Gradients shrink over the steps, so that AMSGrad's running maximum matters.
            ours.ZeroGrad();
            theirs.zero_grad();
            TorchTensor objective = torch.zeros(1);
            for (int i = 0; i < fused.Count; i++)
            {
                float[] g = TestData.Normal(random, fused[i].Length, std: 1.0 / (1 + (step % 5)));
                g.CopyTo(fused[i].Grad, 0);
                objective = objective + (torchParameters[i] * torch.tensor(g, torchParameters[i].shape)).sum();
            }

            objective.backward();
            for (int i = 0; i < fused.Count; i++)
            {
                Assert.Equal(fused[i].Grad, Twin.ToArray(torchParameters[i].grad!));
            }

            ours.Step();
            theirs.step();
            ourSchedule?.Step();
            theirSchedule?.step();
            if (theirSchedule is not null)
            {
                double expectedRate = theirSchedule.get_last_lr().Single();
                Assert.True(Math.Abs(ours.LearningRate - expectedRate) <= 1e-12 * expectedRate, $"step {step}: learning rate {ours.LearningRate}, torch {expectedRate}");
            }

            for (int i = 0; i < fused.Count; i++)
            {
                float[] expected = Twin.ToArray(torchParameters[i]);
                string what = $"step {step}, parameter {i} {TensorShape.Format(fused[i].Shape)}";
                ParityAssert.Close(what, expected, fused[i].Data, OptimizerTolerance);
                ParityAssert.Close(what + " displacement", Minus(expected, initial[i]), Minus(fused[i].Data, initial[i]), 1e-4);
            }
        }
    }

    private static float[] Minus(float[] a, float[] b) => a.Select((v, i) => v - b[i]).ToArray();
}
