using System;
using System.Collections.Generic;
using System.IO;

namespace FusedLayers.Onnx.Tests;

/// <summary>A layer without an ONNX equivalent is refused with an error that names it, before anything is written.</summary>
public sealed class UnsupportedLayerTests
{
    private static readonly Dictionary<string, (int[] Shape, float[] Data)> NoState = new(StringComparer.Ordinal);

    [Fact]
    public void An_adaptive_pool_whose_output_size_does_not_divide_the_plane_is_refused_by_name()
    {
        var graph = new ModelGraph("Net", [4, 5, 5], [4, 2, 2],
        [
            new LayerNode("Relu", LayerOp.ReLU, [ModelGraph.ModelInput], [4, 5, 5], [4, 5, 5]),
            new LayerNode("Pool", LayerOp.AdaptiveAvgPool2d, ["Relu"], [4, 5, 5], [4, 2, 2]) { OutputSize = 2 },
        ]);

        NotSupportedException error = Assert.Throws<NotSupportedException>(() => OnnxExport.Build(graph, NoState));

        Assert.Equal(
            "ONNX export: layer 'Pool' (AdaptiveAvgPool2d) cannot be exported: output size 2 does not divide the 5x5 input plane (ONNX has no adaptive pooling).",
            error.Message);
    }

    [Fact]
    public void ExportOnnx_to_a_path_refuses_an_unexportable_layer_by_name_and_creates_no_file()
    {
        IFusedModel seed = ExportCases.Create(nameof(FusedLayers.Tests.Models.SeedModel), seed: 1);
        LayerNode[] layers = [.. seed.Graph.Layers, new LayerNode("Head", (LayerOp)999, ["Relu"], [64, 32, 32], [64, 32, 32])];
        var model = new GraphOverride(seed, new ModelGraph("SeedModel", [3, 32, 32], [64, 32, 32], layers));
        string path = Path.Combine(Path.GetTempPath(), $"fusedlayers-onnx-{Environment.ProcessId}-{Guid.NewGuid():N}.onnx");

        NotSupportedException error = Assert.Throws<NotSupportedException>(() => model.ExportOnnx(path));

        Assert.Equal("ONNX export: layer 'Head' (999) cannot be exported: its operation has no ONNX translation.", error.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Layers_named_like_the_graph_input_and_output_keep_their_tensors_apart()
    {
        var graph = new ModelGraph("Net", [3], [3],
        [
            new LayerNode("output", LayerOp.ReLU, [ModelGraph.ModelInput], [3], [3]),
            new LayerNode("input", LayerOp.Tanh, ["output"], [3], [3]),
            new LayerNode("Add", LayerOp.Residual, ["input", ModelGraph.ModelInput], [3], [3]),
        ]);

        using var stream = new MemoryStream();
        Graph.OnnxModelWriter.Write(stream, OnnxExport.Build(graph, NoState), "test");
        float[] output = OrtRunner.Run(stream.ToArray(), [-1f, 0.5f, 2f], 1, [3], 3);

        float[] expected = [-1f + 0f, 0.5f + MathF.Tanh(0.5f), 2f + MathF.Tanh(2f)];
        Assert.Equal(expected.Length, output.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], output[i], 1e-6f);
        }
    }

    [Fact]
    public void An_operation_the_exporter_does_not_know_is_refused_by_name()
    {
        var graph = new ModelGraph("Net", [3], [3], [new LayerNode("Mystery", (LayerOp)999, [ModelGraph.ModelInput], [3], [3])]);

        NotSupportedException error = Assert.Throws<NotSupportedException>(() => OnnxExport.Build(graph, NoState));

        Assert.Contains("layer 'Mystery'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_graph_that_names_state_the_model_lacks_is_refused_with_the_name()
    {
        var graph = new ModelGraph("Net", [3], [2], [new LayerNode("Fc", LayerOp.Linear, [ModelGraph.ModelInput], [3], [2]) { Parameters = ["Fc.weight"], InChannels = 3, OutChannels = 2 }]);

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => OnnxExport.Build(graph, NoState));

        Assert.Contains("'Fc.weight'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_adaptive_pool_whose_output_size_divides_the_plane_is_an_average_pool()
    {
        var graph = new ModelGraph("Net", [2, 4, 4], [2, 2, 2],
            [new LayerNode("Pool", LayerOp.AdaptiveAvgPool2d, [ModelGraph.ModelInput], [2, 4, 4], [2, 2, 2]) { OutputSize = 2 }]);
        float[] input = new float[2 * 16];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = i;
        }

        using var stream = new MemoryStream();
        Graph.OnnxModelWriter.Write(stream, OnnxExport.Build(graph, NoState), "test");
        float[] output = OrtRunner.Run(stream.ToArray(), input, 1, [2, 4, 4], 8);

        // Channel 0 holds 0..15 row-major: the top-left 2x2 block is {0, 1, 4, 5}, mean 2.5.
        Assert.Equal([2.5f, 4.5f, 10.5f, 12.5f, 18.5f, 20.5f, 26.5f, 28.5f], output);
    }
}
