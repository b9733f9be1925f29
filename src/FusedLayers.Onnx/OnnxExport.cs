using System;
using System.Collections.Generic;
using System.IO;
using FusedLayers.Onnx.Graph;
using FusedLayers.Onnx.Layers;

namespace FusedLayers.Onnx;

/// <summary>
/// ONNX export of a generated model, like <c>torch.onnx.export</c> of a module in <c>eval()</c> mode: the inference
/// graph in the default domain at opset 17, the batch dimension symbolic (<c>N</c>), the graph input named
/// <c>input</c> and the output <c>output</c>, every parameter and running statistic an initializer named by its
/// state-dict key (BatchNorm stays a BatchNormalization node on <c>running_mean</c> / <c>running_var</c>, not folded).
/// </summary>
public static class OnnxExport
{
    /// <summary>The ONNX opset of the default domain that exported models import.</summary>
    public const int Opset = (int)OnnxGraphBuilder.Opset;

    /// <summary>Writes <paramref name="model"/>'s inference graph as an ONNX model file at <paramref name="path"/>.</summary>
    /// <remarks>
    /// The graph is what <c>Forward</c> computes after <c>Eval()</c>, whatever mode the model is in; the weights are
    /// copied at the time of the call. The whole model is translated before the file is created, so a layer that
    /// cannot be exported leaves no file behind.
    /// </remarks>
    /// <param name="model">The model.</param>
    /// <param name="path">File to create or overwrite (conventionally <c>*.onnx</c>).</param>
    /// <exception cref="NotSupportedException">A layer has no ONNX equivalent; the message names the layer.</exception>
    public static void ExportOnnx(this IFusedModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        OnnxGraphBuilder graph = Build(model);
        using FileStream file = File.Create(path);
        OnnxModelWriter.Write(file, graph, ProducerVersion);
    }

    /// <summary>Writes <paramref name="model"/>'s inference graph as an ONNX model to <paramref name="stream"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="stream">Writable stream; left open.</param>
    /// <exception cref="NotSupportedException">A layer has no ONNX equivalent; the message names the layer.</exception>
    public static void ExportOnnx(this IFusedModel model, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stream);
        OnnxModelWriter.Write(stream, Build(model), ProducerVersion);
    }

    /// <summary>The ONNX model of <paramref name="model"/>'s inference graph as bytes (for an in-memory ONNX Runtime session).</summary>
    /// <param name="model">The model.</param>
    /// <returns>The serialised <c>ModelProto</c>.</returns>
    /// <exception cref="NotSupportedException">A layer has no ONNX equivalent; the message names the layer.</exception>
    public static byte[] ToOnnx(this IFusedModel model)
    {
        using var stream = new MemoryStream();
        model.ExportOnnx(stream);
        return stream.ToArray();
    }

    private static string ProducerVersion => typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "0.0.0.0";

    /// <summary>Translates every layer (in declaration order) with the model's current float state.</summary>
    internal static OnnxGraphBuilder Build(IFusedModel model)
    {
        var state = new Dictionary<string, (int[] Shape, float[] Data)>(StringComparer.Ordinal);
        foreach (Parameter parameter in model.Parameters)
        {
            state[parameter.Name] = (parameter.Shape, parameter.Data);
        }

        foreach (Buffer buffer in model.Buffers)
        {
            if (buffer.ElementType == BufferElementType.Float32)
            {
                state[buffer.Name] = (buffer.Shape, buffer.FloatData);
            }
        }

        return Build(model.Graph, state);
    }

    /// <summary>Translates <paramref name="graph"/> with <paramref name="state"/> (float state by state-dict key).</summary>
    internal static OnnxGraphBuilder Build(ModelGraph graph, Dictionary<string, (int[] Shape, float[] Data)> state)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var builder = new OnnxGraphBuilder(graph.ModelName, graph.InputShape, graph.OutputShape, state);
        var tensors = new Dictionary<string, string>(StringComparer.Ordinal) { [ModelGraph.ModelInput] = builder.InputName };
        if (graph.Layers.Count == 0)
        {
            builder.Node("Identity", builder.OutputName, [builder.InputName]);
            return builder;
        }

        for (int i = 0; i < graph.Layers.Count; i++)
        {
            LayerNode layer = graph.Layers[i];
            var inputs = new List<string>(layer.Inputs.Count);
            foreach (string source in layer.Inputs)
            {
                if (!tensors.TryGetValue(source, out string? tensor))
                {
                    throw LayerTranslator.Unsupported(layer, $"it reads '{source}', which is not an earlier layer of the model");
                }

                inputs.Add(tensor);
            }

            string output = i == graph.Layers.Count - 1 ? builder.OutputName : builder.Unique(layer.Name);
            LayerTranslator.Translate(builder, layer, inputs, output);
            tensors[layer.Name] = output;
        }

        return builder;
    }
}
