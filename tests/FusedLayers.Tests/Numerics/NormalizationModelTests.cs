using System;
using System.Linq;
using FusedLayers.Kernels;
using FusedLayers.Reference;
using FusedLayers.Tests.Models;

namespace FusedLayers.Tests.Numerics;

/// <summary>
/// The LayerNorm, GroupNorm, InstanceNorm and BatchRenorm models beyond the shared suite (which runs them
/// against the reference on every path): non-trivial affine parameters, BatchRenorm's bounds relaxed between
/// steps, BatchRenorm at r_max = 1, d_max = 0 against the generated BatchNorm model, state names, and the
/// runtime rules (batch of one, NaN, bound validation). Tolerance: <see cref="Compare.Tolerance"/> unless stated.
/// </summary>
public class NormalizationModelTests
{
    /// <summary>The normalisation models on every path and thread count.</summary>
    public static TheoryData<string, KernelIsa, int> NormalizationCasesOnEveryPath
    {
        get
        {
            var data = new TheoryData<string, KernelIsa, int>();
            foreach (ModelCase c in ModelCase.Normalization)
            {
                foreach (KernelIsa isa in Enum.GetValues<KernelIsa>())
                {
                    data.Add(c.Name, isa, 1);
                    data.Add(c.Name, isa, 2);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(NormalizationCasesOnEveryPath))]
    public void Random_affine_parameters_train_like_the_reference(string name, KernelIsa isa, int threads)
    {
        // PyTorch's initial weight = 1, bias = 0 hides a gamma missing from a gradient; random ones do not.
        ModelCase c = ModelCase.Get(name);
        IFusedModel model = c.Create(17);
        Paths.Use(model, isa, threads);
        var random = new Random(23);
        foreach (Parameter p in model.Parameters.Where(p => !IsAnchorParameter(model, p)))
        {
            bool weight = p.Name.EndsWith(".weight", StringComparison.Ordinal);
            RandomData.Normal(random, p.Length, weight ? 1.0 : 0.0, 0.4).CopyTo(p.Data, 0);
        }

        ReferenceSequential reference = c.Reference();
        Compare.CopyParameters(model, reference);
        for (int step = 0; step < 3; step++)
        {
            Step($"step {step}", model, reference, c.Batch, random);
        }

        model.Eval();
        reference.Training = false;
        float[] input = RandomData.Uniform(random, c.Batch * model.InputLength, 1.5, 0.2);
        var output = new float[c.Batch * model.OutputLength];
        model.Forward(input, output);
        Compare.Close("inference", reference.Forward(ReferenceTensor.FromFloats(input, [c.Batch, .. model.InputShape])).Data, output);
    }

    [Theory]
    [MemberData(nameof(EveryPath))]
    public void Batch_renorm_bounds_relaxed_between_steps_match_the_reference(KernelIsa isa, int threads)
    {
        ModelCase c = ModelCase.Get(nameof(RenormCnn));
        var model = (RenormCnn)c.Create(5);
        Paths.Use(model, isa, threads);
        ReferenceSequential reference = c.Reference();
        Compare.CopyParameters(model, reference);
        ReferenceBatchRenorm[] renorms = [.. reference.Layers.OfType<ReferenceBatchRenorm>()];
        BatchRenormLayer[] layers = [model.Br0, model.Br1, model.Br2];
        var random = new Random(31);
        bool clipped = false, corrected = false;
        for (int step = 0; step < 5; step++)
        {
            // The paper's schedule in fast motion: r_max from 1 up to 3, d_max from 0 up to 5 (then back to show either way works).
            double rMax = step < 4 ? 1 + step * 0.5 : 1.1;
            double dMax = step < 4 ? step * 1.25 : 0.1;
            for (int i = 0; i < layers.Length; i++)
            {
                layers[i].RMax = rMax;
                layers[i].DMax = dMax;
                renorms[i].RMax = rMax;
                renorms[i].DMax = dMax;
            }

            Step($"step {step} (r_max {rMax}, d_max {dMax})", model, reference, c.Batch, random, offset: 0.5);
            clipped |= renorms.Any(r => r.LastR.Any(v => Math.Abs(v - rMax) < 1e-12 || Math.Abs(v - (1 / rMax)) < 1e-12) && rMax > 1);
            corrected |= renorms.Any(r => r.LastD.Any(v => v != 0));
        }

        // The schedule exercised both a clipped r and a non-zero d somewhere: r and d really entered the comparison.
        Assert.True(clipped, "no r was clipped");
        Assert.True(corrected, "d was always 0");
    }

    [Theory]
    [MemberData(nameof(EveryPath))]
    public void Batch_renorm_at_r_max_one_and_d_max_zero_trains_like_batch_norm(KernelIsa isa, int threads)
    {
        var renorm = new RenormDefaultsModel(3);
        var batchNorm = new RenormTwinBatchNormModel(3);
        Paths.Use(renorm, isa, threads);
        Paths.Use(batchNorm, isa, threads);
        Assert.Equal(batchNorm.Parameters.Select(p => p.Name), renorm.Parameters.Select(p => p.Name));
        for (int i = 0; i < renorm.Parameters.Count; i++)
        {
            batchNorm.Parameters[i].Data.CopyTo(renorm.Parameters[i].Data, 0);
        }

        var random = new Random(4);
        for (int step = 0; step < 3; step++)
        {
            float[] input = RandomData.Uniform(random, 4 * renorm.InputLength, 2.0, 0.5);
            float[] gradOutput = RandomData.Uniform(random, 4 * renorm.OutputLength);
            var (renormOutput, renormGradInput) = (new float[gradOutput.Length], new float[input.Length]);
            var (bnOutput, bnGradInput) = (new float[gradOutput.Length], new float[input.Length]);
            renorm.Forward(input, renormOutput);
            renorm.Backward(gradOutput, renormGradInput);
            batchNorm.Forward(input, bnOutput);
            batchNorm.Backward(gradOutput, bnGradInput);

            // r = 1 and d = 0 exactly, so only the float rounding of the gamma-gradient sum may differ.
            Compare.Close($"step {step}: output", bnOutput, renormOutput, 1e-6);
            Compare.Close($"step {step}: input gradient", bnGradInput, renormGradInput, 1e-6);
            for (int i = 0; i < renorm.Parameters.Count; i++)
            {
                Compare.Close($"step {step}: {renorm.Parameters[i].Name} gradient", batchNorm.Parameters[i].Grad, renorm.Parameters[i].Grad, 1e-6);
            }

            Assert.Equal(batchNorm.Bn1.NumBatchesTracked, renorm.Bn1.NumBatchesTracked);
        }
    }

    /// <summary>Every path at one and two threads.</summary>
    public static TheoryData<KernelIsa, int> EveryPath
    {
        get
        {
            var data = new TheoryData<KernelIsa, int>();
            foreach (KernelIsa isa in Enum.GetValues<KernelIsa>())
            {
                data.Add(isa, 1);
                data.Add(isa, 2);
            }

            return data;
        }
    }

    [Fact]
    public void State_dict_names_and_shapes_follow_pytorch()
    {
        var instance = new InstanceNormReluModel(0);
        Assert.Equal(
            ["Conv.weight", "Conv.bias", "In.weight", "In.bias", "Fc.weight", "Fc.bias", "Ln.weight", "Ln.bias"],
            instance.Parameters.Select(p => p.Name));
        Assert.Equal(["In.running_mean", "In.running_var", "In.num_batches_tracked"], instance.Buffers.Select(b => b.Name));

        var layerNorm = new LayerNormCnn(0);
        Assert.Equal(["Ln0.weight", "Ln0.bias", "Conv.weight", "Conv.bias", "Ln1.weight", "Fc.weight", "Fc.bias"], layerNorm.Parameters.Select(p => p.Name));
        Assert.Equal([2, 6, 6], layerNorm.Ln0.Weight!.Shape);
        Assert.Equal([6, 6], layerNorm.Ln1.Weight!.Shape);
        Assert.Null(layerNorm.Ln1.Bias);
        Assert.Empty(layerNorm.Buffers);

        var sequence = new SequenceNormModel(0);
        Assert.Equal(["Fc.weight", "Fc.bias"], sequence.Parameters.Select(p => p.Name));
        Assert.Equal(0.3, sequence.In.Momentum);
        Assert.Equal(1e-3, sequence.Gn.Eps);
        Assert.False(sequence.Gn.Affine);

        var renorm = new RenormCnn(0);
        Assert.Equal(
            ["Br0.running_mean", "Br0.running_std", "Br0.num_batches_tracked", "Br1.running_mean", "Br1.running_std", "Br1.num_batches_tracked",
             "Br2.running_mean", "Br2.running_std", "Br2.num_batches_tracked"],
            renorm.Buffers.Select(b => b.Name));
        Assert.Equal((1.5, 0.5, 0.1), (renorm.Br1.RMax, renorm.Br1.DMax, renorm.Br1.Momentum));
        Assert.All(renorm.Br1.RunningStd, v => Assert.Equal(1f, v));
        Assert.Equal(0.01, new RenormDefaultsModel(0).Bn1.Momentum);
    }

    [Fact]
    public void Reset_restores_initial_normalisation_state()
    {
        var model = new InstanceNormReluModel(1);
        var random = new Random(2);
        model.Forward(RandomData.Uniform(random, 4 * model.InputLength, 1, 3), new float[4 * model.OutputLength]);
        Assert.NotEqual(0f, model.In.RunningMean![0]);
        Assert.Equal(0, model.In.NumBatchesTracked);
        model.In.Weight!.Data[0] = 5;
        model.ResetParameters(1);
        Assert.All(model.In.RunningMean, v => Assert.Equal(0f, v));
        Assert.All(model.In.RunningVar!, v => Assert.Equal(1f, v));
        Assert.Equal(1f, model.In.Weight.Data[0]);
    }

    [Fact]
    public void Batch_renorm_bounds_are_validated()
    {
        var model = new RenormCnn(0);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Br1.RMax = 0.5);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Br1.RMax = double.PositiveInfinity);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Br1.DMax = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Br1.DMax = double.NaN);
        Assert.Equal((1.5, 0.5), (model.Br1.RMax, model.Br1.DMax));
    }

    [Fact]
    public void Per_sample_normalisations_train_on_a_batch_of_one_but_batch_renorm_refuses_like_batch_norm()
    {
        var layerNorm = new LayerNormCnn(1);
        layerNorm.Forward(RandomData.Uniform(new Random(1), layerNorm.InputLength), new float[layerNorm.OutputLength]);
        layerNorm.Backward(new float[layerNorm.OutputLength]);

        var renorm = new RenormCnn(1);
        var before = StateComparison.Snapshot(renorm);
        var error = Assert.Throws<ArgumentException>(() => renorm.Forward(new float[renorm.InputLength], new float[renorm.OutputLength]));
        Assert.Contains("'Br2'", error.Message, StringComparison.Ordinal);
        StateComparison.Unchanged(before, StateComparison.Snapshot(renorm));

        // In inference the moving averages normalise, so a batch of one is fine.
        renorm.Eval();
        renorm.Forward(new float[renorm.InputLength], new float[renorm.OutputLength]);
    }

    [Fact]
    public void NaN_input_leaves_instance_norm_running_statistics_unchanged()
    {
        var model = new InstanceNormReluModel(1);
        var random = new Random(3);
        model.Forward(RandomData.Uniform(random, 2 * model.InputLength), new float[2 * model.OutputLength]);
        var before = StateComparison.Snapshot(model);
        float[] input = RandomData.Uniform(random, 2 * model.InputLength);
        input[7] = float.NaN;
        var error = Assert.Throws<ArgumentException>(() => model.Forward(input, new float[2 * model.OutputLength]));
        Assert.Contains("InstanceNorm layer 'In'", error.Message, StringComparison.Ordinal);
        StateComparison.Unchanged(before, StateComparison.Snapshot(model));
        Assert.Throws<InvalidOperationException>(() => model.Backward(new float[2 * model.OutputLength]));
    }

    private static bool IsAnchorParameter(IFusedModel model, Parameter p)
    {
        string layer = p.Name[..p.Name.IndexOf('.', StringComparison.Ordinal)];
        object? value = model.GetType().GetProperty(layer)?.GetValue(model);
        return value is Conv2dLayer or LinearLayer;
    }

    private static void Step(string step, IFusedModel model, ReferenceSequential reference, int batch, Random random, double offset = 0.2)
    {
        model.Train();
        reference.Training = true;
        float[] input = RandomData.Uniform(random, batch * model.InputLength, 1.5, offset);
        var output = new float[batch * model.OutputLength];
        model.Forward(input, output);
        ReferenceTensor expected = reference.Forward(ReferenceTensor.FromFloats(input, [batch, .. model.InputShape]));
        Compare.Close($"{step}: training output", expected.Data, output);

        float[] gradOutput = RandomData.Uniform(random, output.Length);
        var gradInput = new float[input.Length];
        model.ZeroGrad();
        reference.ZeroGrad();
        model.Backward(gradOutput, gradInput);
        ReferenceTensor expectedGradInput = reference.Backward(ReferenceTensor.FromFloats(gradOutput, expected.Shape));
        Compare.Close($"{step}: input gradient", expectedGradInput.Data, gradInput);
        StateComparison.Gradients(step, model, reference);
        StateComparison.Buffers(step, model, reference);
    }
}
