using System;
using FusedLayers.Tests.Numerics;
using FusedLayers.Training;

namespace FusedLayers.Tests.Training;

/// <summary>
/// SGD against torch.optim's algorithm in float64 (<see cref="OptimizerReference"/>), over several steps
/// and parameter lengths that sweep every vector remainder. Compared: the displacement from the initial
/// values, within <see cref="Compare.Tolerance"/> of its scale (float32 against float64).
/// </summary>
public class SgdTests
{
    public static TheoryData<double, double, double, bool> Settings() => new()
    {
        { 0.0, 0.0, 0.0, false },
        { 0.9, 0.0, 0.0, false },
        { 0.9, 0.3, 0.0, false },
        { 0.9, 0.0, 1e-2, true },
        { 0.5, 0.1, 5e-2, false },
        { 0.0, 0.0, 1e-1, false },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void Steps_match_the_float64_algorithm(double momentum, double dampening, double weightDecay, bool nesterov)
    {
        for (int length = 1; length <= 40; length += 3)
        {
            var random = new Random(length);
            var parameter = new Parameter("w", length);
            RandomData.Normal(random, length).CopyTo(parameter.Data, 0);
            float[] initial = (float[])parameter.Data.Clone();
            var reference = new OptimizerReference(initial);
            var sgd = new Sgd([parameter], lr: 0.1, momentum, dampening, weightDecay, nesterov);
            for (int step = 0; step < 6; step++)
            {
                float[] grad = RandomData.Normal(random, length);
                grad.CopyTo(parameter.Grad, 0);
                sgd.Step();
                reference.Sgd(grad, 0.1, momentum, dampening, weightDecay, nesterov);
            }

            Compare.Close($"length {length}: displacement", Displacement(reference.Values, initial), Displacement(parameter.Data, initial));
        }
    }

    [Fact]
    public void The_first_step_copies_the_gradient_into_the_momentum_buffer_without_dampening()
    {
        var p = new Parameter("w", 2);
        p.Data[0] = 1f;
        p.Data[1] = 2f;
        var sgd = new Sgd([p], lr: 0.5, momentum: 0.9, dampening: 0.5);
        p.Grad[0] = 1f;
        p.Grad[1] = -2f;
        sgd.Step();
        Assert.Equal([1f, -2f], sgd.MomentumBuffer(0).ToArray()); // PyTorch: buf = clone(grad), no (1 - dampening)
        Assert.Equal([0.5f, 3f], p.Data);

        sgd.Step(); // buf = 0.9 * buf + 0.5 * grad
        Assert.Equal([(0.9f * 1f) + (0.5f * 1f), (0.9f * -2f) + (0.5f * -2f)], sgd.MomentumBuffer(0).ToArray());
    }

    [Fact]
    public void Learning_rate_changes_apply_to_the_next_step()
    {
        var p = new Parameter("w", 1);
        var sgd = new Sgd([p], lr: 1.0);
        p.Grad[0] = 1f;
        sgd.Step();
        sgd.LearningRate = 0.25;
        sgd.Step();
        Assert.Equal(-1.25f, p.Data[0]);
    }

    [Fact]
    public void Invalid_settings_are_refused_with_pytorchs_messages()
    {
        Parameter[] ps = [new Parameter("w", 3)];
        Assert.Contains("Invalid learning rate: -1", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(ps, -1)).Message, StringComparison.Ordinal);
        Assert.Contains("Invalid momentum value: -0.5", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(ps, 0.1, momentum: -0.5)).Message, StringComparison.Ordinal);
        Assert.Contains("Invalid weight_decay value", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(ps, 0.1, weightDecay: -1)).Message, StringComparison.Ordinal);
        Assert.Contains("Nesterov momentum requires a momentum and zero dampening", Assert.Throws<ArgumentException>(() => new Sgd(ps, 0.1, momentum: 0.9, dampening: 0.1, nesterov: true)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Sgd(ps, 0.1, nesterov: true));
        Assert.Contains("empty parameter list", Assert.Throws<ArgumentException>(() => new Sgd([], 0.1)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Sgd([ps[0], ps[0]], 0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(ps, 0.1).LearningRate = double.NaN);
    }

    [Fact]
    public void Steps_and_zero_grad_allocate_nothing()
    {
        var model = new FusedLayers.Tests.Models.TwoBlockCnn(1);
        var sgd = new Sgd(model.Parameters, 0.01, momentum: 0.9, weightDecay: 1e-4, nesterov: true);
        sgd.Step();
        AllocationAssert.SteadyStateAllocatesNothing(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                sgd.Step();
                sgd.ZeroGrad();
            }
        });
    }

    internal static double[] Displacement(double[] values, float[] initial)
    {
        var d = new double[values.Length];
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = values[i] - initial[i];
        }

        return d;
    }

    internal static float[] Displacement(float[] values, float[] initial)
    {
        var d = new float[values.Length];
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = values[i] - initial[i];
        }

        return d;
    }
}
