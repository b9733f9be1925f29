using System;
using FusedLayers.Reference;

namespace FusedLayers.Tests.Reference;

public class ReferenceLinearTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Gradients_match_finite_differences(bool bias)
    {
        var random = new Random(bias ? 11 : 12);
        var linear = new ReferenceLinear("Fc", 7, 5, bias);
        TestData.Fill(linear.Weight, random);
        TestData.Fill(linear.Bias, random);

        GradientCheck.Check(linear, TestData.Tensor(random, 4, 7), seed: 13);
    }

    [Fact]
    public void Forward_computes_x_times_W_transposed_plus_b()
    {
        // W = [[1,2,3],[4,5,6]], b = [10, 20], x = [[1,0,-1],[2,1,0]]:
        // y[0] = [1-3+10, 4-6+20] = [8, 18];  y[1] = [2+2+10, 8+5+20] = [14, 33]
        var linear = new ReferenceLinear("Fc", 3, 2);
        linear.Weight.CopyFrom(new float[] { 1, 2, 3, 4, 5, 6 });
        linear.Bias!.CopyFrom(new float[] { 10, 20 });

        ReferenceTensor y = linear.Forward(new ReferenceTensor([1, 0, -1, 2, 1, 0], 2, 3));

        Assert.Equal(new[] { 2, 2 }, y.Shape);
        Assert.Equal(new[] { 8.0, 18.0, 14.0, 33.0 }, y.Data);
        Assert.Equal(new[] { "Fc.weight", "Fc.bias" }, new[] { linear.Parameters[0].Name, linear.Parameters[1].Name });
    }

    [Fact]
    public void Rejects_wrong_input_and_early_backward()
    {
        var linear = new ReferenceLinear("Fc", 3, 2);
        Assert.Throws<InvalidOperationException>(() => linear.Backward(new ReferenceTensor(1, 2)));
        Assert.Throws<ArgumentException>(() => linear.Forward(new ReferenceTensor(1, 4)));
        Assert.Throws<ArgumentException>(() => linear.Forward(new ReferenceTensor(1, 3, 1)));
    }
}
