using System;
using FusedLayers.Reference;

namespace FusedLayers.Tests.Reference;

public class ReferenceStatelessLayerTests
{
    [Fact]
    public void ReLU_gradients_match_finite_differences()
    {
        // Inputs are kept at least 0.1 away from the kink at 0, far beyond the step h = 1e-6.
        var random = new Random(21);
        GradientCheck.Check(new ReferenceReLU("Relu"), TestData.AwayFromZero(random, 2, 3, 4, 5), seed: 22);
    }

    [Fact]
    public void ReLU_clamps_negatives_and_passes_no_gradient_at_zero()
    {
        var relu = new ReferenceReLU("Relu");
        ReferenceTensor y = relu.Forward(new ReferenceTensor([-2, 0, 3], 1, 3));
        Assert.Equal(new[] { 0.0, 0.0, 3.0 }, y.Data);

        ReferenceTensor dx = relu.Backward(new ReferenceTensor([5, 6, 7], 1, 3));
        Assert.Equal(new[] { 0.0, 0.0, 7.0 }, dx.Data);
        Assert.Empty(relu.Parameters);
    }

    [Fact]
    public void Flatten_gradients_match_finite_differences()
    {
        var random = new Random(23);
        GradientCheck.Check(new ReferenceFlatten("Flat"), TestData.Tensor(random, 3, 2, 3, 4), seed: 24);
    }

    [Fact]
    public void Flatten_keeps_the_batch_and_restores_the_shape_in_backward()
    {
        var flatten = new ReferenceFlatten("Flat");
        var x = new ReferenceTensor([1, 2, 3, 4, 5, 6, 7, 8], 2, 2, 2);
        ReferenceTensor y = flatten.Forward(x);
        Assert.Equal(new[] { 2, 4 }, y.Shape);
        Assert.Equal(x.Data, y.Data);

        ReferenceTensor dx = flatten.Backward(y);
        Assert.Equal(new[] { 2, 2, 2 }, dx.Shape);
        Assert.Throws<ArgumentException>(() => flatten.Forward(new ReferenceTensor(5)));
    }

    [Fact]
    public void Backward_before_forward_throws()
    {
        Assert.Throws<InvalidOperationException>(() => new ReferenceReLU("Relu").Backward(new ReferenceTensor(1, 2)));
        Assert.Throws<InvalidOperationException>(() => new ReferenceFlatten("Flat").Backward(new ReferenceTensor(1, 2)));
    }
}
