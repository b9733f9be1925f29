using System.Linq;
using Onnx;

namespace FusedLayers.Benchmarks.Peers;

/// <summary>
/// The ResNet block (samples/ResNet's <c>ResNetStage</c>) as an ONNX graph, node for node as
/// torch.onnx.export writes torchvision's ResNet in inference mode: <c>Conv</c> (7x7, stride 2, pads 3) ->
/// <c>BatchNormalization</c> -> <c>Relu</c> -> <c>MaxPool</c> (3x3, stride 2, pads 1), two basic blocks
/// (<c>Conv</c> -> <c>BatchNormalization</c> -> <c>Relu</c> -> <c>Conv</c> -> <c>BatchNormalization</c> ->
/// <c>Add</c> (skip) -> <c>Relu</c>), <c>GlobalAveragePool</c> -> <c>Flatten</c> -> <c>Gemm</c> (<c>transB = 1</c>).
/// Initializers carry FusedLayers' state-dict names, parameters and running statistics.
/// </summary>
internal static class OnnxResNetModel
{
    /// <summary>The graph with <paramref name="data"/>'s weights; input <see cref="OnnxBlockModel.InputName"/>, output <see cref="OnnxBlockModel.OutputName"/>.</summary>
    public static GraphProto Graph(PeerBlock data)
    {
        var graph = new GraphProto { Name = "BlockResNet" };
        graph.Input.Add(OnnxBlockModel.Value(OnnxBlockModel.InputName, data.InputShape));
        graph.Output.Add(OnnxBlockModel.Value(OnnxBlockModel.OutputName, data.OutputShape));

        string stem = Relu(graph, ConvBatchNorm(graph, data, OnnxBlockModel.InputName, "Stem", "StemBn", kernel: 7, stride: 2, pad: 3), "StemRelu");
        string pooled = Node(graph, "MaxPool", "StemPool", [stem],
            OnnxBlockModel.Ints("kernel_shape", 3, 3), OnnxBlockModel.Ints("strides", 2, 2), OnnxBlockModel.Ints("pads", 1, 1, 1, 1));
        string block1 = BasicBlock(graph, data, pooled, "Block1");
        string block2 = BasicBlock(graph, data, block1, "Block2");
        string gap = Node(graph, "GlobalAveragePool", "Gap", [block2]);
        string flat = Node(graph, "Flatten", "Flat", [gap], new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        var fc = new NodeProto { Name = "Fc", OpType = "Gemm", Input = { flat, "Fc.weight", "Fc.bias" }, Output = { OnnxBlockModel.OutputName } };
        fc.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(fc);
        AddParameter(graph, data, "Fc.weight");
        AddParameter(graph, data, "Fc.bias");
        return graph;
    }

    /// <summary><c>relu(bn2(conv2(relu(bn1(conv1(x))))) + x)</c> with the layers <c>{prefix}Conv1</c>, <c>{prefix}Bn1</c>, ...</summary>
    private static string BasicBlock(GraphProto graph, PeerBlock data, string input, string prefix)
    {
        string h = Relu(graph, ConvBatchNorm(graph, data, input, prefix + "Conv1", prefix + "Bn1", kernel: 3, stride: 1, pad: 1), prefix + "Relu1");
        string main = ConvBatchNorm(graph, data, h, prefix + "Conv2", prefix + "Bn2", kernel: 3, stride: 1, pad: 1);
        return Relu(graph, Node(graph, "Add", prefix + "Add", [main, input]), prefix + "Relu2");
    }

    /// <summary>A bias-free <c>Conv</c> and its inference-mode <c>BatchNormalization</c>; returns the output's name.</summary>
    private static string ConvBatchNorm(GraphProto graph, PeerBlock data, string input, string conv, string batchNorm, int kernel, int stride, int pad)
    {
        AddParameter(graph, data, conv + ".weight");
        string z = Node(graph, "Conv", conv, [input, conv + ".weight"],
            OnnxBlockModel.Ints("kernel_shape", kernel, kernel), OnnxBlockModel.Ints("strides", stride, stride), OnnxBlockModel.Ints("pads", pad, pad, pad, pad));
        AddParameter(graph, data, batchNorm + ".weight");
        AddParameter(graph, data, batchNorm + ".bias");
        AddBuffer(graph, data, batchNorm + ".running_mean");
        AddBuffer(graph, data, batchNorm + ".running_var");
        return Node(graph, "BatchNormalization", batchNorm,
            [z, batchNorm + ".weight", batchNorm + ".bias", batchNorm + ".running_mean", batchNorm + ".running_var"],
            new AttributeProto { Name = "epsilon", Type = AttributeProto.Types.AttributeType.Float, F = 1e-5f });
    }

    private static string Relu(GraphProto graph, string input, string name) => Node(graph, "Relu", name, [input]);

    /// <summary>Adds a node named <paramref name="name"/> whose single output is also called <paramref name="name"/>.</summary>
    private static string Node(GraphProto graph, string opType, string name, string[] inputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { Name = name, OpType = opType, Input = { inputs }, Output = { name } };
        node.Attribute.Add(attributes);
        graph.Node.Add(node);
        return name;
    }

    private static void AddParameter(GraphProto graph, PeerBlock data, string name)
    {
        Parameter parameter = data.Model.Parameters.Single(p => p.Name == name);
        graph.Initializer.Add(OnnxBlockModel.Initializer(name, parameter.Data, [.. parameter.Shape.Select(d => (long)d)]));
    }

    private static void AddBuffer(GraphProto graph, PeerBlock data, string name)
    {
        Buffer buffer = data.Model.Buffers.Single(b => b.Name == name);
        graph.Initializer.Add(OnnxBlockModel.Initializer(name, buffer.FloatData, [.. buffer.Shape.Select(d => (long)d)]));
    }
}
