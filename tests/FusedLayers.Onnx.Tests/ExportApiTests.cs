using System;
using System.IO;
using FusedLayers.Tests.Models;

namespace FusedLayers.Onnx.Tests;

/// <summary>The public entry points: a file path, a stream and bytes give the same model; the model's mode does not matter.</summary>
public sealed class ExportApiTests
{
    [Fact]
    public void ExportOnnx_to_a_path_writes_the_same_model_as_to_a_stream_and_ToOnnx()
    {
        IFusedModel model = ExportCases.Create(nameof(ResidualCnn), seed: 2);
        string path = Path.Combine(Path.GetTempPath(), $"fusedlayers-onnx-{Environment.ProcessId}-{Guid.NewGuid():N}.onnx");
        try
        {
            model.ExportOnnx(path);
            using var stream = new MemoryStream();
            model.ExportOnnx(stream);

            Assert.Equal(model.ToOnnx(), File.ReadAllBytes(path));
            Assert.Equal(model.ToOnnx(), stream.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_model_in_training_mode_exports_its_inference_graph_and_stays_in_training_mode()
    {
        IFusedModel model = ExportCases.Create(nameof(DropoutMlp), seed: 2);
        byte[] inEval = model.ToOnnx();
        model.Train();

        byte[] inTraining = model.ToOnnx();

        Assert.Equal(inEval, inTraining);
        Assert.True(model.Training);
    }

    [Fact]
    public void The_export_copies_the_weights_at_the_time_of_the_call()
    {
        IFusedModel model = ExportCases.Create(nameof(SeedModel), seed: 2);
        byte[] before = model.ToOnnx();
        model.Parameters[0].Data[0] += 1f;

        Assert.NotEqual(before, model.ToOnnx());
    }
}
