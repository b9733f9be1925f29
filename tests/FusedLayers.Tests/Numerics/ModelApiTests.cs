using System;
using System.Linq;
using FusedLayers.Tests.Models;

namespace FusedLayers.Tests.Numerics;

/// <summary>The generated model surface: names, initialisation, mode switch, determinism, allocations.</summary>
public class ModelApiTests
{
    [Fact]
    public void Parameters_and_buffers_carry_PyTorch_state_dict_names_in_declaration_order()
    {
        var model = new TwoBlockCnn(0);
        Assert.Equal(
            ["Conv1.weight", "Conv1.bias", "Bn1.weight", "Bn1.bias", "Conv2.weight", "Bn2.weight", "Bn2.bias", "Fc.weight", "Fc.bias"],
            model.Parameters.Select(p => p.Name));
        Assert.Equal(
            ["Bn1.running_mean", "Bn1.running_var", "Bn1.num_batches_tracked", "Bn2.running_mean", "Bn2.running_var", "Bn2.num_batches_tracked"],
            model.Buffers.Select(b => b.Name));
        Assert.Equal([16, 8, 3, 3], model.Conv2.Weight.Shape);
        Assert.Null(model.Conv2.Bias);
        Assert.Equal([10, 256], model.Fc.Weight.Shape);
        Assert.Equal(BufferElementType.Int64, model.Buffers[2].ElementType);
    }

    [Fact]
    public void Options_without_affine_or_running_statistics_expose_no_such_state()
    {
        var model = new BatchNormOptionsModel(0);
        Assert.DoesNotContain(model.Parameters, p => p.Name.StartsWith("BnPlain.", StringComparison.Ordinal));
        Assert.DoesNotContain(model.Buffers, b => b.Name.StartsWith("BnBatchOnly.", StringComparison.Ordinal));
        Assert.Null(model.BnCumulative.Momentum);
        Assert.Equal(0.3, model.BnPlain.Momentum);
        Assert.False(model.BnBatchOnly.TrackRunningStats);
        Assert.Equal(1e-3, model.BnBatchOnly.Eps);
    }

    [Fact]
    public void Initialisation_follows_PyTorch_defaults_and_is_seeded()
    {
        var a = new SeedModel(5);
        var b = new SeedModel(5);
        var c = new SeedModel(6);
        double bound = 1 / Math.Sqrt(3 * 3 * 3);
        Assert.All(a.Conv.Weight.Data, w => Assert.InRange(w, -bound, bound));
        Assert.All(a.Conv.Bias!.Data, w => Assert.InRange(w, -bound, bound));
        Assert.True(a.Conv.Weight.Data.Max() > 0.8 * bound && a.Conv.Weight.Data.Min() < -0.8 * bound);
        Assert.Equal(a.Conv.Weight.Data, b.Conv.Weight.Data);
        Assert.NotEqual(a.Conv.Weight.Data, c.Conv.Weight.Data);
        Assert.All(a.Bn.Weight!.Data, v => Assert.Equal(1f, v));
        Assert.All(a.Bn.Bias!.Data, v => Assert.Equal(0f, v));
        Assert.All(a.Bn.RunningMean!, v => Assert.Equal(0f, v));
        Assert.All(a.Bn.RunningVar!, v => Assert.Equal(1f, v));
        Assert.Equal(new SeedModel().Conv.Weight.Data, new SeedModel(0).Conv.Weight.Data);
    }

    [Fact]
    public void Models_start_in_training_mode_and_switch_like_PyTorch_modules()
    {
        var model = new SeedModel();
        Assert.True(model.Training);
        model.Eval();
        Assert.False(model.Training);
        model.Train();
        Assert.True(model.Training);
        model.Train(false);
        Assert.False(model.Training);
    }

    [Fact]
    public void Gradients_accumulate_until_zeroed()
    {
        var model = new LinearBnReluModel(2);
        var random = new Random(1);
        float[] input = RandomData.Uniform(random, 8 * 20);
        float[] gradOutput = RandomData.Uniform(random, 8 * 16);
        var output = new float[8 * 16];
        model.Forward(input, output);
        model.Backward(gradOutput);
        float[] once = model.Fc.Weight.Grad.ToArray();
        model.Forward(input, output);
        model.Backward(gradOutput);
        Compare.Close("twice", once.Select(v => 2.0 * v).ToArray(), model.Fc.Weight.Grad, 1e-6);
        model.ZeroGrad();
        Assert.All(model.Parameters, p => Assert.All(p.Grad, g => Assert.Equal(0f, g)));
    }

    [Theory]
    [MemberData(nameof(ModelCase.Names), MemberType = typeof(ModelCase))]
    public void Repeated_runs_are_bit_identical(string name)
    {
        ModelCase c = ModelCase.Get(name);
        float[] Run()
        {
            IFusedModel model = c.Create(7);
            var random = new Random(7);
            float[] input = RandomData.Uniform(random, c.Batch * model.InputLength);
            var output = new float[c.Batch * model.OutputLength];
            model.Forward(input, output);
            var gradInput = new float[input.Length];
            model.Backward(RandomData.Uniform(random, output.Length), gradInput);
            return [.. output, .. gradInput, .. model.Parameters.SelectMany(p => p.Grad)];
        }

        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Batch_norm_normalises_inputs_with_a_large_mean_stably()
    {
        // Mean 1e4, standard deviation 1: E[x^2] - E[x]^2 would lose every digit here.
        var model = new StandaloneBnModel();
        const int batch = 16;
        float[] input = RandomData.Normal(new Random(1), batch * 4 * 64, mean: 1e4, std: 1.0);
        var output = new float[input.Length];
        model.Forward(input, output);
        for (int ch = 0; ch < 4; ch++)
        {
            double sum = 0;
            double squares = 0;
            for (int n = 0; n < batch; n++)
            {
                for (int i = 0; i < 64; i++)
                {
                    double v = output[(((n * 4) + ch) * 64) + i];
                    sum += v;
                    squares += v * v;
                }
            }

            double mean = sum / (batch * 64);
            double variance = (squares / (batch * 64)) - (mean * mean);
            Assert.InRange(mean, -1e-3, 1e-3);
            Assert.InRange(variance, 1 - 1e-3, 1 + 1e-3);
        }

        Assert.InRange(model.Bn.RunningMean![0], 999.0, 1001.0);
    }
}
