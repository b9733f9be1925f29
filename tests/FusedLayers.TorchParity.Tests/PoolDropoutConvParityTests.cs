using System;
using System.Linq;
using FusedLayers.Execution;
using FusedLayers.Kernels;
using FusedLayers.Reference;
using TorchSharp;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace FusedLayers.TorchParity.Tests;

/// <summary>
/// Pooling, dropout and grouped / depthwise / dilated convolution against libtorch, with identical inputs and output
/// gradients and autograd on the PyTorch side:
/// <list type="bullet">
/// <item><c>max_pool2d_with_indices</c> (padding, overlapping windows with stride &lt; kernel): the float64 reference and
/// <see cref="PoolKernels"/> on every requested path give the same maxima and indices (exactly: a maximum is not
/// rounded) and input gradient (<see cref="ParityAssert.Relative"/>).</item>
/// <item><c>avg_pool2d</c> with <c>count_include_pad</c> true and false, and <c>adaptive_avg_pool2d</c> (1 for the kernels,
/// 1 and 3 for the reference): output and input gradient within <see cref="ParityAssert.Relative"/>.</item>
/// <item><c>conv2d</c> with groups, depthwise groups, dilation and padding up to k: the reference's output and input,
/// weight and bias gradients within <see cref="ParityAssert.Relative"/>.</item>
/// <item>Dropout: PyTorch draws its mask from its global generator, ours is counter-based, so the masks differ by design
/// and are not compared. Compared instead: the kept fraction of both sides within 5 binomial sigmas of <c>1 - p</c>, the
/// kept values equal to PyTorch's (<c>x / (1 - p)</c>) wherever both keep an element, inference is the identity on both
/// sides, and our backward applies exactly the forward mask.</item>
/// </list>
/// </summary>
public class PoolDropoutConvParityTests
{
    private static readonly KernelIsa[] Paths = [KernelIsa.Scalar, KernelIsa.Avx2, KernelIsa.Avx512];

    [Theory]
    //          N  C  H   W  k  s  p
    [InlineData(2, 3, 9, 11, 2, 2, 0)]   // 2x2/2, floor-mode leftovers
    [InlineData(1, 2, 13, 17, 3, 2, 1)]  // 3x3/2 pad 1: overlapping windows
    [InlineData(2, 2, 7, 20, 3, 1, 1)]   // stride 1 < kernel 3: up to 9 windows per element
    [InlineData(1, 2, 8, 19, 4, 3, 2)]   // even kernel, padding k / 2
    public void MaxPool2d_matches_pytorch(int n, int c, int h, int w, int k, int s, int p)
    {
        using DisposeScope scope = NewDisposeScope();
        var random = new Random((h * 100) + w);
        float[] x = TestData.Normal(random, n * c * h * w);
        var g = new Pool2dGeometry(c, h, w, k, s, p);
        float[] dy = TestData.Normal(random, n * c * g.OutputPlaneLength);

        TorchTensor input = torch.tensor(x, [n, c, h, w]).requires_grad_(true);
        (TorchTensor output, TorchTensor indices) = nn.functional.max_pool2d_with_indices(input, [k, k], [s, s], [p, p]);
        (output * torch.tensor(dy, output.shape)).sum().backward(); // dL/dy = dy
        float[] torchY = Twin.ToArray(output), torchDx = Twin.ToArray(input.grad!);
        int[] torchIndices = indices.data<long>().ToArray().Select(i => (int)i).ToArray();
        Assert.Equal(new long[] { n, c, g.OutHeight, g.OutWidth }, output.shape);

        var reference = new ReferenceMaxPool2d("Pool", k, s, p);
        ReferenceTensor y = reference.Forward(ReferenceTensor.FromFloats(x, n, c, h, w));
        ParityAssert.Close("reference max_pool2d output", torchY, y.ToFloats(), tolerance: 0);
        Assert.Equal(torchIndices, reference.Indices!);
        ParityAssert.Close("reference max_pool2d grad input", torchDx, reference.Backward(ReferenceTensor.FromFloats(dy, y.Shape)).ToFloats());

        foreach (KernelIsa isa in Paths)
        {
            KernelContext context = KernelContext.Create(isa, 2);
            var kernelY = new float[torchY.Length];
            var kernelIndices = new int[torchY.Length];
            var kernelDx = new float[x.Length];
            PoolKernels.MaxForward(context, g, n, x, kernelY, kernelIndices);
            PoolKernels.MaxBackward(context, g, n, dy, kernelIndices, kernelDx);
            ParityAssert.Close($"{context.Isa} max_pool2d output", torchY, kernelY, tolerance: 0);
            Assert.Equal(torchIndices, kernelIndices);
            ParityAssert.Close($"{context.Isa} max_pool2d grad input", torchDx, kernelDx);
        }
    }

