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
}
