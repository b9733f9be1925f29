using System;
using System.Threading;
using FusedLayers.Kernels;
using FusedLayers.Reference;
using FusedLayers.Tests.Numerics;

namespace FusedLayers.Tests.Kernels;

/// <summary>A convolution test shape, with its data and float64 reference results.</summary>
public sealed class ConvKernelCase
{
    private static readonly Lazy<ConvKernelCase>[] Cases =
    [
        Make(0, 3, 5, 7, 9, 3, 1, 1, 2, bias: true),      // odd channels and plane
        Make(1, 17, 24, 13, 13, 3, 1, 1, 1, bias: false), // batch 1, no bias
        Make(2, 5, 17, 13, 13, 5, 1, 2, 2, bias: true),   // 5x5, padding 2
        Make(3, 24, 3, 7, 9, 1, 1, 0, 2, bias: true),     // 1x1, padding 0
        Make(4, 3, 17, 13, 13, 3, 2, 1, 2, bias: true),   // stride 2
        Make(5, 5, 5, 7, 9, 1, 1, 2, 1, bias: false),     // padding > k - 1
        Make(6, 5, 24, 9, 7, 5, 2, 2, 2, bias: true),     // stride 2, 5x5, padding 2
        Make(7, 17, 5, 8, 8, 3, 2, 0, 1, bias: false),    // stride 2, padding 0
        Make(8, 3, 64, 32, 32, 3, 1, 1, 2, bias: true),   // the seed's layer
        Make(9, 17, 24, 61, 61, 3, 1, 1, 1, bias: true),  // 2 threads: 2 row bands (31, 30); input gradient in 3 (21, 21, 19)
        Make(10, 17, 24, 61, 61, 3, 2, 1, 2, bias: false), // stride 2: 3 im2col bands (2 threads), dilated input gradient in bands

        // Depthwise (groups = Cin): the direct kernels.
        Make(11, 8, 8, 13, 11, 3, 1, 1, 2, bias: true, groups: 8),               // MobileNet-style 3x3
        Make(12, 6, 6, 15, 17, 3, 2, 1, 2, bias: false, groups: 6),              // stride 2
        Make(13, 5, 10, 9, 12, 3, 1, 2, 1, bias: true, dilation: 2, groups: 5),  // channel multiplier 2, dilation 2
        Make(14, 7, 7, 20, 19, 5, 2, 2, 2, bias: true, groups: 7),               // 5x5, stride 2
        Make(15, 4, 4, 11, 13, 3, 2, 3, 2, bias: false, dilation: 3, groups: 4), // dilation 3, stride 2, padding k
        Make(16, 3, 3, 7, 5, 3, 1, 0, 2, bias: true, groups: 3),                 // padding 0, rows narrower than a vector
        Make(17, 9, 9, 12, 75, 3, 1, 1, 1, bias: true, groups: 9),               // rows of several 4-vector blocks
        Make(18, 4, 8, 9, 9, 3, 1, 3, 2, bias: true, groups: 4),                 // padding > d(k - 1): cropped input gradient
        Make(19, 6, 6, 5, 7, 1, 2, 1, 2, bias: true, groups: 6),                 // 1x1 depthwise, stride 2, padding > k - 1
        Make(20, 3, 6, 14, 10, 3, 3, 2, 2, bias: false, dilation: 2, groups: 3), // stride 3, multiplier 2

        // Grouped (1 < groups < Cin): one GEMM per channel group.
        Make(21, 6, 8, 11, 9, 3, 1, 1, 2, bias: true, groups: 2),
        Make(22, 8, 12, 13, 13, 3, 2, 1, 2, bias: false, dilation: 2, groups: 4), // im2col with dilated taps
        Make(23, 4, 4, 10, 12, 3, 1, 2, 1, bias: true, dilation: 2, groups: 2),   // shifted planes with dilated taps
        Make(24, 12, 8, 9, 11, 3, 1, 3, 2, bias: false, dilation: 3, groups: 4),  // dilation 3, padding k
        Make(25, 8, 8, 7, 9, 1, 1, 0, 2, bias: true, groups: 4),                  // grouped 1x1 (ShuffleNet)
        Make(26, 48, 48, 45, 45, 3, 1, 2, 1, bias: true, dilation: 2, groups: 2), // 2 threads: 2 row bands per group
        Make(27, 10, 6, 12, 11, 5, 2, 4, 2, bias: true, dilation: 1, groups: 2),  // 5x5, stride 2, padding 4

        // Dilation without groups.
        Make(28, 5, 7, 13, 14, 3, 1, 2, 2, bias: true, dilation: 2),
        Make(29, 3, 5, 16, 15, 3, 2, 3, 2, bias: false, dilation: 3),

        // Even kernels.
        Make(30, 4, 4, 8, 9, 2, 1, 2, 2, bias: false, groups: 4),             // depthwise 2x2, padding k
        Make(31, 6, 4, 9, 8, 2, 2, 1, 2, bias: true, dilation: 3, groups: 2), // grouped 2x2, dilation 3, stride 2

        // A ResNet stem in small: 7x7 / 2, padding 3, on a plane wide enough for the stride-2 im2col's vector
        // permutes (34 outputs a row: two Vector256 blocks or one Vector512 block and scalar tails) and odd.
        Make(32, 3, 8, 23, 67, 7, 2, 3, 2, bias: false),

        // Planes larger than a band on every machine (the band budget is 2 MiB where L2 has 1 MiB or more, see
        // ConvLowering): shifted planes in 3 bands (48 channels x 162 padded columns ~ 41 KiB a row, 120 rows), and
        // im2col in 3 bands (144 rows of 80 columns ~ 51 KiB a row, 100 output rows).
        Make(33, 48, 16, 120, 160, 3, 1, 1, 1, bias: true),
        Make(34, 16, 16, 200, 160, 3, 2, 1, 1, bias: false),
    ];

