using System;
using System.Linq;

namespace FusedLayers.Tests.Numerics;

/// <summary>
/// <see cref="Parameter.RequiresGrad"/> = false freezes a parameter as PyTorch's <c>requires_grad_(False)</c>:
/// Backward leaves its gradient untouched, every other gradient (and the input gradient) is what it would have
/// been, on every path.
/// </summary>
public class FrozenParameterTests
{
    [Theory]
    [MemberData(nameof(ModelCase.NamesOnEveryPath), MemberType = typeof(ModelCase))]
    public void Frozen_parameters_get_no_gradient_and_the_rest_is_unchanged(string name, KernelIsa isa, int threads)
    {
        ModelCase c = ModelCase.Get(name);
        IFusedModel trainable = c.Create(4);
        IFusedModel frozen = c.Create(4);
        Paths.Use(trainable, isa, threads);
        Paths.Use(frozen, isa, threads);

        // Freeze every other parameter (weights of some layers, biases of others, BatchNorm affine parameters ...).
        for (int i = 0; i < frozen.Parameters.Count; i += 2)
        {
            frozen.Parameters[i].RequiresGrad = false;
        }

        var random = new Random(12);
        float[] input = RandomData.Uniform(random, c.Batch * trainable.InputLength);
        float[] gradOutput = RandomData.Uniform(random, c.Batch * trainable.OutputLength);
        var output = new float[gradOutput.Length];
        var gradInputTrainable = new float[input.Length];
        var gradInputFrozen = new float[input.Length];
        trainable.Forward(input, output);
        trainable.Backward(gradOutput, gradInputTrainable);
        frozen.Forward(input, output);
        frozen.Backward(gradOutput, gradInputFrozen);

        Assert.Equal(gradInputTrainable, gradInputFrozen);
        for (int i = 0; i < frozen.Parameters.Count; i++)
        {
            Parameter p = frozen.Parameters[i];
            if (!p.RequiresGrad)
            {
                Assert.All(p.Grad, g => Assert.Equal(0f, g));
            }
            else
            {
                Compare.Close($"grad {p.Name}", trainable.Parameters[i].Grad, p.Grad, 1e-5);
            }
        }
    }

    [Fact]
    public void Optimizers_leave_frozen_parameters_unchanged()
    {
        ModelCase c = ModelCase.Get(nameof(Models.TwoBlockCnn));
        foreach (Func<IFusedModel, FusedLayers.Training.Optimizer> create in new Func<IFusedModel, FusedLayers.Training.Optimizer>[]
                 {
                     m => new FusedLayers.Training.Sgd(m.Parameters, lr: 0.1, momentum: 0.9, weightDecay: 1e-2),
                     m => new FusedLayers.Training.AdamW(m.Parameters, lr: 1e-2),
                 })
        {
            IFusedModel model = c.Create(5);
            Parameter frozen = model.Parameters[0];
            frozen.RequiresGrad = false;
            float[] before = frozen.Data.ToArray();
            float[] other = model.Parameters[1].Data.ToArray();
            FusedLayers.Training.Optimizer optimizer = create(model);
            var random = new Random(3);
            for (int step = 0; step < 3; step++)
            {
                float[] input = RandomData.Uniform(random, c.Batch * model.InputLength);
                model.Forward(input, new float[c.Batch * model.OutputLength]);
                model.Backward(RandomData.Uniform(random, c.Batch * model.OutputLength));
                optimizer.Step();
                optimizer.ZeroGrad();
            }

            Assert.Equal(before, frozen.Data);
            Assert.NotEqual(other, model.Parameters[1].Data);
        }
    }
}
