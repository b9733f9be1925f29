using System;
using System.Collections.Generic;
using FusedLayers.Onnx.Graph;

namespace FusedLayers.Onnx.Layers;

/// <summary>
/// Maps one <see cref="LayerNode"/> to ONNX nodes (opset 17) computing what the model computes in inference mode.
/// Anchors, pooling, activations and the skip add here; the normalisations in <c>.Norms</c>. Every translation
/// writes its result to the tensor it is given, so the graph reads like the declaration.
/// </summary>
internal static partial class LayerTranslator
{
    /// <summary>Appends the nodes of <paramref name="layer"/>, reading <paramref name="inputs"/> and writing <paramref name="y"/>.</summary>
    /// <exception cref="NotSupportedException">The layer has no ONNX equivalent; the message names it.</exception>
    public static void Translate(OnnxGraphBuilder b, LayerNode layer, IReadOnlyList<string> inputs, string y)
    {
        string x = inputs[0];
        string n = layer.Name;
        switch (layer.Op)
        {
            case LayerOp.Conv2d:
                Conv(b, layer, x, y);
                break;
            case LayerOp.Linear:
                b.Node("Gemm", y, layer.Bias ? [x, b.State(layer.StatePrefix + ".weight"), b.State(layer.StatePrefix + ".bias")] : [x, b.State(layer.StatePrefix + ".weight")], OnnxAttribute.Of("transB", 1L));
                break;
            case LayerOp.Flatten:
                b.Node("Flatten", y, [x], OnnxAttribute.Of("axis", 1L));
                break;
            case LayerOp.Dropout:
                b.Node("Identity", y, [x]);
                break;
            case LayerOp.ReLU:
                b.Node("Relu", y, [x]);
                break;
            case LayerOp.LeakyReLU:
                b.Node("LeakyRelu", y, [x], OnnxAttribute.Of("alpha", (float)layer.NegativeSlope));
                break;
            case LayerOp.ReLU6:
                b.Node("Clip", y, [x, b.Scalar(n, "min", 0.0), b.Scalar(n, "max", 6.0)]);
                break;
            case LayerOp.Sigmoid:
                b.Node("Sigmoid", y, [x]);
                break;
            case LayerOp.Tanh:
                b.Node("Tanh", y, [x]);
                break;
            case LayerOp.Hardswish:
                b.Node("HardSwish", y, [x]); // HardSwish-14: x * max(0, min(1, x / 6 + 1/2))
                break;
            case LayerOp.Mish:
                // Mish-18 is past the exported opset 17: x * Tanh(Softplus(x)).
                b.Node("Mul", y, [x, b.Node("Tanh", b.Temp(n, "tanh"), [b.Node("Softplus", b.Temp(n, "softplus"), [x])])]);
                break;
            case LayerOp.SiLU:
                b.Node("Mul", y, [x, b.Node("Sigmoid", b.Temp(n, "sigmoid"), [x])]);
                break;
            case LayerOp.GELU:
                Gelu(b, layer, x, y);
                break;
            case LayerOp.MaxPool2d:
                b.Node("MaxPool", y, [x], PoolAttributes(layer));
                break;
            case LayerOp.AvgPool2d:
                b.Node("AveragePool", y, [x], [.. PoolAttributes(layer), OnnxAttribute.Of("count_include_pad", layer.CountIncludePad ? 1L : 0L)]);
                break;
            case LayerOp.AdaptiveAvgPool2d:
                AdaptiveAvgPool(b, layer, x, y);
                break;
            case LayerOp.Residual:
                Residual(b, layer, x, inputs[1], y);
                break;
            case LayerOp.BatchNorm1d or LayerOp.BatchNorm2d:
                BatchNorm(b, layer, x, y);
                break;
            case LayerOp.InstanceNorm1d or LayerOp.InstanceNorm2d:
                InstanceNorm(b, layer, x, y);
                break;
            case LayerOp.GroupNorm:
                GroupNorm(b, layer, x, y);
                break;
            case LayerOp.LayerNorm:
                LayerNorm(b, layer, x, y);
                break;
            case LayerOp.BatchRenorm1d or LayerOp.BatchRenorm2d:
                BatchRenorm(b, layer, x, y);
                break;
            default:
                throw Unsupported(layer, "its operation has no ONNX translation");
        }
    }

    /// <summary>The error for a layer that cannot be exported: names the layer, its operation and why.</summary>
    public static NotSupportedException Unsupported(LayerNode layer, string why) =>
        new($"ONNX export: layer '{layer.Name}' ({layer.Op}) cannot be exported: {why}.");

