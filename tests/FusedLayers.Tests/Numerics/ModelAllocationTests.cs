using System;

namespace FusedLayers.Tests.Numerics;

/// <summary>
/// Zero allocation in steady state. Runs in the non-parallel kernel-allocation collection: the kernels'
/// scratch comes from <c>ArrayPool.Shared</c>, whose per-core caches another test thread renting the same
/// sizes at the same moment could empty, which would make the count depend on scheduling.
/// </summary>
[Collection(nameof(FusedLayers.Tests.Kernels.KernelAllocationCollection))]
public class ModelAllocationTests
{
    [Theory]
    [MemberData(nameof(ModelCase.Names), MemberType = typeof(ModelCase))]
    public void Steady_state_training_steps_and_inference_allocate_nothing(string name)
    {
        ModelCase c = ModelCase.Get(name);
        IFusedModel model = c.Create(1);
        var random = new Random(1);
        float[] input = RandomData.Uniform(random, c.Batch * model.InputLength);
        float[] gradOutput = RandomData.Uniform(random, c.Batch * model.OutputLength);
        var output = new float[gradOutput.Length];
        var gradInput = new float[input.Length];

        void Step()
        {
            model.Train();
            model.Forward(input, output);
            model.Backward(gradOutput, gradInput);
            model.ZeroGrad();
            model.Eval();
            model.Forward(input, output);
        }

        Step();
        Step();
        AllocationAssert.SteadyStateAllocatesNothing(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                Step();
            }
        });
    }
}
