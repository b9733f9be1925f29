using System;
using System.Collections.Generic;

namespace FusedLayers;

/// <summary>
/// A model's layers as a graph, known at build time and emitted by the generator into every model
/// (<see cref="IFusedModel.Graph"/>): the input shape, then each layer with what it reads, its attribute arguments
/// and its state-dict names, in declaration (and execution) order. The last layer's output is the model output.
/// Exporters (FusedLayers.Onnx) read it together with the model's <c>Parameters</c> and <c>Buffers</c>.
/// </summary>
public sealed class ModelGraph
{
    /// <summary>The name a <see cref="LayerNode.Inputs"/> entry uses for the model input (no layer name is empty).</summary>
    public const string ModelInput = "";

    /// <summary>Creates a graph.</summary>
    /// <param name="modelName">The model class's name.</param>
    /// <param name="inputShape">Per-sample input shape.</param>
    /// <param name="outputShape">Per-sample output shape.</param>
    /// <param name="layers">Layers in execution order.</param>
    public ModelGraph(string modelName, IReadOnlyList<int> inputShape, IReadOnlyList<int> outputShape, IReadOnlyList<LayerNode> layers)
    {
        ArgumentNullException.ThrowIfNull(modelName);
        ArgumentNullException.ThrowIfNull(inputShape);
        ArgumentNullException.ThrowIfNull(outputShape);
        ArgumentNullException.ThrowIfNull(layers);
        ModelName = modelName;
        InputShape = inputShape;
        OutputShape = outputShape;
        Layers = layers;
    }

    /// <summary>The model class's name.</summary>
    public string ModelName { get; }

    /// <summary>Per-sample input shape (without the batch dimension).</summary>
    public IReadOnlyList<int> InputShape { get; }

    /// <summary>Per-sample output shape.</summary>
    public IReadOnlyList<int> OutputShape { get; }

    /// <summary>Layers in execution order; the last one's output is the model output.</summary>
    public IReadOnlyList<LayerNode> Layers { get; }
}
