using System;
using System.Collections.Generic;

namespace FusedLayers;

/// <summary>
/// One layer of a <see cref="ModelGraph"/> as declared: its operation, the attribute arguments that define it, the
/// tensors it reads and the state-dict names of its parameters and buffers. Runtime-neutral (no kernels, no fusion):
/// what an exporter needs to rebuild the inference graph elsewhere. Properties that do not apply to
/// <see cref="Op"/> keep their defaults.
/// </summary>
public sealed class LayerNode
{
    private readonly string? statePrefix;

    /// <summary>Creates a node.</summary>
    /// <param name="name">Layer name (the property's name, the prefix of its state-dict keys).</param>
    /// <param name="op">Operation.</param>
    /// <param name="inputs">
    /// What it reads: layer names, or <see cref="ModelGraph.ModelInput"/> for the model input. One entry, except for a
    /// <see cref="LayerOp.Residual"/>: the previous layer's output, then the skip source.
    /// </param>
    /// <param name="inputShape">Per-sample shape of the first input (without the batch dimension).</param>
    /// <param name="outputShape">Per-sample shape of the output.</param>
    public LayerNode(string name, LayerOp op, IReadOnlyList<string> inputs, IReadOnlyList<int> inputShape, IReadOnlyList<int> outputShape)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(inputShape);
        ArgumentNullException.ThrowIfNull(outputShape);
        Name = name;
        Op = op;
        Inputs = inputs;
        InputShape = inputShape;
        OutputShape = outputShape;
    }

    /// <summary>Layer name (the property's name; for a layer of a block use, the use's name + "_" + the block's property name).</summary>
    public string Name { get; }

    /// <summary>
    /// The prefix of the layer's state-dict keys: its <c>[StateName]</c> with its block uses' (<c>layer1.0.conv1</c>),
    /// else <see cref="Name"/>.
    /// </summary>
    public string StatePrefix
    {
        get => statePrefix ?? Name;
        init => statePrefix = value;
    }

    /// <summary>Operation.</summary>
    public LayerOp Op { get; }

    /// <summary>Layer names read, or <see cref="ModelGraph.ModelInput"/>; a residual reads the previous output, then the skip source.</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>Per-sample shape of the first input.</summary>
    public IReadOnlyList<int> InputShape { get; }

    /// <summary>Per-sample shape of the output.</summary>
    public IReadOnlyList<int> OutputShape { get; }

    /// <summary>State-dict names of the learnable parameters, in the model's <c>Parameters</c> order.</summary>
    public IReadOnlyList<string> Parameters { get; init; } = [];

    /// <summary>State-dict names of the buffers, in the model's <c>Buffers</c> order.</summary>
    public IReadOnlyList<string> Buffers { get; init; } = [];

    /// <summary>Conv2d: input channels; Linear: <c>in_features</c>.</summary>
    public int InChannels { get; init; }

    /// <summary>Conv2d: output channels; Linear: <c>out_features</c>.</summary>
    public int OutChannels { get; init; }

    /// <summary>Conv2d and pooling: square kernel size.</summary>
    public int KernelSize { get; init; }

    /// <summary>Conv2d and pooling: stride (pooling's default, the kernel size, already applied).</summary>
    public int Stride { get; init; } = 1;

    /// <summary>Conv2d and pooling: zero (max pooling: -inf) padding on each side.</summary>
    public int Padding { get; init; }

    /// <summary>Conv2d: dilation.</summary>
    public int Dilation { get; init; } = 1;

    /// <summary>Conv2d: groups.</summary>
    public int Groups { get; init; } = 1;

    /// <summary>Conv2d and Linear: whether the layer has a bias; LayerNorm: whether its affine part has one.</summary>
    public bool Bias { get; init; }

    /// <summary>Normalisations: channels (<c>num_features</c>, GroupNorm's <c>num_channels</c>).</summary>
    public int NumFeatures { get; init; }

    /// <summary>Normalisations: epsilon.</summary>
    public double Eps { get; init; }

    /// <summary>Normalisations: whether weight and bias exist (LayerNorm's <c>elementwise_affine</c>).</summary>
    public bool Affine { get; init; }

    /// <summary>BatchNorm and InstanceNorm: whether running statistics are kept (and used in inference).</summary>
    public bool TrackRunningStats { get; init; }

    /// <summary>LayerNorm: the trailing per-sample dimensions normalised over.</summary>
    public IReadOnlyList<int> NormalizedShape { get; init; } = [];

    /// <summary>GroupNorm: groups.</summary>
    public int NumGroups { get; init; }

    /// <summary>AvgPool2d: whether padded zeros count in the divisor.</summary>
    public bool CountIncludePad { get; init; }

    /// <summary>AdaptiveAvgPool2d: output height and width.</summary>
    public int OutputSize { get; init; }

    /// <summary>Dropout: drop probability (unused in inference).</summary>
    public double P { get; init; }

    /// <summary>Residual: whether the skip runs through a 1x1 Conv2d (<c>{Name}.0</c>) + BatchNorm2d (<c>{Name}.1</c>) projection.</summary>
    public bool Projection { get; init; }

    /// <summary>Residual: the projection's stride.</summary>
    public int ProjectionStride { get; init; } = 1;

    /// <summary>LeakyReLU: slope for negative inputs.</summary>
    public double NegativeSlope { get; init; }

    /// <summary>GELU: <c>"none"</c> (exact) or <c>"tanh"</c>.</summary>
    public string Approximate { get; init; } = "none";

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Op}) <- {string.Join(", ", Inputs)}";
}