    [Theory]
    [InlineData(2, 3, 9, 11, 2, 2, 0, true)]
    [InlineData(1, 2, 13, 17, 3, 2, 1, true)]
    [InlineData(1, 2, 13, 17, 3, 2, 1, false)]
    [InlineData(2, 2, 7, 20, 3, 1, 1, false)]
    [InlineData(1, 2, 8, 19, 4, 3, 2, true)]
    [InlineData(1, 2, 8, 19, 4, 3, 2, false)]
    public void AvgPool2d_matches_pytorch(int n, int c, int h, int w, int k, int s, int p, bool countIncludePad)
    {
        using DisposeScope scope = NewDisposeScope();
        var random = new Random((h * 100) + w + (countIncludePad ? 1 : 0));
        float[] x = TestData.Normal(random, n * c * h * w, mean: 0.5);
        var g = new Pool2dGeometry(c, h, w, k, s, p);
        float[] dy = TestData.Normal(random, n * c * g.OutputPlaneLength);

        TorchTensor input = torch.tensor(x, [n, c, h, w]).requires_grad_(true);
        TorchTensor output = nn.functional.avg_pool2d(input, k, s, p, count_include_pad: countIncludePad);
        (output * torch.tensor(dy, output.shape)).sum().backward(); // dL/dy = dy
        float[] torchY = Twin.ToArray(output), torchDx = Twin.ToArray(input.grad!);

        var reference = new ReferenceAvgPool2d("Pool", k, s, p, countIncludePad);
        ReferenceTensor y = reference.Forward(ReferenceTensor.FromFloats(x, n, c, h, w));
        ParityAssert.Close("reference avg_pool2d output", torchY, y.ToFloats());
        ParityAssert.Close("reference avg_pool2d grad input", torchDx, reference.Backward(ReferenceTensor.FromFloats(dy, y.Shape)).ToFloats());

        foreach (KernelIsa isa in Paths)
        {
            KernelContext context = KernelContext.Create(isa, 2);
            var kernelY = new float[torchY.Length];
            var kernelDx = new float[x.Length];
            PoolKernels.AvgForward(context, g, n, countIncludePad, x, kernelY);
            PoolKernels.AvgBackward(context, g, n, countIncludePad, dy, kernelDx);
            ParityAssert.Close($"{context.Isa} avg_pool2d output", torchY, kernelY);
            ParityAssert.Close($"{context.Isa} avg_pool2d grad input", torchDx, kernelDx);
        }
    }

    [Theory]
    [InlineData(2, 3, 7, 7, 1)]
    [InlineData(3, 5, 5, 13, 1)]
    [InlineData(2, 4, 56, 56, 1)]
    [InlineData(2, 3, 5, 7, 3)]   // reference only: overlapping adaptive bins
    [InlineData(1, 2, 10, 6, 4)]
    public void AdaptiveAvgPool2d_matches_pytorch(int n, int c, int h, int w, int outputSize)
    {
        using DisposeScope scope = NewDisposeScope();
        var random = new Random((h * 100) + w + outputSize);
        float[] x = TestData.Normal(random, n * c * h * w, mean: 0.5);
        float[] dy = TestData.Normal(random, n * c * outputSize * outputSize);

        TorchTensor input = torch.tensor(x, [n, c, h, w]).requires_grad_(true);
        TorchTensor output = nn.functional.adaptive_avg_pool2d(input, [outputSize, outputSize]);
        (output * torch.tensor(dy, output.shape)).sum().backward(); // dL/dy = dy
        float[] torchY = Twin.ToArray(output), torchDx = Twin.ToArray(input.grad!);

        var reference = new ReferenceAdaptiveAvgPool2d("Gap", outputSize);
        ReferenceTensor y = reference.Forward(ReferenceTensor.FromFloats(x, n, c, h, w));
        ParityAssert.Close("reference adaptive_avg_pool2d output", torchY, y.ToFloats());
        ParityAssert.Close("reference adaptive_avg_pool2d grad input", torchDx, reference.Backward(ReferenceTensor.FromFloats(dy, y.Shape)).ToFloats());
        if (outputSize != 1)
        {
            return;
        }

        foreach (KernelIsa isa in Paths)
        {
            KernelContext context = KernelContext.Create(isa, 2);
            var kernelY = new float[n * c];
            var kernelDx = new float[x.Length];
            PoolKernels.GlobalAvgForward(context, n, c, h * w, x, kernelY);
            PoolKernels.GlobalAvgBackward(context, n, c, h * w, dy, kernelDx);
            ParityAssert.Close($"{context.Isa} global average pool output", torchY, kernelY);
            ParityAssert.Close($"{context.Isa} global average pool grad input", torchDx, kernelDx);
        }
    }

