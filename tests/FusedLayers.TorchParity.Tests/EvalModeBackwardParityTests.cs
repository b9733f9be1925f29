using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using FusedLayers.Tests.Models;
using TorchSharp.Modules;

namespace FusedLayers.TorchParity.Tests;

/// <summary>
/// Backward with BatchNorm in eval mode, against PyTorch on every ISA path (issue 15 point 5): the whole model after
/// <c>Eval(withGradients: true)</c> (PyTorch: <c>model.eval()</c> with autograd on: input gradients for saliency,
/// parameter gradients with the statistics held constant), and frozen BatchNorm while the rest trains (PyTorch:
/// <c>model.train()</c> then <c>bn.eval()</c>, as torchvision / Detectron fine-tune). Outputs, input gradients, every
/// parameter gradient and the buffers (which must not move) are compared after several steps with weight updates.
/// </summary>
public class EvalModeBackwardParityTests
{
    /// <summary>
    /// Biases in front of a normalisation whose statistics stay batch (or per-sample) statistics in eval mode, so that
    /// their gradient is still zero in theory: a BatchNorm without running statistics, an InstanceNorm, a LayerNorm
    /// over one plane, an InstanceNorm with running statistics in a training forward. Every other entry of <see cref="ParityCase.BiasesBeforeTrainingBatchNorm"/> sits in front of a
    /// BatchNorm with running statistics and has a real gradient once that BatchNorm is in eval mode.
    /// </summary>
    private static readonly Dictionary<string, string[]> StillBatchStatistics = new()
    {
        [nameof(BatchNormOptionsModel)] = ["Fc.bias"],
        [nameof(GroupNormSiluModel)] = ["Conv2.bias"],
        [nameof(LayerNormCnn)] = ["Conv.bias"],
        [nameof(InstanceNormReluModel)] = ["Conv.bias"],
        [nameof(RowNormResidualModel)] = ["Conv2.bias"],
    };

    /// <summary>
    /// Steps with frozen statistics use a small rate: the output gradients are random, not a loss's, and without batch
    /// statistics nothing renormalises the growing activations.
    /// </summary>
    private const float LearningRate = 0.005f;

    [Theory]
    [MemberData(nameof(ParityCase.SharedModelsOnEveryPath), MemberType = typeof(ParityCase))]
    public void Eval_with_gradients_matches_pytorch_eval_mode_backward(string name, KernelIsa isa)
    {
        ParityCase c = ParityCase.Get(name);
        using var twin = new Twin(c, isa, seed: 4);
        var random = new Random(21);
        twin.RandomizeBatchNormAffine(random);
        TrainSomeSteps(twin, c, random);

        if (HasTrackedInstanceNorm(twin.Fused))
        {
            // Eval-mode backward of a tracked InstanceNorm is not implemented: refused, mode unchanged.
            NotSupportedException refused = Assert.Throws<NotSupportedException>(() => twin.Fused.Eval(withGradients: true));
            Assert.Contains("InstanceNorm", refused.Message, StringComparison.Ordinal);
            Assert.True(twin.Fused.Training);
            return;
        }

        twin.Fused.Eval(withGradients: true);
        twin.Torch.eval();
        Assert.False(twin.Fused.Training);
        IReadOnlySet<string> realBiasGradients = RealBiasGradients(c);
        twin.ZeroGrad();
        for (int step = 0; step < 3; step++)
        {
            string what = $"eval step {step}";
            float[] input = TestData.Normal(random, c.Batch * twin.Fused.InputLength, mean: 0.5, std: 2.0);
            float[] output = twin.EvalGradientStep(what, input, TestData.Normal(random, c.Batch * twin.Fused.OutputLength));
            twin.CompareGradients(what, realBiasGradients);
            twin.CompareBuffers(what);

            // The differentiable eval forward computes what the folded inference forward computes.
            twin.Fused.Eval();
            var inference = new float[output.Length];
            twin.Fused.Forward(input, inference);
            ParityAssert.Close($"{twin.Label}, {what}: eval forward with gradients vs Eval()", inference, output);
            twin.Fused.Eval(withGradients: true);
            twin.SgdStep(LearningRate);
        }

        if (!c.InferenceNeedsMoreThanOneSample)
        {
            // Saliency of one image: a batch of one is fine when every BatchNorm uses its running statistics.
            twin.ZeroGrad();
            twin.EvalGradientStep("batch of one", TestData.Normal(random, twin.Fused.InputLength, 0.5, 2.0), TestData.Normal(random, twin.Fused.OutputLength));
            twin.CompareGradients("batch of one", realBiasGradients);
        }
    }

