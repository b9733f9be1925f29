using System.Collections.Generic;

namespace FusedLayers.Onnx.Graph;

/// <summary>One ONNX <c>NodeProto</c> of the default domain: operator, inputs and outputs by tensor name, attributes.</summary>
internal sealed record OnnxNode(string OpType, string Name, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyList<OnnxAttribute> Attributes);

/// <summary>Which field of an ONNX <c>AttributeProto</c> holds the value.</summary>
internal enum OnnxAttributeType
{
    /// <summary><c>FLOAT</c> (1).</summary>
    Float = 1,

    /// <summary><c>INT</c> (2).</summary>
    Int = 2,

    /// <summary><c>STRING</c> (3).</summary>
    String = 3,

    /// <summary><c>INTS</c> (7).</summary>
    Ints = 7,
}

/// <summary>One ONNX <c>AttributeProto</c>: a float, an integer, a string or a list of integers.</summary>
internal sealed record OnnxAttribute(string Name, OnnxAttributeType Type, float Float = 0, long Int = 0, string Text = "", IReadOnlyList<long>? Ints = null)
{
    public static OnnxAttribute Of(string name, float value) => new(name, OnnxAttributeType.Float, Float: value);

    public static OnnxAttribute Of(string name, long value) => new(name, OnnxAttributeType.Int, Int: value);

    public static OnnxAttribute Of(string name, string value) => new(name, OnnxAttributeType.String, Text: value);

    public static OnnxAttribute Of(string name, params long[] values) => new(name, OnnxAttributeType.Ints, Ints: values);
}

/// <summary>An initializer (<c>TensorProto</c>): float32 data, or int64 data for shapes and axes.</summary>
internal sealed record OnnxTensor(string Name, IReadOnlyList<long> Dims, float[]? Floats, long[]? Int64s);
