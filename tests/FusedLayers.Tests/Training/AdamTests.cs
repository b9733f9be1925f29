using System;
using FusedLayers.Tests.Numerics;
using FusedLayers.Training;

namespace FusedLayers.Tests.Training;

/// <summary>
/// Adam and AdamW against torch.optim's algorithm in float64 (<see cref="OptimizerReference"/>), over
/// several steps and lengths that sweep every vector remainder; the displacement from the initial values
/// within <see cref="Compare.Tolerance"/> of its scale.
/// </summary>
public class AdamTests
{
    public static TheoryData<double, double, double, bool, bool> Settings() => new()
    {
        { 0.9, 0.999, 0.0, false, false },
        { 0.9, 0.999, 1e-2, false, false },
        { 0.8, 0.99, 0.0, true, false },
        { 0.9, 0.999, 1e-2, false, true },
        { 0.3, 0.9, 5e-2, true, true },  // beta1 < 0.5: lerp's other branch
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void Steps_match_the_float64_algorithm(double beta1, double beta2, double weightDecay, bool amsgrad, bool decoupled)
    {
        for (int length = 1; length <= 40; length += 3)
        {
            var random = new Random(length);
            var parameter = new Parameter("w", length);
            RandomData.Normal(random, length).CopyTo(parameter.Data, 0);
            float[] initial = (float[])parameter.Data.Clone();
            var reference = new OptimizerReference(initial);
            Adam adam = decoupled
                ? new AdamW([parameter], 0.01, beta1, beta2, 1e-8, weightDecay, amsgrad)
                : new Adam([parameter], 0.01, beta1, beta2, 1e-8, weightDecay, amsgrad);
            for (int step = 0; step < 8; step++)
            {
                // Shrinking gradients make AMSGrad's maximum differ from the current second moment.
                float[] grad = RandomData.Normal(random, length, std: 1.0 / (1 + step));
                grad.CopyTo(parameter.Grad, 0);
                adam.Step();
                reference.Adam(grad, 0.01, beta1, beta2, 1e-8, weightDecay, amsgrad, decoupled);
            }

            Compare.Close(
                $"length {length}: displacement",
                SgdTests.Displacement(reference.Values, initial),
                SgdTests.Displacement(parameter.Data, initial));
        }
    }

    [Fact]
    public void The_first_step_moves_each_weight_by_the_learning_rate_against_its_gradient_sign()
    {
        // With bias correction, m_hat = g and v_hat = g^2 at step 1: the update is lr * g / (|g| + eps).
        var p = new Parameter("w", 3);
        var adam = new Adam([p], lr: 0.1);
        p.Grad[0] = 5f;
        p.Grad[1] = -0.01f;
        p.Grad[2] = 0f;
        adam.Step();
        Assert.Equal(-0.1f, p.Data[0], 6);
        Assert.Equal(0.1f, p.Data[1], 5);
        Assert.Equal(0f, p.Data[2]);
    }

    [Fact]
    public void AdamW_decays_the_weights_apart_from_the_gradient()
    {
        var p = new Parameter("w", 2);
        p.Data[0] = 2f;
        p.Data[1] = -4f;
        var adamW = new AdamW([p], lr: 0.1, weightDecay: 0.5);
        Assert.Equal(0.01, new AdamW([p]).WeightDecay);
        adamW.Step(); // zero gradient: only p *= 1 - lr * wd
        adamW.Step();
        Assert.Equal([2f * 0.95f * 0.95f, -4f * 0.95f * 0.95f], p.Data);
    }

    [Fact]
    public void Invalid_settings_are_refused_with_pytorchs_messages()
    {
        Parameter[] ps = [new Parameter("w", 3)];
        Assert.Contains("Invalid beta parameter at index 0: 1", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(ps, beta1: 1.0)).Message, StringComparison.Ordinal);
        Assert.Contains("Invalid beta parameter at index 1: -0.1", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(ps, beta2: -0.1)).Message, StringComparison.Ordinal);
        Assert.Contains("Invalid epsilon value", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW(ps, eps: -1)).Message, StringComparison.Ordinal);
        Assert.Contains("Invalid weight_decay value", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW(ps, weightDecay: -1)).Message, StringComparison.Ordinal);
        Assert.Contains("Invalid learning rate", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(ps, lr: -1)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Steps_allocate_nothing()
    {
        var model = new FusedLayers.Tests.Models.TwoBlockCnn(1);
        var adam = new AdamW(model.Parameters, amsgrad: true);
        adam.Step();
        AllocationAssert.SteadyStateAllocatesNothing(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                adam.Step();
                adam.ZeroGrad();
            }
        });
    }
}
