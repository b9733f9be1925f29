using System;
using System.Linq;
using FusedLayers.Reference;

namespace FusedLayers.Tests.Numerics;

/// <summary>
/// Generated models against the float64 naive reference: outputs in training and inference, running
/// statistics after several steps, every gradient (input and parameters), gradient accumulation.
/// Tolerance: <see cref="Compare.Tolerance"/> (1e-4 relative to the tensor's scale).
/// </summary>
public class GeneratedVsReferenceTests
{
    [Theory]
    [MemberData(nameof(ModelCase.NamesOnEveryPath), MemberType = typeof(ModelCase))]
    public void Training_steps_match_the_reference(string name, KernelIsa isa, int threads)
    {
        ModelCase c = ModelCase.Get(name);
        IFusedModel model = c.Create(11);
        Paths.Use(model, isa, threads);
        ReferenceSequential reference = c.Reference();
        Compare.CopyParameters(model, reference);
        var random = new Random(5);

        for (int step = 0; step < 4; step++)
        {
            if (step == 2)
            {
                // Gradients accumulated over steps 0 and 1; start afresh like optimizer.zero_grad().
                model.ZeroGrad();
                reference.ZeroGrad();
            }

            TrainingStep($"step {step}", model, reference, c.Batch, random);
            StateComparison.Gradients($"step {step}", model, reference);
            StateComparison.Buffers($"step {step}", model, reference);
        }
    }

    [Theory]
    [MemberData(nameof(ModelCase.NamesOnEveryPath), MemberType = typeof(ModelCase))]
    public void Inference_uses_running_statistics_and_sees_later_weight_changes(string name, KernelIsa isa, int threads)
    {
        ModelCase c = ModelCase.Get(name);
        IFusedModel model = c.Create(3);
        Paths.Use(model, isa, threads);
        ReferenceSequential reference = c.Reference();
        Compare.CopyParameters(model, reference);
        var random = new Random(9);
        for (int step = 0; step < 3; step++)
        {
            TrainingStep($"step {step}", model, reference, c.Batch, random);
        }

        model.Eval();
        reference.Training = false;
        Infer("after training", model, reference, c.Batch, random);

        // Change weights and running statistics after the switch: the folded inference path must see it.
        foreach (Parameter p in model.Parameters)
        {
            for (int i = 0; i < p.Length; i++)
            {
                p.Data[i] = (p.Data[i] * 1.25f) + 0.01f;
            }
        }

        Compare.CopyParameters(model, reference);
        foreach (ReferenceBatchNorm bn in reference.Layers.OfType<ReferenceBatchNorm>().Where(b => b.TrackRunningStats))
        {
            float[] mean = model.Buffers.Single(b => b.Name == bn.Name + ".running_mean").FloatData;
            float[] variance = model.Buffers.Single(b => b.Name == bn.Name + ".running_var").FloatData;
            for (int ch = 0; ch < mean.Length; ch++)
            {
                mean[ch] += 0.05f;
                variance[ch] *= 1.5f;
                bn.RunningMean![ch] = mean[ch];
                bn.RunningVar![ch] = variance[ch];
            }
        }

        foreach (IReferenceLayer layer in reference.Layers)
        {
            (double[]? mean, double[]? spread, string spreadName) = layer switch
            {
                ReferenceInstanceNorm { TrackRunningStats: true } instance => (instance.RunningMean, instance.RunningVar, "running_var"),
                ReferenceBatchRenorm renorm => (renorm.RunningMean, renorm.RunningStd, "running_std"),
                _ => (null, null, ""),
            };
            if (mean is null || spread is null)
            {
                continue;
            }

            float[] modelMean = model.Buffers.Single(b => b.Name == layer.Name + ".running_mean").FloatData;
            float[] modelSpread = model.Buffers.Single(b => b.Name == layer.Name + "." + spreadName).FloatData;
            for (int ch = 0; ch < modelMean.Length; ch++)
            {
                modelMean[ch] -= 0.05f;
                modelSpread[ch] *= 1.5f;
                mean[ch] = modelMean[ch];
                spread[ch] = modelSpread[ch];
            }
        }

        var before = StateComparison.Snapshot(model);
        Infer("after changing weights and statistics", model, reference, c.Batch, random);
        Infer("batch of one", model, reference, 1, random);
        StateComparison.Unchanged(before, StateComparison.Snapshot(model));
    }

