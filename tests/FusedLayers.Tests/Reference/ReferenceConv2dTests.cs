using System;
using FusedLayers.Reference;

namespace FusedLayers.Tests.Reference;

/// <summary>
/// <see cref="ReferenceConv2d"/>: finite differences (plain, grouped, depthwise and dilated), hand-computed
/// examples, PyTorch parameter names and shapes, and argument errors.
/// </summary>
public class ReferenceConv2dTests
{
    [Theory]
    //          N  Cin Cout H  W  k  s  p  bias
    [InlineData(2, 3, 4, 5, 5, 3, 1, 1, true)]   // the common 3x3 "same" conv
    [InlineData(2, 2, 3, 7, 6, 3, 2, 0, true)]   // stride 2, odd H, H != W
    [InlineData(1, 3, 2, 6, 9, 5, 1, 2, false)]  // 5x5 kernel, padding 2, no bias, non-square
    [InlineData(2, 4, 3, 5, 7, 1, 1, 0, true)]   // 1x1 kernel
    [InlineData(2, 2, 2, 8, 5, 2, 2, 1, false)]  // even kernel, stride 2, padding 1
    [InlineData(1, 2, 3, 9, 7, 3, 3, 2, true)]   // stride 3 with leftover columns, padding 2
    public void Gradients_match_finite_differences(int n, int inChannels, int outChannels, int h, int w, int k, int stride, int padding, bool bias)
    {
        var random = new Random(1000 + (h * 31) + w);
        var conv = new ReferenceConv2d("Conv", inChannels, outChannels, k, stride, padding, bias);
        TestData.Fill(conv.Weight, random);
        TestData.Fill(conv.Bias, random);

        GradientCheck.Check(conv, TestData.Tensor(random, n, inChannels, h, w), seed: 7);
    }

    [Theory]
    //          N  Cin Cout H  W  k  s  p  d  groups bias
    [InlineData(2, 4, 6, 6, 5, 3, 1, 1, 1, 2, true)]    // two groups
    [InlineData(1, 3, 3, 5, 6, 3, 1, 1, 1, 3, true)]    // depthwise (groups = in = out)
    [InlineData(2, 2, 4, 5, 5, 3, 2, 0, 1, 2, false)]   // depthwise with channel multiplier 2, stride 2
    [InlineData(1, 2, 3, 7, 8, 3, 1, 2, 2, 1, true)]    // dilation 2, padding 2 ("same")
    [InlineData(2, 4, 4, 9, 7, 2, 2, 3, 3, 4, true)]    // dilation 3, padding above k, depthwise, stride 2
    [InlineData(1, 6, 3, 6, 6, 3, 1, 3, 2, 3, false)]   // padding = k, dilation 2, three groups
    public void Grouped_and_dilated_gradients_match_finite_differences(
        int n, int inChannels, int outChannels, int h, int w, int k, int stride, int padding, int dilation, int groups, bool bias)
    {
        var random = new Random(2000 + (h * 31) + w + groups);
        var conv = new ReferenceConv2d("Conv", inChannels, outChannels, k, stride, padding, bias, dilation, groups);
        Assert.Equal(new[] { outChannels, inChannels / groups, k, k }, conv.Weight.Shape);
        TestData.Fill(conv.Weight, random);
        TestData.Fill(conv.Bias, random);

        GradientCheck.Check(conv, TestData.Tensor(random, n, inChannels, h, w), seed: 9);
    }

    [Fact]
    public void Depthwise_forward_matches_a_hand_computed_example()
    {
        // Two channels, groups = 2, 1x1 kernels: y[c] = W[c] * x[c] + b[c]; channels do not mix.
        var conv = new ReferenceConv2d("Conv", 2, 2, 1, groups: 2);
        conv.Weight.CopyFrom(new float[] { 2, -1 });
        conv.Bias!.CopyFrom(new float[] { 0.5f, 1 });
        ReferenceTensor y = conv.Forward(new ReferenceTensor([1, 2, 3, 4, 10, 20, 30, 40], 1, 2, 2, 2));
        Assert.Equal(new[] { 2.5, 4.5, 6.5, 8.5, -9, -19, -29, -39 }, y.Data);
    }

    [Fact]
    public void Dilated_forward_matches_a_hand_computed_example()
    {
        // x = [[1,2,3],[4,5,6],[7,8,9]], 2x2 kernel [[1,2],[3,4]] with dilation 2 reads the corners:
        // Hout = (3 - 2*1 - 1) / 1 + 1 = 1, y = 1*1 + 3*2 + 7*3 + 9*4 + 0.5 = 64.5.
        var conv = new ReferenceConv2d("Conv", 1, 1, 2, dilation: 2);
        conv.Weight.CopyFrom(new float[] { 1, 2, 3, 4 });
        conv.Bias!.CopyFrom(new float[] { 0.5f });
        ReferenceTensor y = conv.Forward(new ReferenceTensor([1, 2, 3, 4, 5, 6, 7, 8, 9], 1, 1, 3, 3));
        Assert.Equal(new[] { 1, 1, 1, 1 }, y.Shape);
        Assert.Equal(64.5, y.Data[0]);
        Assert.Equal(1, conv.OutputSize(3));
    }

