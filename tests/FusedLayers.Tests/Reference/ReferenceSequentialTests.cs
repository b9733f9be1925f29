using System;
using FusedLayers.Reference;

namespace FusedLayers.Tests.Reference;

public class ReferenceSequentialTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Conv_BatchNorm_ReLU_Flatten_Linear_gradients_match_finite_differences(bool training)
    {
        var random = new Random(training ? 51 : 52);
        ReferenceSequential model = CreateModel(random);
        model.Training = training;
        ReferenceTensor x = TestData.Tensor(random, 3, 2, 5, 4);

        // Make sure no pre-ReLU value sits within the step of the kink (the check would be meaningless there).
        ReferenceTensor preActivation = model.Layers[1].Forward(model.Layers[0].Forward(x));
        Assert.All(preActivation.Data, v => Assert.True(Math.Abs(v) > 1e-4, $"pre-ReLU value {v} is too close to 0"));

        // In training, Conv.bias is removed again by the batch mean, so its gradient is ~0 (checked absolutely).
        GradientCheck.Check(model, x, seed: 53);
    }

    [Fact]
    public void Parameters_are_concatenated_in_order_and_found_by_state_dict_key()
    {
        ReferenceSequential model = CreateModel(new Random(54));
        string[] names = new string[model.Parameters.Count];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = model.Parameters[i].Name;
        }

        Assert.Equal(new[] { "Conv.weight", "Conv.bias", "Bn.weight", "Bn.bias", "Fc.weight", "Fc.bias" }, names);
        Assert.Same(((ReferenceBatchNorm)model.Layers[1]).Weight, model.FindParameter("Bn.weight"));
        Assert.Null(model.FindParameter("Bn.running_mean"));
        Assert.Equal(5, model.Layers.Count);
    }

    [Fact]
    public void Training_propagates_to_every_layer()
    {
        ReferenceSequential model = CreateModel(new Random(55));
        Assert.True(model.Training);
        model.Training = false;
        Assert.All(model.Layers, layer => Assert.False(layer.Training));
        model.Training = true;
        Assert.All(model.Layers, layer => Assert.True(layer.Training));
    }

    [Fact]
    public void Gradients_accumulate_until_ZeroGrad()
    {
        var random = new Random(56);
        ReferenceSequential model = CreateModel(random);
        ReferenceTensor x = TestData.Tensor(random, 2, 2, 5, 4);
        ReferenceTensor y = model.Forward(x);
        ReferenceTensor dy = TestData.Tensor(random, y.Shape);

        model.Backward(dy);
        double once = model.FindParameter("Fc.weight")!.Grad[3];
        model.Backward(dy);
        Assert.Equal(2 * once, model.FindParameter("Fc.weight")!.Grad[3], 1e-12);

        model.ZeroGrad();
        Assert.All(model.Parameters, p => Assert.All(p.Grad, g => Assert.Equal(0.0, g)));
    }

    /// <summary>Conv2d(2, 3, k3, p1) -> BatchNorm2d(3) -> ReLU -> Flatten -> Linear(3*5*4, 4), random values.</summary>
    private static ReferenceSequential CreateModel(Random random)
    {
        var conv = new ReferenceConv2d("Conv", 2, 3, 3, padding: 1);
        var bn = new ReferenceBatchNorm("Bn", 3);
        var fc = new ReferenceLinear("Fc", 3 * 5 * 4, 4);
        TestData.Fill(conv.Weight, random);
        TestData.Fill(conv.Bias, random);
        TestData.Fill(bn.Weight, random, 0.5, 1.5);
        TestData.Fill(bn.Bias, random);
        TestData.Uniform(random, 3, -0.5, 0.5).CopyTo(bn.RunningMean!, 0);
        TestData.Uniform(random, 3, 0.5, 1.5).CopyTo(bn.RunningVar!, 0);
        TestData.Fill(fc.Weight, random);
        TestData.Fill(fc.Bias, random);
        return new ReferenceSequential("Model", conv, bn, new ReferenceReLU("Relu"), new ReferenceFlatten("Flat"), fc);
    }
}
