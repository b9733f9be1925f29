using System;
using System.Threading;
using FusedLayers.Kernels;
using FusedLayers.Reference;
using FusedLayers.Tests.Numerics;

namespace FusedLayers.Tests.Kernels;

/// <summary>A fully connected test shape, with its data and float64 reference results.</summary>
public sealed class LinearKernelCase
{
    private static readonly Lazy<LinearKernelCase>[] Cases =
    [
        Make(0, 37, 1000, 2, bias: true),   // 1000 outputs, odd in_features
        Make(1, 784, 1000, 1, bias: false), // batch 1
        Make(2, 5, 3, 3, bias: true),       // narrower than one vector both ways
        Make(3, 20, 16, 13, bias: true),    // the test model's layer, batch not a multiple of the tile rows
        Make(4, 17, 24, 7, bias: false),
    ];

    private LinearKernelCase(LinearGeometry geometry, int batch, bool bias, int seed)
    {
        Geometry = geometry;
        Batch = batch;
        int inF = geometry.InFeatures, outF = geometry.OutFeatures;
        var random = new Random(seed);
        Input = RandomData.Uniform(random, batch * inF);
        Weight = RandomData.Uniform(random, outF * inF, scale: 0.5);
        Bias = bias ? RandomData.Uniform(random, outF) : [];
        GradOutput = RandomData.Uniform(random, batch * outF);
        GradWeightStart = RandomData.Uniform(random, outF * inF, scale: 0.1);
        GradBiasStart = bias ? RandomData.Uniform(random, outF, scale: 0.1) : [];

        var layer = new ReferenceLinear("fc", inF, outF, bias);
        layer.Weight.CopyFrom(Weight);
        layer.Bias?.CopyFrom(Bias);
        ReferenceTensor y = layer.Forward(ReferenceTensor.FromFloats(Input, batch, inF));
        Output = y.Data;
        GradInput = layer.Backward(ReferenceTensor.FromFloats(GradOutput, batch, outF)).Data;
        GradWeight = new double[GradWeightStart.Length];
        for (int i = 0; i < GradWeight.Length; i++)
        {
            GradWeight[i] = GradWeightStart[i] + layer.Weight.Grad[i];
        }

        GradBias = new double[GradBiasStart.Length];
        for (int i = 0; i < GradBias.Length; i++)
        {
            GradBias[i] = GradBiasStart[i] + layer.Bias!.Grad[i];
        }

        ReluOutput = new double[Output.Length];
        for (int i = 0; i < Output.Length; i++)
        {
            ReluOutput[i] = Math.Max(0, Output[i]);
        }

        Statistics.PerChannel(Output, batch, outF, 1, out double[] mean, out double[] variance);
        Mean = mean;
        Variance = variance;
    }

    /// <summary>Number of cases.</summary>
    public static int Count => Cases.Length;

    /// <summary>Shapes.</summary>
    public LinearGeometry Geometry { get; }

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

    /// <summary>Initial content of the weight gradient.</summary>
    public float[] GradWeightStart { get; }

    /// <summary>Initial content of the bias gradient, or empty.</summary>
    public float[] GradBiasStart { get; }

    /// <summary>Reference output.</summary>
    public double[] Output { get; }

    /// <summary>Reference output after ReLU.</summary>
    public double[] ReluOutput { get; }

    /// <summary>Per-feature mean over the batch.</summary>
    public double[] Mean { get; }

    /// <summary>Per-feature biased variance over the batch.</summary>
    public double[] Variance { get; }

    /// <summary>Reference input gradient.</summary>
    public double[] GradInput { get; }

    /// <summary>Start plus reference weight gradient.</summary>
    public double[] GradWeight { get; }

    /// <summary>Start plus reference bias gradient.</summary>
    public double[] GradBias { get; }

    /// <summary>The case with index <paramref name="index"/>.</summary>
    public static LinearKernelCase Get(int index) => Cases[index].Value;

    /// <inheritdoc />
    public override string ToString() => $"{Geometry} batch {Batch} bias {Bias.Length > 0}";

    private static Lazy<LinearKernelCase> Make(int seed, int inF, int outF, int batch, bool bias) =>
        new(() => new LinearKernelCase(new LinearGeometry(inF, outF), batch, bias, 200 + seed), LazyThreadSafetyMode.ExecutionAndPublication);
}
