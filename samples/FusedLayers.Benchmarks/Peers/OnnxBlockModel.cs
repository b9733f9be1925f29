using System;
using System.Collections.Generic;
using System.Linq;
using FusedLayers.Onnx;
using Google.Protobuf;
using Onnx;

namespace FusedLayers.Benchmarks.Peers;

/// <summary>
/// Builds a block as an ONNX model in code: <c>Conv</c> (or <c>Gemm</c> with <c>transB = 1</c> for the
/// linear block) -> <c>BatchNormalization</c> (inference form: FusedLayers' running statistics) ->
/// <c>Relu</c>, weights as float initializers, fixed batch size. The messages are OnnxSharp 0.3.2's
/// generated ONNX protobuf types (namespace <c>Onnx</c>), serialised by Google.Protobuf 3.36.2. The ResNet
/// block's graph is built by <see cref="OnnxResNetModel"/> with the helpers here. The ResNet18 (and ResNet18b1) block's is FusedLayers'
/// own export (<see cref="OnnxExport.ToOnnx"/>: BatchNormalization nodes on the running statistics, which ONNX
/// Runtime folds itself; input <c>input</c> and output <c>output</c>, symbolic batch), so it is not built here.
/// </summary>
internal static class OnnxBlockModel
{
    /// <summary>ONNX <c>TensorProto.DataType.FLOAT</c>.</summary>
    private const int Float = 1;

    /// <summary>
    /// The default ONNX domain's opset used (BatchNormalization-15, Conv-11, Gemm-13, Relu-14; for the ResNet
    /// block also MaxPool-12, Add-14, GlobalAveragePool-1, Flatten-13).
    /// </summary>
    private const long Opset = 17;

    /// <summary>IR version 8 (ONNX 1.10+), which every current ONNX Runtime reads.</summary>
    private const long IrVersion = 8;

    /// <summary>Name of the graph input (of the graphs built here; the exported ResNet18 graph has its own names).</summary>
    public const string InputName = "x";

    /// <summary>Name of the graph output (of the graphs built here; the exported ResNet18 graph has its own names).</summary>
    public const string OutputName = "y";

    /// <summary>The serialised model of <paramref name="data"/>'s block with its weights and running statistics.</summary>
    public static byte[] Build(PeerBlock data)
    {
        if (data.Block == "ResNet")
        {
            return Serialise(OnnxResNetModel.Graph(data));
        }

        if (BlockShapes.IsResNet18(data.Block))
        {
            // ResNet18 and ResNet18b1 (batch 1; the export's batch dimension is symbolic). The exporter copies the weights and running statistics as they are now (after PeerBlock's training forward).
            return data.Model.ToOnnx();
        }

        var graph = new GraphProto { Name = "Block" + data.Block };
        graph.Input.Add(Value(InputName, data.InputShape));
        graph.Output.Add(Value(OutputName, data.OutputShape));

        var first = new NodeProto { Name = "first", Output = { "z" } };
        if (data.Block == "L")
        {
            first.OpType = "Gemm";
            first.Input.Add([InputName, "Fc.weight", "Fc.bias"]);
            first.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
            graph.Initializer.Add(Initializer("Fc.weight", data.Parameter("Fc.weight"), 256, 784));
            graph.Initializer.Add(Initializer("Fc.bias", data.Parameter("Fc.bias"), 256));
        }
        else
        {
            int inChannels = data.Model.InputShape[0];
            first.OpType = "Conv";
            first.Input.Add([InputName, "Conv.weight"]);
            first.Attribute.Add(Ints("kernel_shape", 3, 3));
            first.Attribute.Add(Ints("strides", 1, 1));
            first.Attribute.Add(Ints("pads", 1, 1, 1, 1));
            graph.Initializer.Add(Initializer("Conv.weight", data.Parameter("Conv.weight"), 64, inChannels, 3, 3));
            if (data.Model.Parameters.Any(p => p.Name == "Conv.bias"))
            {
                first.Input.Add("Conv.bias");
                graph.Initializer.Add(Initializer("Conv.bias", data.Parameter("Conv.bias"), 64));
            }
        }

        int channels = data.Block == "L" ? 256 : 64;
        var batchNorm = new NodeProto
        {
            Name = "bn",
            OpType = "BatchNormalization",
            Input = { "z", "Bn.weight", "Bn.bias", "Bn.running_mean", "Bn.running_var" },
            Output = { "n" },
            Attribute = { new AttributeProto { Name = "epsilon", Type = AttributeProto.Types.AttributeType.Float, F = 1e-5f } },
        };
        graph.Initializer.Add(Initializer("Bn.weight", data.Parameter("Bn.weight"), channels));
        graph.Initializer.Add(Initializer("Bn.bias", data.Parameter("Bn.bias"), channels));
        graph.Initializer.Add(Initializer("Bn.running_mean", data.FloatBuffer("Bn.running_mean"), channels));
        graph.Initializer.Add(Initializer("Bn.running_var", data.FloatBuffer("Bn.running_var"), channels));
        var relu = new NodeProto { Name = "relu", OpType = "Relu", Input = { "n" }, Output = { OutputName } };
        graph.Node.Add([first, batchNorm, relu]);
        return Serialise(graph);
    }

    /// <summary>The serialised model around <paramref name="graph"/> (IR version, opset, producer).</summary>
    public static byte[] Serialise(GraphProto graph)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "FusedLayers.Benchmarks",
            Graph = graph,
            OpsetImport = { new OperatorSetIdProto { Domain = string.Empty, Version = Opset } },
        };
        return model.ToByteArray();
    }

    /// <summary>The operator types of a serialised model's graph, in order (e.g. of ONNX Runtime's optimised model).</summary>
    public static IReadOnlyList<string> Operators(byte[] model)
    {
        ModelProto parsed = ModelProto.Parser.ParseFrom(model);
        return parsed.Graph.Node.Select(n => string.IsNullOrEmpty(n.Domain) ? n.OpType : $"{n.Domain}.{n.OpType}").ToArray();
    }

    /// <summary>A float graph input or output of a fixed shape.</summary>
    public static ValueInfoProto Value(string name, long[] shape)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = Float, Shape = new TensorShapeProto() };
        foreach (long d in shape)
        {
            tensor.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }

    /// <summary>A float initializer; throws unless <paramref name="values"/> has the shape's element count.</summary>
    public static TensorProto Initializer(string name, float[] values, params long[] dims)
    {
        long count = dims.Aggregate(1L, (a, b) => a * b);
        if (count != values.Length)
        {
            throw new ArgumentException($"{name}: {values.Length} values for shape [{string.Join(", ", dims)}].", nameof(values));
        }

        var tensor = new TensorProto { Name = name, DataType = Float, Dims = { dims } };
        tensor.FloatData.Add(values);
        return tensor;
    }

    /// <summary>An integer-list attribute.</summary>
    public static AttributeProto Ints(string name, params long[] values) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { values } };
}
