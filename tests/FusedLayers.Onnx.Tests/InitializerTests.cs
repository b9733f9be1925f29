using System;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;

namespace FusedLayers.Onnx.Tests;

/// <summary>
/// What the exported file holds, read back with OnnxSharp's ONNX protobuf types: the state dict as initializers
/// (same names, shapes and values), the symbolic batch dimension, opset 17; and the graph the generator emits
/// names exactly the model's parameters and buffers.
/// </summary>
public sealed class InitializerTests
{
    public static TheoryData<string> Models => ExportCases.Names();

    [Theory]
    [MemberData(nameof(Models))]
    public void The_initializers_are_the_state_dict_with_its_names_shapes_and_values(string name)
    {
        IFusedModel model = ExportCases.Create(name, seed: 3);
        global::Onnx.ModelProto proto = global::Onnx.ModelProto.Parser.ParseFrom(model.ToOnnx());

        // Helper constants are named {layer}/{what}; everything else is a state-dict entry.
        Dictionary<string, global::Onnx.TensorProto> state = proto.Graph.Initializer
            .Where(t => !t.Name.Contains('/', StringComparison.Ordinal))
            .ToDictionary(t => t.Name, StringComparer.Ordinal);
        string[] expectedNames = [.. model.Parameters.Select(p => p.Name), .. model.Buffers.Where(b => b.ElementType == BufferElementType.Float32).Select(b => b.Name)];
        Assert.Equal(expectedNames.Order(StringComparer.Ordinal), state.Keys.Order(StringComparer.Ordinal));

        foreach (Parameter parameter in model.Parameters)
        {
            AssertTensor(state[parameter.Name], parameter.Shape, parameter.Data);
        }

        foreach (Buffer buffer in model.Buffers.Where(b => b.ElementType == BufferElementType.Float32))
        {
            AssertTensor(state[buffer.Name], buffer.Shape, buffer.FloatData);
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_graph_input_and_output_have_a_symbolic_batch_and_the_model_shapes(string name)
    {
        IFusedModel model = ExportCases.Create(name, seed: 3);
        global::Onnx.ModelProto proto = global::Onnx.ModelProto.Parser.ParseFrom(model.ToOnnx());

        Assert.Equal(OnnxExport.Opset, proto.OpsetImport.Single(o => o.Domain.Length == 0).Version);
        Assert.Equal("input", proto.Graph.Input.Single().Name);
        Assert.Equal("output", proto.Graph.Output.Single().Name);
        AssertShape(proto.Graph.Input.Single(), model.InputShape);
        AssertShape(proto.Graph.Output.Single(), model.OutputShape);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_emitted_graph_names_the_models_parameters_and_buffers_in_order(string name)
    {
        IFusedModel model = ExportCases.Create(name, seed: 3);

        Assert.Equal(model.Parameters.Select(p => p.Name), model.Graph.Layers.SelectMany(l => l.Parameters));
        Assert.Equal(model.Buffers.Select(b => b.Name), model.Graph.Layers.SelectMany(l => l.Buffers));
        Assert.Equal(model.InputShape, model.Graph.InputShape);
        Assert.Equal(model.OutputShape, model.Graph.OutputShape);
    }

    [Fact]
    public void BatchNorm_is_exported_unfolded_as_BatchNormalization_on_the_running_statistics()
    {
        IFusedModel model = ExportCases.Create(nameof(FusedLayers.Tests.Models.SeedModel), seed: 3);
        global::Onnx.ModelProto proto = global::Onnx.ModelProto.Parser.ParseFrom(model.ToOnnx());

        Assert.Equal(["Conv", "BatchNormalization", "Relu"], proto.Graph.Node.Select(n => n.OpType));
        Assert.Equal(["Conv", "Bn.weight", "Bn.bias", "Bn.running_mean", "Bn.running_var"], proto.Graph.Node[1].Input);
    }

    private static void AssertTensor(global::Onnx.TensorProto tensor, int[] shape, float[] data)
    {
        Assert.Equal(shape.Select(d => (long)d), tensor.Dims);
        Assert.Equal((int)global::Onnx.TensorProto.Types.DataType.Float, tensor.DataType);
        float[] values = new float[data.Length];
        Assert.Equal(data.Length * 4, tensor.RawData.Length);
        System.Buffer.BlockCopy(tensor.RawData.ToByteArray(), 0, values, 0, values.Length * 4);
        Assert.Equal(data, values);
    }

    private static void AssertShape(global::Onnx.ValueInfoProto value, IReadOnlyList<int> shape)
    {
        var dims = value.Type.TensorType.Shape.Dim;
        Assert.Equal("N", dims[0].DimParam);
        Assert.Equal(shape.Select(d => (long)d), dims.Skip(1).Select(d => d.DimValue));
    }
}