    private ConvKernelCase(Conv2dGeometry geometry, int batch, bool bias, int seed)
    {
        Geometry = geometry;
        Batch = batch;
        var random = new Random(seed);
        Input = RandomData.Uniform(random, batch * geometry.InputSampleLength);
        Weight = RandomData.Uniform(random, geometry.WeightLength, scale: 0.5);
        Bias = bias ? RandomData.Uniform(random, geometry.OutChannels) : [];
        GradOutput = RandomData.Uniform(random, batch * geometry.OutputSampleLength);
        GradWeightStart = RandomData.Uniform(random, geometry.WeightLength, scale: 0.1);
        GradBiasStart = bias ? RandomData.Uniform(random, geometry.OutChannels, scale: 0.1) : [];

        var layer = new ReferenceConv2d(
            "conv", geometry.InChannels, geometry.OutChannels, geometry.KernelSize, geometry.Stride, geometry.Padding, bias, geometry.Dilation, geometry.Groups);
        layer.Weight.CopyFrom(Weight);
        layer.Bias?.CopyFrom(Bias);
        ReferenceTensor y = layer.Forward(ReferenceTensor.FromFloats(Input, batch, geometry.InChannels, geometry.InHeight, geometry.InWidth));
        Output = y.Data;
        ReferenceTensor dx = layer.Backward(ReferenceTensor.FromFloats(GradOutput, y.Shape));
        GradInput = dx.Data;
        GradWeight = new double[geometry.WeightLength];
        for (int i = 0; i < GradWeight.Length; i++)
        {
            GradWeight[i] = GradWeightStart[i] + layer.Weight.Grad[i];
        }

        GradBias = new double[GradBiasStart.Length];
        for (int i = 0; i < GradBias.Length; i++)
        {
            GradBias[i] = GradBiasStart[i] + layer.Bias!.Grad[i];
        }

        int plane = geometry.OutputPlaneLength;
        ReluOutput = new double[Output.Length];
        for (int i = 0; i < Output.Length; i++)
        {
            ReluOutput[i] = Math.Max(0, Output[i]);
        }

        Statistics.PerChannel(Output, batch, geometry.OutChannels, plane, out double[] mean, out double[] variance);
        Mean = mean;
        Variance = variance;
    }

    /// <summary>Number of cases.</summary>
    public static int Count => Cases.Length;

    /// <summary>Shapes.</summary>
    public Conv2dGeometry Geometry { get; }

    /// <summary>Batch size.</summary>
    public int Batch { get; }

    /// <summary>Input.</summary>
    public float[] Input { get; }

    /// <summary>Weight.</summary>
    public float[] Weight { get; }

    /// <summary>Bias, or empty.</summary>
    public float[] Bias { get; }

    /// <summary>Output gradient.</summary>
    public float[] GradOutput { get; }

    /// <summary>Initial content of the weight gradient (accumulation is checked).</summary>
    public float[] GradWeightStart { get; }

    /// <summary>Initial content of the bias gradient, or empty.</summary>
    public float[] GradBiasStart { get; }

    /// <summary>Reference output (with bias).</summary>
    public double[] Output { get; }

    /// <summary>Reference output after ReLU.</summary>
    public double[] ReluOutput { get; }

    /// <summary>Per-channel mean of <see cref="Output"/>.</summary>
    public double[] Mean { get; }

    /// <summary>Per-channel biased variance of <see cref="Output"/>.</summary>
    public double[] Variance { get; }

    /// <summary>Reference input gradient.</summary>
    public double[] GradInput { get; }

    /// <summary>Start plus reference weight gradient.</summary>
    public double[] GradWeight { get; }

    /// <summary>Start plus reference bias gradient.</summary>
    public double[] GradBias { get; }

    /// <summary>The case with index <paramref name="index"/> (built once, shared by the tests).</summary>
    public static ConvKernelCase Get(int index) => Cases[index].Value;

    /// <inheritdoc />
    public override string ToString() => $"{Geometry} batch {Batch} bias {Bias.Length > 0}";

    private static Lazy<ConvKernelCase> Make(int seed, int cin, int cout, int h, int w, int k, int s, int p, int batch, bool bias, int dilation = 1, int groups = 1) =>
        new(() => new ConvKernelCase(new Conv2dGeometry(cin, cout, h, w, k, s, p, dilation, groups), batch, bias, 100 + seed), LazyThreadSafetyMode.ExecutionAndPublication);
}

/// <summary>Float64 BatchNorm statistics of reference tensors.</summary>
public static class Statistics
{
    /// <summary>Per-channel mean and biased variance of an <c>[N, C, plane]</c> tensor (two passes, float64).</summary>
    public static void PerChannel(double[] values, int batch, int channels, int plane, out double[] mean, out double[] variance)
    {
        mean = new double[channels];
        variance = new double[channels];
        double count = (double)batch * plane;
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int n = 0; n < batch; n++)
            {
                for (int i = 0; i < plane; i++)
                {
                    sum += values[((((n * channels) + c) * plane) + i)];
                }
            }

            double m = sum / count;
            double m2 = 0;
            for (int n = 0; n < batch; n++)
            {
                for (int i = 0; i < plane; i++)
                {
                    double d = values[((((n * channels) + c) * plane) + i)] - m;
                    m2 += d * d;
                }
            }

            mean[c] = m;
            variance[c] = m2 / count;
        }
    }
}
