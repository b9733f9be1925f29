using System;
using System.Linq;
using FusedLayers.Execution;
using FusedLayers.Kernels;
using TorchSharp;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace FusedLayers.TorchParity.Tests;

/// <summary>
/// <see cref="Conv2dKernels"/> with groups (depthwise included) and dilation against libtorch's <c>conv2d</c> with
/// autograd, on every requested path (the public API falls back to what the CPU has) and 1 and 2 threads: the
/// output, the ReLU epilogue, the per-channel batch mean and biased variance of the statistics epilogue, and the
/// input, weight and bias gradients, all within <see cref="ParityAssert.Relative"/>.
/// </summary>
public class GroupedConvKernelParityTests
{
    private static readonly KernelIsa[] Paths = [KernelIsa.Scalar, KernelIsa.Avx2, KernelIsa.Avx512];

    [Theory]
    //          N  Cin Cout H   W  k  s  p  d  groups bias
    [InlineData(2, 8, 8, 14, 13, 3, 1, 1, 1, 8, true)]    // depthwise 3x3 (direct kernel)
    [InlineData(2, 6, 12, 15, 16, 3, 2, 1, 1, 6, false)]  // depthwise, multiplier 2, stride 2
    [InlineData(1, 4, 4, 12, 11, 3, 1, 2, 2, 4, true)]    // depthwise, dilation 2
    [InlineData(2, 4, 4, 8, 9, 2, 1, 2, 1, 4, true)]      // depthwise, even kernel, padding = k
    [InlineData(2, 8, 12, 11, 10, 3, 1, 2, 2, 4, true)]   // four groups, dilation 2 (shifted planes)
    [InlineData(1, 6, 6, 13, 12, 3, 2, 3, 3, 3, false)]   // three groups, dilation 3, stride 2 (im2col)
    public void Grouped_and_dilated_conv_kernels_match_pytorch(
        int n, int inChannels, int outChannels, int h, int w, int k, int s, int p, int d, int groups, bool bias)
    {
        using DisposeScope scope = NewDisposeScope();
        var g = new Conv2dGeometry(inChannels, outChannels, h, w, k, s, p, d, groups);
        var random = new Random((h * 100) + w + groups + d);
        float[] weight = TestData.Normal(random, g.WeightLength, std: 0.5);
        float[] biasValues = bias ? TestData.Normal(random, outChannels) : [];
        float[] x = TestData.Normal(random, n * g.InputSampleLength);
        float[] dy = TestData.Normal(random, n * g.OutputSampleLength);

        TorchTensor input = torch.tensor(x, [n, inChannels, h, w]).requires_grad_(true);
        TorchTensor torchWeight = torch.tensor(weight, [outChannels, inChannels / groups, k, k]).requires_grad_(true);
        TorchTensor? torchBias = bias ? torch.tensor(biasValues).requires_grad_(true) : null;
        TorchTensor output = nn.functional.conv2d(input, torchWeight, torchBias, [s, s], [p, p], [d, d], groups);
        Assert.Equal(new long[] { n, outChannels, g.OutHeight, g.OutWidth }, output.shape);
        (output * torch.tensor(dy, output.shape)).sum().backward(); // dL/dy = dy
        float[] torchY = Twin.ToArray(output);
        float[] torchRelu = Twin.ToArray(nn.functional.relu(output));
        float[] torchMean = Twin.ToArray(output.mean([0, 2, 3]));
        float[] torchVariance = Twin.ToArray(output.var([0, 2, 3], unbiased: false));
        float[] torchDx = Twin.ToArray(input.grad!);
        float[] torchDw = Twin.ToArray(torchWeight.grad!);
        float[] torchDb = torchBias is null ? [] : Twin.ToArray(torchBias.grad!);

        foreach (KernelIsa isa in Paths)
        {
            foreach (int threads in new[] { 1, 2 })
            {
                KernelContext context = KernelContext.Create(isa, threads);
                string label = $"{context.Isa} x{threads}";
                var y = new float[torchY.Length];
                var relu = new float[torchY.Length];
                var mean = new float[outChannels];
                var variance = new float[outChannels];
                var dx = new float[x.Length];
                var dw = new float[weight.Length];
                var db = new float[biasValues.Length];
                Conv2dKernels.Forward(context, g, n, x, weight, biasValues, y, Activation.Identity, mean, variance);
                Conv2dKernels.Forward(context, g, n, x, weight, biasValues, relu, Activation.ReLU, default, default);
                Conv2dKernels.BackwardInput(context, g, n, dy, weight, dx);
                Conv2dKernels.BackwardParameters(context, g, n, x, dy, dw, db);
                ParityAssert.Close($"{label} output", torchY, y);
                ParityAssert.Close($"{label} relu output", torchRelu, relu);
                ParityAssert.Close($"{label} batch mean", torchMean, mean);
                ParityAssert.Close($"{label} batch variance", torchVariance, variance);
                ParityAssert.Close($"{label} grad input", torchDx, dx);
                ParityAssert.Close($"{label} grad weight", torchDw, dw);
                if (bias)
                {
                    ParityAssert.Close($"{label} grad bias", torchDb, db);
                }
            }
        }

        Assert.Equal(g.WeightLength, torchWeight.shape.Aggregate(1L, (a, b) => a * b));
    }
}
