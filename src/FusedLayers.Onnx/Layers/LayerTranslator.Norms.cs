using System;
using System.Linq;
using FusedLayers.Onnx.Graph;

namespace FusedLayers.Onnx.Layers;

/// <summary>
/// The normalisations in inference mode: BatchNorm and tracked InstanceNorm as BatchNormalization on the running
/// statistics (unfolded, so the initializers stay the state dict), untracked InstanceNorm as InstanceNormalization,
/// GroupNorm as InstanceNormalization over <c>[N, G, -1]</c>, LayerNorm as LayerNormalization, BatchRenorm as
/// <c>(x - mu) / sigma</c>, and a BatchNorm without running statistics (batch statistics even in inference) from
/// ReduceMean.
/// </summary>
internal static partial class LayerTranslator
{
    private static void BatchNorm(OnnxGraphBuilder b, LayerNode layer, string x, string y)
    {
        if (layer.TrackRunningStats)
        {
            RunningStatistics(b, layer, x, y);
            return;
        }

        // track_running_stats=False: the batch's own mean and biased variance, over the batch and spatial axes.
        string n = layer.Name;
        long[] axes = [0, .. Enumerable.Range(2, layer.InputShape.Count - 1).Select(a => (long)a)];
        string mean = b.Node("ReduceMean", b.Temp(n, "mean"), [x], OnnxAttribute.Of("axes", axes), OnnxAttribute.Of("keepdims", 1L));
        string centered = b.Node("Sub", b.Temp(n, "centered"), [x, mean]);
        string variance = b.Node(
            "ReduceMean", b.Temp(n, "variance"), [b.Node("Mul", b.Temp(n, "squared"), [centered, centered])], OnnxAttribute.Of("axes", axes), OnnxAttribute.Of("keepdims", 1L));
        string std = b.Node("Sqrt", b.Temp(n, "std"), [b.Node("Add", b.Temp(n, "variance_eps"), [variance, b.Scalar(n, "eps", layer.Eps)])]);
        Affine(b, layer, b.Node("Div", b.Temp(n, "normalized"), [centered, std]), y);
    }

    private static void InstanceNorm(OnnxGraphBuilder b, LayerNode layer, string x, string y)
    {
        if (layer.TrackRunningStats)
        {
            RunningStatistics(b, layer, x, y);
            return;
        }

        (string scale, string bias) = ScaleAndBias(b, layer, layer.NumFeatures);
        b.Node("InstanceNormalization", y, [x, scale, bias], OnnxAttribute.Of("epsilon", (float)layer.Eps));
    }

    /// <summary>BatchNormalization (inference) on the layer's running mean and variance.</summary>
    private static void RunningStatistics(OnnxGraphBuilder b, LayerNode layer, string x, string y)
    {
        string n = layer.Name;
        (string scale, string bias) = ScaleAndBias(b, layer, layer.NumFeatures);
        b.Node(
            "BatchNormalization",
            y,
            [x, scale, bias, b.State(layer.StatePrefix + ".running_mean"), b.State(layer.StatePrefix + ".running_var")],
            OnnxAttribute.Of("epsilon", (float)layer.Eps));
    }

    /// <summary>GroupNorm: statistics per sample and group through InstanceNormalization on <c>[N, G, -1]</c>, then the per-channel affine.</summary>
    private static void GroupNorm(OnnxGraphBuilder b, LayerNode layer, string x, string y)
    {
        string n = layer.Name;
        int groups = layer.NumGroups;
        string grouped = b.Node("Reshape", b.Temp(n, "grouped"), [x, b.Int64s(n, "group_shape", 0, groups, -1)]);
        string normalized = b.Node(
            "InstanceNormalization",
            b.Temp(n, "group_normalized"),
            [grouped, b.Constant(n, "group_ones", Filled(groups, 1f), groups), b.Constant(n, "group_zeros", new float[groups], groups)],
            OnnxAttribute.Of("epsilon", (float)layer.Eps));
        string shape = b.Int64s(n, "shape", [0, .. layer.InputShape.Select(d => (long)d)]);
        if (!layer.Affine)
        {
            b.Node("Reshape", y, [normalized, shape]);
            return;
        }

        Affine(b, layer, b.Node("Reshape", b.Temp(n, "ungrouped"), [normalized, shape]), y);
    }