    [Theory]
    //          N  Cin Cout H  W  k  s  p  d  groups bias
    [InlineData(2, 4, 6, 9, 8, 3, 1, 1, 1, 2, true)]     // two groups
    [InlineData(2, 8, 8, 10, 9, 3, 1, 1, 1, 8, true)]    // depthwise (groups = in = out)
    [InlineData(1, 4, 8, 11, 11, 3, 2, 1, 1, 4, false)]  // depthwise with channel multiplier 2, stride 2
    [InlineData(2, 3, 5, 12, 10, 3, 1, 2, 2, 1, true)]   // dilation 2, "same" padding
    [InlineData(1, 6, 6, 13, 12, 3, 2, 3, 3, 3, true)]   // dilation 3, padding = k, stride 2, three groups
    [InlineData(2, 4, 4, 8, 8, 2, 1, 2, 1, 4, false)]    // even kernel, padding = k, depthwise
    public void Grouped_depthwise_and_dilated_conv2d_match_pytorch(
        int n, int inChannels, int outChannels, int h, int w, int k, int s, int p, int d, int groups, bool bias)
    {
        using DisposeScope scope = NewDisposeScope();
        var random = new Random((h * 100) + w + groups + d);
        var conv = new ReferenceConv2d("Conv", inChannels, outChannels, k, s, p, bias, d, groups);
        float[] weight = TestData.Normal(random, conv.Weight.Length, std: 0.5);
        float[] biasValues = bias ? TestData.Normal(random, outChannels) : [];
        float[] x = TestData.Normal(random, n * inChannels * h * w);
        conv.Weight.CopyFrom(weight);
        conv.Bias?.CopyFrom(biasValues);
        ReferenceTensor y = conv.Forward(ReferenceTensor.FromFloats(x, n, inChannels, h, w));
        float[] dy = TestData.Normal(random, y.Length);
        ReferenceTensor dx = conv.Backward(ReferenceTensor.FromFloats(dy, y.Shape));

        TorchTensor input = torch.tensor(x, [n, inChannels, h, w]).requires_grad_(true);
        TorchTensor torchWeight = torch.tensor(weight, conv.Weight.Shape.Select(v => (long)v).ToArray()).requires_grad_(true);
        TorchTensor? torchBias = bias ? torch.tensor(biasValues).requires_grad_(true) : null;
        TorchTensor output = nn.functional.conv2d(input, torchWeight, torchBias, [s, s], [p, p], [d, d], groups);
        Assert.Equal(y.Shape.Select(v => (long)v).ToArray(), output.shape);
        (output * torch.tensor(dy, output.shape)).sum().backward(); // dL/dy = dy

        ParityAssert.Close("conv2d output", Twin.ToArray(output), y.ToFloats());
        ParityAssert.Close("conv2d grad input", Twin.ToArray(input.grad!), dx.ToFloats());
        ParityAssert.Close("conv2d grad weight", Twin.ToArray(torchWeight.grad!), conv.Weight.Grad.Select(v => (float)v).ToArray());
        if (torchBias is not null)
        {
            ParityAssert.Close("conv2d grad bias", Twin.ToArray(torchBias.grad!), conv.Bias!.Grad.Select(v => (float)v).ToArray());
        }
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.8)]
    public void Dropout_statistics_scaling_inference_and_backward_agree_with_pytorch(double p)
    {
        using DisposeScope scope = NewDisposeScope();
        const int count = 60_001;
        var random = new Random(3);
        float[] x = TestData.Normal(random, count, mean: 2.0, std: 0.5);
        float[] dy = TestData.Normal(random, count);
        double expected = count * (1 - p), sigma = Math.Sqrt(count * p * (1 - p));

        // PyTorch: its own mask; its kept fraction and its scaling.
        torch.manual_seed(11);
        float[] torchY = Twin.ToArray(nn.functional.dropout(torch.tensor(x), p, training: true));
        Assert.InRange(torchY.Count(v => v != 0f), expected - (5 * sigma), expected + (5 * sigma));
        Assert.Equal(x, Twin.ToArray(nn.functional.dropout(torch.tensor(x), p, training: false)));

        foreach (KernelIsa isa in Paths)
        {
            KernelContext context = KernelContext.Create(isa, 2);
            var y = new float[count];
            var mask = new float[count];
            var dx = new float[count];
            DropoutKernels.Forward(context, p, seed: 42, step: 0, x, y, mask);
            DropoutKernels.Backward(context, dy, mask, dx);
            Assert.InRange(y.Count(v => v != 0f), expected - (5 * sigma), expected + (5 * sigma));

            int both = 0;
            for (int i = 0; i < count; i++)
            {
                if (y[i] != 0f && torchY[i] != 0f)
                {
                    // The same kept value, x / (1 - p), up to PyTorch's float32 rounding of the scale.
                    Assert.True(Math.Abs(y[i] - torchY[i]) <= 2e-7 * Math.Abs(torchY[i]), $"{context.Isa}: element {i}: {y[i]} vs PyTorch {torchY[i]}");
                    both++;
                }

                Assert.Equal(dy[i] * mask[i], dx[i]); // backward applies the forward mask
                Assert.Equal(y[i] == 0f, mask[i] == 0f);
            }

            Assert.True(both > count * (1 - p) * (1 - p) * 0.9, "both sides keep about (1 - p)^2 of the elements");
        }

        // Inference on our side is the identity too (the reference layer; a model skips the kernel).
        var reference = new ReferenceDropout("Drop", p, seed: 42) { Training = false };
        Assert.Equal(x, reference.Forward(ReferenceTensor.FromFloats(x, 1, count)).ToFloats());
    }
}
