using System;
using System.Collections.Generic;
using System.Linq;

namespace FusedLayers.Onnx.Graph;

/// <summary>
/// Collects the nodes and initializers of one ONNX graph. State (parameters and running statistics) becomes an
/// initializer named by its state-dict key, added once on first use; helper constants and intermediate tensors
/// are named <c>{layer}/{what}</c>, which no state-dict key (<c>{layer}.{what}</c>) can be.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary>The default domain's opset: BatchNormalization-15, Conv-11, Gemm-13, LayerNormalization-17, ReduceMean-13 (axes as an attribute).</summary>
    public const long Opset = 17;

    private readonly Dictionary<string, (int[] Shape, float[] Data)> state;
    private readonly HashSet<string> names = new(StringComparer.Ordinal);
    private readonly HashSet<string> stateAdded = new(StringComparer.Ordinal);
    private readonly List<OnnxNode> nodes = [];
    private readonly List<OnnxTensor> initializers = [];

    /// <param name="name">Graph name.</param>
    /// <param name="inputShape">Per-sample input shape (the batch dimension is the symbolic <c>N</c>).</param>
    /// <param name="outputShape">Per-sample output shape.</param>
    /// <param name="state">Float state by state-dict key: shape and values.</param>
    public OnnxGraphBuilder(string name, IReadOnlyList<int> inputShape, IReadOnlyList<int> outputShape, Dictionary<string, (int[] Shape, float[] Data)> state)
    {
        Name = name;
        this.state = state;
        InputShape = [null, .. inputShape.Select(d => (long?)d)];
        OutputShape = [null, .. outputShape.Select(d => (long?)d)];
        names.Add(InputName);
        names.Add(OutputName);
    }

    /// <summary>Name of the graph input.</summary>
    public string InputName => "input";

    /// <summary>Name of the graph output.</summary>
    public string OutputName => "output";

    /// <summary>Graph name.</summary>
    public string Name { get; }

    /// <summary>Input shape; null is the batch dimension.</summary>
    public IReadOnlyList<long?> InputShape { get; }

    /// <summary>Output shape; null is the batch dimension.</summary>
    public IReadOnlyList<long?> OutputShape { get; }

    /// <summary>Nodes in topological (execution) order.</summary>
    public IReadOnlyList<OnnxNode> Nodes => nodes;

    /// <summary>Initializers: state first used order, constants interleaved.</summary>
    public IReadOnlyList<OnnxTensor> Initializers => initializers;

    /// <summary>Adds a node writing <paramref name="output"/>; returns <paramref name="output"/>.</summary>
    public string Node(string opType, string output, IReadOnlyList<string> inputs, params OnnxAttribute[] attributes)
    {
        nodes.Add(new OnnxNode(opType, output, inputs, [output], attributes));
        return output;
    }

    /// <summary>A fresh intermediate tensor name <c>{layer}/{what}</c>.</summary>
    public string Temp(string layer, string what) => Unique(layer + "/" + what);

    /// <summary>Reserves <paramref name="name"/> (a layer's output tensor), or a variant of it when taken.</summary>
    public string Unique(string name)
    {
        string candidate = name;
        for (int i = 1; !names.Add(candidate); i++)
        {
            candidate = name + "_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return candidate;
    }

    /// <summary>The initializer of state-dict entry <paramref name="key"/> (its own shape and values), added on first use.</summary>
    /// <exception cref="InvalidOperationException">The model has no float parameter or buffer of that name.</exception>
    public string State(string key)
    {
        if (!state.TryGetValue(key, out (int[] Shape, float[] Data) entry))
        {
            throw new InvalidOperationException($"ONNX export: the model's graph names state '{key}', which is not among its parameters and float buffers.");
        }

        if (stateAdded.Add(key))
        {
            names.Add(key);
            initializers.Add(new OnnxTensor(key, [.. entry.Shape.Select(d => (long)d)], (float[])entry.Data.Clone(), null));
        }

        return key;
    }

    /// <summary>A float constant <c>{layer}/{what}</c> of shape <paramref name="dims"/> (empty: a scalar).</summary>
    public string Constant(string layer, string what, float[] values, params long[] dims)
    {
        string name = Temp(layer, what);
        initializers.Add(new OnnxTensor(name, dims, values, null));
        return name;
    }

    /// <summary>A float scalar constant.</summary>
    public string Scalar(string layer, string what, double value) => Constant(layer, what, [(float)value]);

    /// <summary>A 1-D int64 constant (shapes and axes).</summary>
    public string Int64s(string layer, string what, params long[] values)
    {
        string name = Temp(layer, what);
        initializers.Add(new OnnxTensor(name, [values.Length], null, values));
        return name;
    }
}