    [Theory]
    [MemberData(nameof(ParityCase.SharedModelsOnEveryPath), MemberType = typeof(ParityCase))]
    public void Frozen_batchnorm_fine_tuning_matches_pytorch(string name, KernelIsa isa)
    {
        ParityCase c = ParityCase.Get(name);
        using var twin = new Twin(c, isa, seed: 6);
        var random = new Random(23);
        twin.RandomizeBatchNormAffine(random);
        TrainSomeSteps(twin, c, random);

        // Every BatchNorm in eval mode while the model trains: FrozenBatchNorm fine-tuning.
        SetBatchNormMode(twin, _ => false);
        IReadOnlySet<string> realBiasGradients = RealBiasGradients(c);
        twin.ZeroGrad();
        for (int step = 0; step < 3; step++)
        {
            string what = $"frozen step {step}";
            twin.TrainingStep(what, TestData.Normal(random, c.Batch * twin.Fused.InputLength, 0.5, 2.0), TestData.Normal(random, c.Batch * twin.Fused.OutputLength));
            twin.CompareGradients(what, realBiasGradients);
            twin.CompareBuffers(what);
            twin.SgdStep(LearningRate);
        }

        // Train() puts every BatchNorm back in training mode, as module.train() does: batch statistics and running
        // updates again. (Parameter gradients are not compared here: after the frozen steps the activations have grown,
        // and the batch-statistics gradients are cancellations beyond the float32 tolerance on both sides.)
        twin.Train();
        Assert.All(BatchNorms(twin.Fused), bn => Assert.True(bn.Training));
        twin.TrainingStep("after Train()", TestData.Normal(random, c.Batch * twin.Fused.InputLength, 0.5, 2.0), TestData.Normal(random, c.Batch * twin.Fused.OutputLength));
        twin.CompareBuffers("after Train()");
    }

    [Theory]
    [MemberData(nameof(ParityCase.EveryPath), MemberType = typeof(ParityCase))]
    public void Some_batchnorms_frozen_and_the_rest_training_matches_pytorch(KernelIsa isa)
    {
        // ResidualCnn: the projection's BatchNorm and the block's second BatchNorm frozen, the others on batch statistics.
        foreach ((string model, string[] frozen) in new[]
                 {
                     (nameof(ResidualCnn), new[] { "Down.1", "Bn2", "StemBn" }),
                     (nameof(TwoBlockCnn), new[] { "Bn1" }),
                 })
        {
            ParityCase c = ParityCase.Get(model);
            using var twin = new Twin(c, isa, seed: 8);
            var random = new Random(29);
            twin.RandomizeBatchNormAffine(random);
            TrainSomeSteps(twin, c, random);
            SetBatchNormMode(twin, bn => !frozen.Contains(bn));
            var realBiasGradients = new HashSet<string>(model == nameof(TwoBlockCnn) ? ["Conv1.bias"] : []);
            twin.ZeroGrad();
            for (int step = 0; step < 3; step++)
            {
                string what = $"{string.Join("+", frozen)} frozen, step {step}";
                twin.TrainingStep(what, TestData.Normal(random, c.Batch * twin.Fused.InputLength, 0.5, 2.0), TestData.Normal(random, c.Batch * twin.Fused.OutputLength));
                twin.CompareGradients(what, realBiasGradients);
                twin.CompareBuffers(what);
                twin.SgdStep(LearningRate);
            }
        }
    }

    /// <summary>A few training steps with updates, so that the running statistics are far from their initial values.</summary>
    private static void TrainSomeSteps(Twin twin, ParityCase c, Random random)
    {
        for (int step = 0; step < 2; step++)
        {
            twin.TrainingStep($"warm-up {step}", TestData.Normal(random, c.Batch * twin.Fused.InputLength, 0.5, 2.0), TestData.Normal(random, c.Batch * twin.Fused.OutputLength));
            twin.SgdStep(0.05f);
        }
    }

    private static IReadOnlySet<string> RealBiasGradients(ParityCase c) =>
        c.BiasesBeforeTrainingBatchNorm.Keys.Except(StillBatchStatistics.GetValueOrDefault(c.Name, [])).ToHashSet();

    /// <summary>Sets each BatchNorm's own mode on both sides (FusedLayers: the layer's <c>Training</c>; PyTorch: <c>module.train(mode)</c>).</summary>
    private static void SetBatchNormMode(Twin twin, Func<string, bool> training)
    {
        List<BatchNormLayer> fused = BatchNorms(twin.Fused);
        Dictionary<string, TorchSharp.torch.nn.Module> torch = twin.Torch.named_modules()
            .Where(m => m.module is BatchNorm)
            .ToDictionary(m => m.name, m => m.module);
        Assert.Equal(torch.Keys.Order(), fused.Select(bn => bn.Name).Order());
        foreach (BatchNormLayer bn in fused)
        {
            bn.Training = training(bn.Name);
            torch[bn.Name].train(bn.Training);
        }
    }

    /// <summary>Every BatchNorm layer of a generated model: its layer properties, and the projections' BatchNorms.</summary>
    private static List<BatchNormLayer> BatchNorms(IFusedModel model)
    {
        var found = new List<BatchNormLayer>();
        foreach (PropertyInfo property in model.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            switch (property.GetValue(model))
            {
                case BatchNormLayer bn:
                    found.Add(bn);
                    break;
                case ResidualLayer { ProjectionNorm: { } projection }:
                    found.Add(projection);
                    break;
            }
        }

        return found;
    }

    private static bool HasTrackedInstanceNorm(IFusedModel model) =>
        model.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Any(p => p.GetValue(model) is InstanceNormLayer { TrackRunningStats: true });
}