    [Theory]
    [MemberData(nameof(ModelCase.Names), MemberType = typeof(ModelCase))]
    public void Backward_without_input_gradient_gives_the_same_parameter_gradients(string name)
    {
        ModelCase c = ModelCase.Get(name);
        IFusedModel full = c.Create(1);
        IFusedModel partial = c.Create(1);
        var random = new Random(2);
        float[] input = RandomData.Uniform(random, c.Batch * full.InputLength);
        float[] gradOutput = RandomData.Uniform(random, c.Batch * full.OutputLength);
        var output = new float[gradOutput.Length];
        full.Forward(input, output);
        partial.Forward(input, output);
        full.Backward(gradOutput, new float[input.Length]);
        partial.Backward(gradOutput);
        for (int i = 0; i < full.Parameters.Count; i++)
        {
            Assert.Equal(full.Parameters[i].Grad, partial.Parameters[i].Grad);
        }
    }

    [Theory]
    [MemberData(nameof(ModelCase.Names), MemberType = typeof(ModelCase))]
    public void Tensor_overloads_match_the_span_path(string name)
    {
        ModelCase c = ModelCase.Get(name);
        IFusedModel a = c.Create(4);
        IFusedModel b = c.Create(4);
        var random = new Random(8);
        int[] shape = [c.Batch, .. a.InputShape];
        var input = new Tensor(RandomData.Uniform(random, c.Batch * a.InputLength), shape);
        Tensor output = a.Forward(input);
        Assert.Equal([c.Batch, .. a.OutputShape], output.Shape);
        var spanOutput = new float[output.Length];
        b.Forward(input.Data, spanOutput);
        Assert.Equal(spanOutput, output.Data);

        var gradOutput = new Tensor(RandomData.Uniform(random, output.Length), output.Shape);
        Tensor gradInput = a.Backward(gradOutput);
        Assert.Equal(shape, gradInput.Shape);
        var spanGradInput = new float[input.Length];
        b.Backward(gradOutput.Data, spanGradInput);
        Assert.Equal(spanGradInput, gradInput.Data);
    }

    private static void TrainingStep(string step, IFusedModel model, ReferenceSequential reference, int batch, Random random)
    {
        model.Train();
        reference.Training = true;
        int[] inputShape = [batch, .. model.InputShape];
        float[] input = RandomData.Uniform(random, batch * model.InputLength);
        var output = new float[batch * model.OutputLength];
        model.Forward(input, output);
        ReferenceTensor expected = reference.Forward(ReferenceTensor.FromFloats(input, inputShape));
        Compare.Close($"{step}: training output", expected.Data, output);

        float[] gradOutput = RandomData.Uniform(random, output.Length);
        var gradInput = new float[input.Length];
        model.Backward(gradOutput, gradInput);
        ReferenceTensor expectedGradInput = reference.Backward(ReferenceTensor.FromFloats(gradOutput, expected.Shape));
        Compare.Close($"{step}: input gradient", expectedGradInput.Data, gradInput);
    }

    private static void Infer(string what, IFusedModel model, ReferenceSequential reference, int batch, Random random)
    {
        int[] inputShape = [batch, .. model.InputShape];
        float[] input = RandomData.Uniform(random, batch * model.InputLength);
        var output = new float[batch * model.OutputLength];
        if (reference.Layers.OfType<ReferenceBatchNorm>().Any(b => !b.TrackRunningStats) && batch * model.InputLength / model.InputShape[0] <= 1)
        {
            return;
        }

        ReferenceTensor expected;
        try
        {
            expected = reference.Forward(ReferenceTensor.FromFloats(input, inputShape));
        }
        catch (ArgumentException)
        {
            // The reference refuses (batch statistics with one value per channel): the model must refuse too.
            Assert.Throws<ArgumentException>(() => model.Forward(input, output));
            return;
        }

        model.Forward(input, output);
        Compare.Close($"{what}: inference output", expected.Data, output);
    }
}
