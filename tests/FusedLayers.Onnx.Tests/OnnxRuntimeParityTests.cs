using System;
using System.Linq;
using Xunit.Abstractions;

namespace FusedLayers.Onnx.Tests;

/// <summary>
/// Every test model, exported and run in ONNX Runtime, gives FusedLayers' own inference output: within 1e-4 of the
/// output's largest magnitude, for one sample and for a batch of three (the batch dimension is symbolic). A model with
/// a BatchNorm without running statistics normalises with batch statistics even in inference, which (as in PyTorch)
/// needs more than one value per channel: it runs at batches 2 and 3 instead.
/// </summary>
public sealed class OnnxRuntimeParityTests(ITestOutputHelper output)
{
    /// <summary>Relative tolerance: of the largest output magnitude.</summary>
    private const double Tolerance = 1e-4;

    public static TheoryData<string> Models => ExportCases.Names();

    [Theory]
    [MemberData(nameof(Models))]
    public void Onnx_Runtime_matches_the_inference_forward_at_batch_1_and_3(string name)
    {
        IFusedModel model = ExportCases.Create(name, seed: 11);
        byte[] onnx = model.ToOnnx();
        var random = new Random(5);
        bool batchStatistics = model.Graph.Layers.Any(l => l.Op is LayerOp.BatchNorm1d or LayerOp.BatchNorm2d && !l.TrackRunningStats);
        foreach (int batch in new[] { batchStatistics ? 2 : 1, 3 })
        {
            float[] input = new float[batch * model.InputLength];
            ExportCases.Fill(input, random, -2.0, 2.0);
            float[] expected = new float[batch * model.OutputLength];
            model.Forward(input, expected);

            float[] actual = OrtRunner.Run(onnx, input, batch, [.. model.InputShape], model.OutputLength);

            double scale = Math.Max(expected.Max(v => Math.Abs((double)v)), 1e-6);
            double worst = expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).Max();
            output.WriteLine($"{name} batch {batch}: max |ORT - FusedLayers| = {worst:e3}, max |output| = {scale:g4}, relative {worst / scale:e3}");
            Assert.True(
                worst <= Tolerance * scale,
                $"{name}, batch {batch}: ONNX Runtime differs from FusedLayers by {worst:e3} (max |output| {scale:g4}, tolerance {Tolerance * scale:e3}).");
        }
    }
}
