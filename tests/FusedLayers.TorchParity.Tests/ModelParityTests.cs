using System;

namespace FusedLayers.TorchParity.Tests;

/// <summary>
/// Every shared model against PyTorch on every ISA path, with identical weights: training outputs, the
/// input gradient and every parameter gradient, running statistics and <c>num_batches_tracked</c> after
/// each of several steps (momentum 0.1, 0.3 and None), then inference with the stored statistics.
/// Tolerances: <see cref="ParityAssert"/>.
/// </summary>
public class ModelParityTests
{
    [Theory]
    [MemberData(nameof(ParityCase.SharedModelsOnEveryPath), MemberType = typeof(ParityCase))]
    public void Training_steps_match_pytorch(string name, KernelIsa isa)
    {
        ParityCase c = ParityCase.Get(name);
        using var twin = new Twin(c, isa);
        var random = new Random(5);
        twin.RandomizeBatchNormAffine(random);
        for (int step = 0; step < 4; step++)
        {
            if (step == 2)
            {
                // Steps 0 and 1 accumulate gradients (as PyTorch does without zero_grad); then start afresh.
                twin.ZeroGrad();
            }

            string what = $"step {step}";
            // Inputs off zero and not unit-scaled, so that the batch statistics matter; a new batch each step.
            float[] input = TestData.Normal(random, c.Batch * twin.Fused.InputLength, mean: 0.5, std: 2.0);
            float[] gradOutput = TestData.Normal(random, c.Batch * twin.Fused.OutputLength);
            twin.TrainingStep(what, input, gradOutput);
            twin.CompareGradients(what);
            twin.CompareBuffers(what);
            if (step % 2 == 1)
            {
                twin.SgdStep(0.05f);
            }
        }
    }

    [Theory]
    [MemberData(nameof(ParityCase.SharedModelsOnEveryPath), MemberType = typeof(ParityCase))]
    public void Inference_after_training_matches_pytorch(string name, KernelIsa isa)
    {
        ParityCase c = ParityCase.Get(name);
        using var twin = new Twin(c, isa, seed: 3);
        var random = new Random(9);
        for (int step = 0; step < 3; step++)
        {
            twin.TrainingStep($"step {step}", TestData.Normal(random, c.Batch * twin.Fused.InputLength, 0.5, 2.0),
                TestData.Normal(random, c.Batch * twin.Fused.OutputLength));
            twin.SgdStep(0.05f);
        }

        twin.Eval();
        twin.CompareBuffers("after training");
        twin.Infer("batch of the training size", TestData.Normal(random, c.Batch * twin.Fused.InputLength, 0.5, 2.0));
        if (!c.InferenceNeedsMoreThanOneSample)
        {
            // A batch of one is legal in inference: the running statistics normalise (BatchNormTrapTests
            // has the exception, track_running_stats=False).
            twin.Infer("batch of one", TestData.Normal(random, twin.Fused.InputLength, 0.5, 2.0));
        }

        twin.CompareBuffers("after inference (unchanged)");

        // Back to training: batch statistics again, and the running statistics move on from where they were.
        twin.Train();
        twin.TrainingStep("training again", TestData.Normal(random, c.Batch * twin.Fused.InputLength, 0.5, 2.0),
            TestData.Normal(random, c.Batch * twin.Fused.OutputLength));
        twin.CompareBuffers("training again");
    }
}