    [Fact]
    public void Groups_must_divide_both_channel_counts()
    {
        Assert.Throws<ArgumentException>(() => new ReferenceConv2d("Conv", 3, 4, 3, groups: 2));
        Assert.Throws<ArgumentException>(() => new ReferenceConv2d("Conv", 4, 3, 3, groups: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReferenceConv2d("Conv", 4, 4, 3, groups: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReferenceConv2d("Conv", 4, 4, 3, dilation: 0));
        var conv = new ReferenceConv2d("Conv", 2, 2, 3, dilation: 2);
        Assert.Throws<ArgumentException>(() => conv.Forward(new ReferenceTensor(1, 2, 4, 9))); // 2*(3-1)+1 = 5 > 4
    }

    [Fact]
    public void Forward_matches_a_hand_computed_example()
    {
        // x = [[1,2,3],[4,5,6],[7,8,9]], W = [[1,2],[3,4]], b = 0.5, cross-correlation:
        // y[0,0] = 1*1 + 2*2 + 4*3 + 5*4 + 0.5 = 37.5    y[0,1] = 2*1 + 3*2 + 5*3 + 6*4 + 0.5 = 47.5
        // y[1,0] = 4*1 + 5*2 + 7*3 + 8*4 + 0.5 = 67.5    y[1,1] = 5*1 + 6*2 + 8*3 + 9*4 + 0.5 = 77.5
        ReferenceConv2d conv = HandExample(stride: 1, padding: 0);
        ReferenceTensor y = conv.Forward(new ReferenceTensor([1, 2, 3, 4, 5, 6, 7, 8, 9], 1, 1, 3, 3));

        Assert.Equal(new[] { 1, 1, 2, 2 }, y.Shape);
        Assert.Equal(new[] { 37.5, 47.5, 67.5, 77.5 }, y.Data);
    }

    [Fact]
    public void Forward_with_stride_and_zero_padding_matches_a_hand_computed_example()
    {
        // Padding 1, stride 2: Hout = (3 + 2 - 2) / 2 + 1 = 2. Window origins at padded (-1,-1), (-1,1), (1,-1), (1,1):
        // y[0,0] = x[0,0]*4 + 0.5 = 4.5                  y[0,1] = x[0,1]*3 + x[0,2]*4 + 0.5 = 18.5
        // y[1,0] = x[1,0]*2 + x[2,0]*4 + 0.5 = 36.5      y[1,1] = 5*1 + 6*2 + 8*3 + 9*4 + 0.5 = 77.5
        ReferenceConv2d conv = HandExample(stride: 2, padding: 1);
        ReferenceTensor y = conv.Forward(new ReferenceTensor([1, 2, 3, 4, 5, 6, 7, 8, 9], 1, 1, 3, 3));

        Assert.Equal(new[] { 1, 1, 2, 2 }, y.Shape);
        Assert.Equal(new[] { 4.5, 18.5, 36.5, 77.5 }, y.Data);
    }

    [Fact]
    public void Parameters_are_named_shaped_and_ordered_like_PyTorch()
    {
        var conv = new ReferenceConv2d("Conv", 3, 8, 3);
        Assert.Equal(new[] { "Conv.weight", "Conv.bias" }, new[] { conv.Parameters[0].Name, conv.Parameters[1].Name });
        Assert.Equal(new[] { 8, 3, 3, 3 }, conv.Weight.Shape);
        Assert.Equal(new[] { 8 }, conv.Bias!.Shape);
        Assert.All(conv.Weight.Data, v => Assert.Equal(0.0, v));

        var noBias = new ReferenceConv2d("Conv", 3, 8, 3, bias: false);
        Assert.Null(noBias.Bias);
        Assert.Single(noBias.Parameters);
    }

    [Fact]
    public void Rejects_wrong_input_and_early_backward()
    {
        var conv = new ReferenceConv2d("Conv", 3, 4, 3);
        Assert.Throws<InvalidOperationException>(() => conv.Backward(new ReferenceTensor(1, 4, 1, 1)));
        Assert.Throws<ArgumentException>(() => conv.Forward(new ReferenceTensor(1, 2, 5, 5)));   // channels
        Assert.Throws<ArgumentException>(() => conv.Forward(new ReferenceTensor(1, 3, 2, 5)));   // kernel does not fit
        conv.Forward(new ReferenceTensor(1, 3, 5, 5));
        Assert.Throws<ArgumentException>(() => conv.Backward(new ReferenceTensor(1, 4, 2, 2))); // not the output shape
    }

    [Fact]
    public void Gradients_accumulate_across_backward_calls()
    {
        var random = new Random(3);
        var conv = new ReferenceConv2d("Conv", 2, 3, 3, padding: 1);
        TestData.Fill(conv.Weight, random);
        ReferenceTensor y = conv.Forward(TestData.Tensor(random, 2, 2, 4, 4));
        ReferenceTensor dy = TestData.Tensor(random, y.Shape);

        conv.Backward(dy);
        double[] once = (double[])conv.Weight.Grad.Clone();
        double biasOnce = conv.Bias!.Grad[1];
        conv.Backward(dy);

        for (int i = 0; i < once.Length; i++)
        {
            Assert.Equal(2 * once[i], conv.Weight.Grad[i], 1e-12);
        }

        Assert.Equal(2 * biasOnce, conv.Bias.Grad[1], 1e-12);
    }

    private static ReferenceConv2d HandExample(int stride, int padding)
    {
        var conv = new ReferenceConv2d("Conv", 1, 1, 2, stride, padding);
        conv.Weight.CopyFrom(new float[] { 1, 2, 3, 4 });
        conv.Bias!.CopyFrom(new float[] { 0.5f });
        return conv;
    }
}
