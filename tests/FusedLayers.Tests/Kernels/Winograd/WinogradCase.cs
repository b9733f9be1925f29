using System;
using System.Threading;
using FusedLayers.Kernels;
using FusedLayers.Reference;
using FusedLayers.Tests.Numerics;

namespace FusedLayers.Tests.Kernels.Winograd;

/// <summary>A 3x3 stride-1 convolution test shape with its data and float64 reference results (output, ReLU output, statistics).</summary>
public sealed class WinogradCase
{
    private static readonly Lazy<WinogradCase>[] Cases =
    [
        Make(0, 3, 5, 7, 9, 1, 2, bias: true),      // odd channels, partial tiles on both edges
        Make(1, 17, 24, 13, 13, 1, 1, bias: false), // odd input channels, no bias
        Make(2, 5, 7, 10, 11, 0, 2, bias: true),    // padding 0
        Make(3, 8, 9, 9, 7, 2, 2, bias: true),      // padding 2
        Make(4, 16, 16, 61, 61, 1, 2, bias: true),  // several tile batches per sample
        Make(5, 4, 6, 5, 6, 3, 1, bias: true),      // padding 3: output larger than the input
        Make(6, 9, 33, 8, 8, 1, 2, bias: false),    // output channels past one micro-tile block
        Make(7, 64, 64, 16, 16, 1, 2, bias: false), // ResNet-18 layer1 at 64x64 input: whole tiles, 64 channels
        Make(8, 128, 128, 8, 8, 1, 2, bias: false), // ResNet-18 layer2 at 64x64 input
    ];

    private WinogradCase(Conv2dGeometry geometry, int batch, bool bias, int seed)
    {
        Geometry = geometry;
        Batch = batch;
        var random = new Random(seed);
        Input = RandomData.Uniform(random, batch * geometry.InputSampleLength);
        Weight = RandomData.Uniform(random, geometry.WeightLength, scale: 0.5);
        Bias = bias ? RandomData.Uniform(random, geometry.OutChannels) : [];
        var layer = new ReferenceConv2d("conv", geometry.InChannels, geometry.OutChannels, 3, 1, geometry.Padding, bias);
        layer.Weight.CopyFrom(Weight);
        layer.Bias?.CopyFrom(Bias);
        ReferenceTensor y = layer.Forward(ReferenceTensor.FromFloats(Input, batch, geometry.InChannels, geometry.InHeight, geometry.InWidth));
        Output = y.Data;
        GradOutput = RandomData.Uniform(random, Output.Length);
        GradInput = layer.Backward(ReferenceTensor.FromFloats(GradOutput, y.Shape)).Data;
        ReluOutput = new double[Output.Length];
        for (int i = 0; i < Output.Length; i++)
        {
            ReluOutput[i] = Math.Max(0, Output[i]);
        }

        Statistics.PerChannel(Output, batch, geometry.OutChannels, geometry.OutputPlaneLength, out double[] mean, out double[] variance);
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

    /// <summary>Reference input gradient for <see cref="GradOutput"/>.</summary>
    public double[] GradInput { get; }

    /// <summary>Reference output.</summary>
    public double[] Output { get; }

    /// <summary>Reference output after ReLU.</summary>
    public double[] ReluOutput { get; }

    /// <summary>Per-channel mean of the output.</summary>
    public double[] Mean { get; }

    /// <summary>Per-channel biased variance of the output.</summary>
    public double[] Variance { get; }

    /// <summary>The case with index <paramref name="index"/> (built once).</summary>
    public static WinogradCase Get(int index) => Cases[index].Value;

    /// <inheritdoc />
    public override string ToString() => $"{Geometry} batch {Batch} bias {Bias.Length > 0}";

    private static Lazy<WinogradCase> Make(int seed, int cin, int cout, int h, int w, int p, int batch, bool bias) =>
        new(() => new WinogradCase(new Conv2dGeometry(cin, cout, h, w, 3, 1, p), batch, bias, 500 + seed), LazyThreadSafetyMode.ExecutionAndPublication);
}