    private static void Conv(OnnxGraphBuilder b, LayerNode layer, string x, string y)
    {
        string n = layer.Name;
        b.Node(
            "Conv",
            y,
            layer.Bias ? [x, b.State(layer.StatePrefix + ".weight"), b.State(layer.StatePrefix + ".bias")] : [x, b.State(layer.StatePrefix + ".weight")],
            OnnxAttribute.Of("kernel_shape", layer.KernelSize, layer.KernelSize),
            OnnxAttribute.Of("strides", layer.Stride, layer.Stride),
            OnnxAttribute.Of("pads", layer.Padding, layer.Padding, layer.Padding, layer.Padding),
            OnnxAttribute.Of("dilations", layer.Dilation, layer.Dilation),
            OnnxAttribute.Of("group", (long)layer.Groups));
    }

    /// <summary>
    /// GELU from opset-17 primitives: exact <c>0.5 x (1 + erf(x / sqrt 2))</c>, or the tanh form
    /// <c>0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))</c> (opset 20's Gelu op is not needed).
    /// </summary>
    private static void Gelu(OnnxGraphBuilder b, LayerNode layer, string x, string y)
    {
        string n = layer.Name;
        string inner;
        if (layer.Approximate == "tanh")
        {
            string cube = b.Node("Mul", b.Temp(n, "cube"), [b.Node("Mul", b.Temp(n, "square"), [x, x]), x]);
            string sum = b.Node("Add", b.Temp(n, "sum"), [x, b.Node("Mul", b.Temp(n, "cubic"), [cube, b.Scalar(n, "c", 0.044715)])]);
            string scaled = b.Node("Mul", b.Temp(n, "scaled"), [sum, b.Scalar(n, "sqrt_2_over_pi", Math.Sqrt(2.0 / Math.PI))]);
            inner = b.Node("Tanh", b.Temp(n, "tanh"), [scaled]);
        }
        else if (layer.Approximate == "none")
        {
            inner = b.Node("Erf", b.Temp(n, "erf"), [b.Node("Div", b.Temp(n, "over_sqrt2"), [x, b.Scalar(n, "sqrt2", Math.Sqrt(2.0))])]);
        }
        else
        {
            throw Unsupported(layer, $"approximate = \"{layer.Approximate}\" is neither \"none\" nor \"tanh\"");
        }

        string onePlus = b.Node("Add", b.Temp(n, "one_plus"), [inner, b.Scalar(n, "one", 1.0)]);
        string half = b.Node("Mul", b.Temp(n, "half_x"), [x, b.Scalar(n, "half", 0.5)]);
        b.Node("Mul", y, [half, onePlus]);
    }

    private static OnnxAttribute[] PoolAttributes(LayerNode layer) =>
    [
        OnnxAttribute.Of("kernel_shape", layer.KernelSize, layer.KernelSize),
        OnnxAttribute.Of("strides", layer.Stride, layer.Stride),
        OnnxAttribute.Of("pads", layer.Padding, layer.Padding, layer.Padding, layer.Padding),
    ];

    /// <summary>Output size 1 is GlobalAveragePool; a size that divides the plane is an AveragePool with kernel = stride; others have no single ONNX op.</summary>
    private static void AdaptiveAvgPool(OnnxGraphBuilder b, LayerNode layer, string x, string y)
    {
        int s = layer.OutputSize;
        if (s == 1)
        {
            b.Node("GlobalAveragePool", y, [x]);
            return;
        }

        int h = layer.InputShape[1], w = layer.InputShape[2];
        if (s < 1 || h % s != 0 || w % s != 0)
        {
            throw Unsupported(layer, $"output size {s} does not divide the {h}x{w} input plane (ONNX has no adaptive pooling)");
        }

        b.Node(
            "AveragePool",
            y,
            [x],
            OnnxAttribute.Of("kernel_shape", h / s, w / s),
            OnnxAttribute.Of("strides", h / s, w / s));
    }

    /// <summary>The skip add: <c>y = x + skip</c>, the skip through its 1x1 Conv (no bias) + BatchNormalization when projected.</summary>
    private static void Residual(OnnxGraphBuilder b, LayerNode layer, string x, string skip, string y)
    {
        string n = layer.Name;
        if (layer.Projection)
        {
            string conv = b.Node(
                "Conv",
                b.Temp(n, "projection"),
                [skip, b.State(layer.StatePrefix + ".0.weight")],
                OnnxAttribute.Of("kernel_shape", 1L, 1L),
                OnnxAttribute.Of("strides", layer.ProjectionStride, layer.ProjectionStride),
                OnnxAttribute.Of("pads", 0L, 0L, 0L, 0L));
            skip = b.Node(
                "BatchNormalization",
                b.Temp(n, "projection_bn"),
                [conv, b.State(layer.StatePrefix + ".1.weight"), b.State(layer.StatePrefix + ".1.bias"), b.State(layer.StatePrefix + ".1.running_mean"), b.State(layer.StatePrefix + ".1.running_var")],
                OnnxAttribute.Of("epsilon", 1e-5f));
        }

        b.Node("Add", y, [x, skip]);
    }
}
