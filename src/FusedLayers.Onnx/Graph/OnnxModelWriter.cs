using System.Collections.Generic;
using System.IO;
using FusedLayers.Onnx.Protobuf;

namespace FusedLayers.Onnx.Graph;

/// <summary>
/// Serialises a built graph as an ONNX <c>ModelProto</c>. The field numbers are those of onnx.proto (the ONNX
/// specification's schema): ModelProto ir_version 1, producer_name 2, producer_version 3, graph 7, opset_import 8;
/// GraphProto node 1, name 2, initializer 5, input 11, output 12; NodeProto input 1, output 2, name 3, op_type 4,
/// attribute 5; AttributeProto name 1, f 2, i 3, s 4, ints 8, type 20; TensorProto dims 1, data_type 2,
/// int64_data 7, name 8, raw_data 9; ValueInfoProto name 1, type 2; TypeProto tensor_type 1; TypeProto.Tensor
/// elem_type 1, shape 2; TensorShapeProto dim 1; Dimension dim_value 1, dim_param 2; OperatorSetIdProto domain 1,
/// version 2.
/// </summary>
internal static class OnnxModelWriter
{
    /// <summary>IR version 8 (ONNX 1.10), the first that carries opset 17.</summary>
    public const long IrVersion = 8;

    /// <summary>ONNX <c>TensorProto.DataType.FLOAT</c>.</summary>
    private const int FloatType = 1;

    /// <summary>ONNX <c>TensorProto.DataType.INT64</c>.</summary>
    private const int Int64Type = 7;

    /// <summary>Writes the model to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, OnnxGraphBuilder graph, string producerVersion)
    {
        var model = new ProtoWriter();
        model.Int64(1, IrVersion);
        model.String(2, "FusedLayers");
        model.String(3, producerVersion);
        model.Message(7, g => WriteGraph(g, graph));
        model.Message(8, o =>
        {
            o.String(1, "");
            o.Int64(2, OnnxGraphBuilder.Opset);
        });
        model.WriteTo(stream);
    }

    private static void WriteGraph(ProtoWriter g, OnnxGraphBuilder graph)
    {
        foreach (OnnxNode node in graph.Nodes)
        {
            g.Message(1, n => WriteNode(n, node));
        }

        g.String(2, graph.Name);
        foreach (OnnxTensor tensor in graph.Initializers)
        {
            g.Message(5, t => WriteTensor(t, tensor));
        }

        g.Message(11, v => WriteValueInfo(v, graph.InputName, graph.InputShape));
        g.Message(12, v => WriteValueInfo(v, graph.OutputName, graph.OutputShape));
    }

    private static void WriteNode(ProtoWriter n, OnnxNode node)
    {
        foreach (string input in node.Inputs)
        {
            n.String(1, input);
        }

        foreach (string output in node.Outputs)
        {
            n.String(2, output);
        }

        n.String(3, node.Name);
        n.String(4, node.OpType);
        foreach (OnnxAttribute attribute in node.Attributes)
        {
            n.Message(5, a => WriteAttribute(a, attribute));
        }
    }

    private static void WriteAttribute(ProtoWriter a, OnnxAttribute attribute)
    {
        a.String(1, attribute.Name);
        switch (attribute.Type)
        {
            case OnnxAttributeType.Float:
                a.Float(2, attribute.Float);
                break;
            case OnnxAttributeType.Int:
                a.Int64(3, attribute.Int);
                break;
            case OnnxAttributeType.String:
                a.String(4, attribute.Text);
                break;
            case OnnxAttributeType.Ints:
                a.PackedInt64(8, [.. attribute.Ints ?? []]);
                break;
        }

        a.Int64(20, (int)attribute.Type);
    }

    private static void WriteTensor(ProtoWriter t, OnnxTensor tensor)
    {
        if (tensor.Dims.Count > 0)
        {
            t.PackedInt64(1, [.. tensor.Dims]);
        }

        t.Int64(2, tensor.Floats is null ? Int64Type : FloatType);
        t.String(8, tensor.Name);
        if (tensor.Floats is { } floats)
        {
            t.RawFloats(9, floats);
        }
        else
        {
            t.PackedInt64(7, tensor.Int64s ?? []);
        }
    }

    /// <summary>A float tensor value; a null dimension is the symbolic batch size <c>N</c>.</summary>
    private static void WriteValueInfo(ProtoWriter v, string name, IReadOnlyList<long?> shape)
    {
        v.String(1, name);
        v.Message(2, type => type.Message(1, tensor =>
        {
            tensor.Int64(1, FloatType);
            tensor.Message(2, s =>
            {
                foreach (long? dim in shape)
                {
                    s.Message(1, d =>
                    {
                        if (dim is { } value)
                        {
                            d.Int64(1, value);
                        }
                        else
                        {
                            d.String(2, "N");
                        }
                    });
                }
            });
        }));
    }
}
