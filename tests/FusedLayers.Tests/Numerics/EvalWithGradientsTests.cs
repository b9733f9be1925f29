using System;
using System.Linq;
using FusedLayers.Tests.Models;

namespace FusedLayers.Tests.Numerics;

/// <summary>
/// <c>Eval(withGradients: true)</c>: an eval-mode Forward that Backward can follow (input gradients of an eval-mode
/// model), on every path. It computes what <c>Eval()</c> computes, leaves every buffer (running statistics,
/// <c>num_batches_tracked</c>, dropout steps) unchanged, and Backward after a plain <c>Eval()</c> Forward points to it.
/// Parity of the gradients against PyTorch: FusedLayers.TorchParity.Tests' EvalModeBackwardParityTests.
/// </summary>
public class EvalWithGradientsTests
{
    /// <summary>Every ISA path at 1 and 2 threads.</summary>
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

    [Theory]
    [MemberData(nameof(ModelCase.NamesOnEveryPath), MemberType = typeof(ModelCase))]
    public void Eval_with_gradients_computes_the_inference_output_and_changes_no_buffer(string name, KernelIsa isa, int threads)
    {
        ModelCase c = ModelCase.Get(name);
        IFusedModel model = c.Create(7);
        Paths.Use(model, isa, threads);
        var random = new Random(31);

        // Train a step so that the running statistics are not their initial values.
        float[] input = RandomData.Uniform(random, c.Batch * model.InputLength, scale: 2.0, offset: 0.3);
        var output = new float[c.Batch * model.OutputLength];
        model.Forward(input, output);
        model.Backward(RandomData.Uniform(random, output.Length));
        model.ZeroGrad();

        try
        {
            model.Eval(withGradients: true);
        }
        catch (NotSupportedException refused)
        {
            // BatchRenorm and InstanceNorm with running statistics: refused by name, the mode unchanged.
            Assert.Matches("BatchRenorm|InstanceNorm", refused.Message);
            Assert.True(model.Training);
            return;
        }

        Assert.False(model.Training);
        var buffers = model.Buffers.Select(b => (b.Name, Values: b.ElementType == BufferElementType.Float32
            ? b.FloatData.Select(v => (double)v).ToArray()
            : b.Int64Data.Select(v => (double)v).ToArray())).ToList();
        float[] evalInput = RandomData.Uniform(random, c.Batch * model.InputLength, scale: 2.0, offset: 0.3);
        var withGradients = new float[output.Length];
        model.Forward(evalInput, withGradients);
        var gradInput = new float[evalInput.Length];
        model.Backward(RandomData.Uniform(random, output.Length), gradInput);
        Assert.All(gradInput, g => Assert.True(float.IsFinite(g)));

        model.Eval();
        var inference = new float[output.Length];
        model.Forward(evalInput, inference);
        Compare.Close($"{name}: Eval(withGradients: true) vs Eval() output", inference, withGradients, 1e-5);
        for (int i = 0; i < buffers.Count; i++)
        {
            Buffer b = model.Buffers[i];
            double[] after = b.ElementType == BufferElementType.Float32
                ? b.FloatData.Select(v => (double)v).ToArray()
                : b.Int64Data.Select(v => (double)v).ToArray();
            Assert.True(buffers[i].Values.SequenceEqual(after), $"{name}: buffer {b.Name} changed in eval mode");
        }
    }

    [Theory]
    [MemberData(nameof(ModelCase.Names), MemberType = typeof(ModelCase))]
    public void Backward_after_an_inference_forward_points_to_eval_with_gradients(string name)
    {
        ModelCase c = ModelCase.Get(name);
        IFusedModel model = c.Create(2);
        var random = new Random(4);
        float[] input = RandomData.Uniform(random, c.Batch * model.InputLength);
        var gradOutput = RandomData.Uniform(random, c.Batch * model.OutputLength);
        model.Eval();
        model.Forward(input, new float[gradOutput.Length]);
        var before = StateComparison.Snapshot(model);

        var error = Assert.Throws<InvalidOperationException>(() => model.Backward(gradOutput));
        Assert.Contains("the last Forward ran in inference mode", error.Message, StringComparison.Ordinal);
        Assert.Contains("Eval(withGradients: true)", error.Message, StringComparison.Ordinal);
        StateComparison.Unchanged(before, StateComparison.Snapshot(model));
    }

    [Theory]
    [MemberData(nameof(EveryPath))]
    public void Dropout_is_the_identity_forward_and_backward(KernelIsa isa, int threads)
    {
        var model = new DropoutMlp(3);
        Paths.Use(model, isa, threads);
        var random = new Random(8);
        const int batch = 5;
        float[] x = RandomData.Uniform(random, batch * model.InputLength);
        float[] g = RandomData.Uniform(random, batch * model.OutputLength);
        ulong step = model.Drop.Step;

        model.Eval(withGradients: true);
        var output = new float[g.Length];
        var gradInput = new float[x.Length];
        model.Forward(x, output);
        model.Backward(g, gradInput);
        Assert.Equal(step, model.Drop.Step);

        model.Eval();
        var inference = new float[g.Length];
        model.Forward(x, inference);
        Compare.Close("dropout model: eval output", inference, output, 1e-6);

        // <g, f(x)> along a random direction v, by central differences of the inference forward: the network is
        // piecewise linear, so the difference quotient is exact up to rounding unless a ReLU kink lies within +-t.
        float[] v = RandomData.Uniform(random, x.Length);
        const float t = 1e-3f;
        double Objective(float sign)
        {
            float[] shifted = x.Select((value, i) => value + (sign * t * v[i])).ToArray();
            var y = new float[g.Length];
            model.Forward(shifted, y);
            return y.Select((value, i) => (double)value * g[i]).Sum();
        }

        double numeric = (Objective(1f) - Objective(-1f)) / (2 * t);
        double analytic = gradInput.Select((value, i) => (double)value * v[i]).Sum();
        Assert.True(Math.Abs(numeric - analytic) <= 1e-3 * Math.Max(1.0, Math.Abs(analytic)), $"directional derivative {analytic} vs finite difference {numeric}");
    }

    [Fact]
    public void Train_and_eval_set_every_batchnorm_flag_and_a_frozen_layer_stays_frozen_until_train()
    {
        var model = new ResidualCnn(1);
        BatchNormLayer[] norms = [model.StemBn, model.Bn1, model.Bn2, model.Bn3, model.Bn4, model.Down.ProjectionNorm!];
        model.Eval(withGradients: true);
        Assert.All(norms, bn => Assert.False(bn.Training));
        model.Train();
        Assert.All(norms, bn => Assert.True(bn.Training));
        model.Bn2.Eval();
        Assert.False(model.Bn2.Training);
        Assert.True(model.Training);

        // One value per channel: refused while the BatchNorm trains, accepted once it is frozen (running statistics).
        var mlp = new LinearBnReluModel(1);
        var sample = new float[mlp.InputLength];
        Assert.Throws<ArgumentException>(() => mlp.Forward(sample, new float[mlp.OutputLength]));
        mlp.Bn.Eval();
        mlp.Forward(sample, new float[mlp.OutputLength]);
        mlp.Backward(new float[mlp.OutputLength], new float[mlp.InputLength]);
        model.Eval();
        Assert.All(norms, bn => Assert.False(bn.Training));
    }
}