    /// <summary>LayerNormalization over the trailing <c>normalized_shape</c> dimensions.</summary>
    private static void LayerNorm(OnnxGraphBuilder b, LayerNode layer, string x, string y)
    {
        string n = layer.Name;
        long[] dims = [.. layer.NormalizedShape.Select(d => (long)d)];
        int count = layer.NormalizedShape.Aggregate(1, (p, d) => p * d);
        string scale = layer.Affine ? b.State(layer.StatePrefix + ".weight") : b.Constant(n, "ones", Filled(count, 1f), dims);
        OnnxAttribute[] attributes = [OnnxAttribute.Of("axis", -(long)layer.NormalizedShape.Count), OnnxAttribute.Of("epsilon", (float)layer.Eps)];
        b.Node("LayerNormalization", y, layer.Bias ? [x, scale, b.State(layer.StatePrefix + ".bias")] : [x, scale], attributes);
    }

    /// <summary>BatchRenorm in inference: <c>(x - running_mean) / running_std</c> (a standard deviation, no epsilon), then the affine.</summary>
    private static void BatchRenorm(OnnxGraphBuilder b, LayerNode layer, string x, string y)
    {
        string n = layer.Name;
        string centered = b.Node("Sub", b.Temp(n, "centered"), [x, ChannelView(b, layer, b.State(layer.StatePrefix + ".running_mean"))]);
        Affine(b, layer, b.Node("Div", b.Temp(n, "normalized"), [centered, ChannelView(b, layer, b.State(layer.StatePrefix + ".running_std"))]), y);
    }

    /// <summary><c>y = x * weight + bias</c> per channel when affine, else the identity.</summary>
    private static void Affine(OnnxGraphBuilder b, LayerNode layer, string x, string y)
    {
        string n = layer.Name;
        if (!layer.Affine)
        {
            b.Node("Identity", y, [x]);
            return;
        }

        string scaled = b.Node("Mul", b.Temp(n, "scaled"), [x, ChannelView(b, layer, b.State(layer.StatePrefix + ".weight"))]);
        b.Node("Add", y, [scaled, ChannelView(b, layer, b.State(layer.StatePrefix + ".bias"))]);
    }

    /// <summary>A <c>[C]</c> tensor as <c>[C, 1, ...]</c>, broadcasting over the layer's per-sample spatial dimensions.</summary>
    private static string ChannelView(OnnxGraphBuilder b, LayerNode layer, string channels)
    {
        int spatial = layer.InputShape.Count - 1;
        if (spatial == 0)
        {
            return channels;
        }

        long[] axes = [.. Enumerable.Range(1, spatial).Select(a => (long)a)];
        return b.Node("Unsqueeze", b.Temp(layer.Name, channels.Substring(layer.Name.Length + 1) + "_view"), [channels, b.Int64s(layer.Name, "channel_axes", axes)]);
    }

    /// <summary>The layer's weight and bias, or constant ones and zeros when it has no affine part.</summary>
    private static (string Scale, string Bias) ScaleAndBias(OnnxGraphBuilder b, LayerNode layer, int channels) =>
        layer.Affine
            ? (b.State(layer.StatePrefix + ".weight"), b.State(layer.StatePrefix + ".bias"))
            : (b.Constant(layer.Name, "ones", Filled(channels, 1f), channels), b.Constant(layer.Name, "zeros", new float[channels], channels));

    private static float[] Filled(int count, float value)
    {
        float[] values = new float[count];
        Array.Fill(values, value);
        return values;
    }
}
