using System.Collections.Generic;
using System.Linq;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using FusedLayers.Generator.Planning;

namespace FusedLayers.Generator.Emit;

/// <summary>
/// <c>IFusedModel.Graph</c>: the declared layers as a runtime-neutral <c>ModelGraph</c> (operation, attribute arguments,
/// the tensors each reads, state-dict names), known at build time and emitted as one static field. Exporters
/// (FusedLayers.Onnx) read it; it says nothing about fusion.
/// </summary>
internal static partial class ModelEmitter
{
    private const string GraphNode = "global::FusedLayers.LayerNode";

    private static void WriteGraph(CodeWriter w, FusionPlan plan)
    {
        ModelSpec spec = plan.Spec;
        w.Line("global::FusedLayers.ModelGraph global::FusedLayers.IFusedModel.Graph => _flGraph;");
        w.Line();
        w.Line("private static readonly global::FusedLayers.ModelGraph _flGraph = new global::FusedLayers.ModelGraph(");
        w.Line("    " + StringLiteral(spec.ClassName) + ",");
        w.Line("    " + IntArray(spec.InputShape) + ",");
        w.Line("    " + IntArray(plan.Validation.Shapes.Count == 0 ? spec.InputShape : plan.Validation.Shapes[plan.Validation.Shapes.Count - 1].Output) + ",");
        w.Line($"    new {GraphNode}[]");
        w.Line("    {");
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            LayerSpec layer = spec.Layers[i];
            var inputs = new List<string> { i == 0 ? "" : spec.Layers[i - 1].Name };
            if (layer.Kind == LayerKind.Residual)
            {
                inputs.Add(LayerKinds.IsModelInput(spec, layer.From) ? "" : layer.From);
            }

            string node = $"        new {GraphNode}({StringLiteral(layer.Name)}, global::FusedLayers.LayerOp.{layer.Kind}, {StringArray(inputs)}, " +
                          $"{IntArray(plan.Validation.Shapes[i].Input)}, {IntArray(plan.Validation.Shapes[i].Output)})";
            List<string> assignments = GraphAssignments(layer).ToList();
            if (assignments.Count == 0)
            {
                w.Line(node + ",");
                continue;
            }

            w.Line(node);
            w.Line("        {");
            foreach (string assignment in assignments)
            {
                w.Line("            " + assignment + ",");
            }

            w.Line("        },");
        }

        w.Line("    });");
        w.Line();
    }

    /// <summary>The <c>LayerNode</c> initialiser of one layer: its state-dict names, then the arguments its operation uses.</summary>
    private static IEnumerable<string> GraphAssignments(LayerSpec layer)
    {
        (List<string> parameters, List<string> buffers) = StateNames(layer);
        if (layer.StateName.Length > 0)
        {
            yield return "StatePrefix = " + StringLiteral(layer.StateName);
        }

        if (parameters.Count > 0)
        {
            yield return "Parameters = " + StringArray(parameters);
        }

        if (buffers.Count > 0)
        {
            yield return "Buffers = " + StringArray(buffers);
        }

        switch (layer.Kind)
        {
            case LayerKind.Conv2d:
                yield return "InChannels = " + Shapes.Inv(layer.InChannels);
                yield return "OutChannels = " + Shapes.Inv(layer.OutChannels);
                yield return "KernelSize = " + Shapes.Inv(layer.KernelSize);
                yield return "Stride = " + Shapes.Inv(layer.Stride);
                yield return "Padding = " + Shapes.Inv(layer.Padding);
                yield return "Dilation = " + Shapes.Inv(layer.Dilation);
                yield return "Groups = " + Shapes.Inv(layer.Groups);
                yield return "Bias = " + Bool(layer.Bias);
                break;
            case LayerKind.Linear:
                yield return "InChannels = " + Shapes.Inv(layer.InChannels);
                yield return "OutChannels = " + Shapes.Inv(layer.OutChannels);
                yield return "Bias = " + Bool(layer.Bias);
                break;
            case LayerKind.BatchNorm1d or LayerKind.BatchNorm2d or LayerKind.InstanceNorm1d or LayerKind.InstanceNorm2d:
                yield return "NumFeatures = " + Shapes.Inv(layer.NumFeatures);
                yield return "Eps = " + Number(layer.Eps);
                yield return "Affine = " + Bool(layer.Affine);
                yield return "TrackRunningStats = " + Bool(layer.TrackRunningStats);
                break;
            case LayerKind.BatchRenorm1d or LayerKind.BatchRenorm2d:
                yield return "NumFeatures = " + Shapes.Inv(layer.NumFeatures);
                yield return "Eps = " + Number(layer.Eps);
                yield return "Affine = " + Bool(layer.Affine);
                yield return "TrackRunningStats = true";
                break;
            case LayerKind.GroupNorm:
                yield return "NumGroups = " + Shapes.Inv(layer.NumGroups);
                yield return "NumFeatures = " + Shapes.Inv(layer.NumFeatures);
                yield return "Eps = " + Number(layer.Eps);
                yield return "Affine = " + Bool(layer.Affine);
                break;
            case LayerKind.LayerNorm:
                yield return "NormalizedShape = " + IntArray(layer.NormalizedShape);
                yield return "Eps = " + Number(layer.Eps);
                yield return "Affine = " + Bool(layer.Affine);
                yield return "Bias = " + Bool(layer.Affine && layer.Bias);
                break;
            case LayerKind.MaxPool2d:
            case LayerKind.AvgPool2d:
                yield return "KernelSize = " + Shapes.Inv(layer.KernelSize);
                yield return "Stride = " + Shapes.Inv(layer.Stride);
                yield return "Padding = " + Shapes.Inv(layer.Padding);
                if (layer.Kind == LayerKind.AvgPool2d)
                {
                    yield return "CountIncludePad = " + Bool(layer.CountIncludePad);
                }

                break;
            case LayerKind.AdaptiveAvgPool2d:
                yield return "OutputSize = " + Shapes.Inv(layer.OutputSize);
                break;
            case LayerKind.Dropout:
                yield return "P = " + Number(layer.P);
                break;
            case LayerKind.Residual:
                yield return "Projection = " + Bool(layer.Projection);
                yield return "ProjectionStride = " + Shapes.Inv(layer.ProjectionStride);
                break;
            case LayerKind.LeakyReLU:
                yield return "NegativeSlope = " + Number(layer.NegativeSlope);
                break;
            case LayerKind.GELU:
                yield return "Approximate = " + StringLiteral(layer.Approximate);
                break;
        }
    }

    /// <summary>The state-dict names a layer contributes to <c>Parameters</c> and <c>Buffers</c>, as its runtime layer names them.</summary>
    private static (List<string> Parameters, List<string> Buffers) StateNames(LayerSpec layer)
    {
        string n = layer.StateKey;
        var parameters = new List<string>();
        var buffers = new List<string>();
        switch (layer.Kind)
        {
            case LayerKind.Conv2d or LayerKind.Linear:
                parameters.Add(n + ".weight");
                if (layer.Bias)
                {
                    parameters.Add(n + ".bias");
                }

                break;
            case LayerKind.LayerNorm:
                if (layer.Affine)
                {
                    parameters.Add(n + ".weight");
                    if (layer.Bias)
                    {
                        parameters.Add(n + ".bias");
                    }
                }

                break;
            case LayerKind.Residual:
                if (layer.Projection)
                {
                    parameters.AddRange(new[] { n + ".0.weight", n + ".1.weight", n + ".1.bias" });
                    buffers.AddRange(new[] { n + ".1.running_mean", n + ".1.running_var", n + ".1.num_batches_tracked" });
                }

                break;
            case var kind when LayerKinds.IsNorm(kind):
                if (layer.Affine)
                {
                    parameters.AddRange(new[] { n + ".weight", n + ".bias" });
                }

                if (LayerKinds.IsBatchRenorm(kind))
                {
                    buffers.AddRange(new[] { n + ".running_mean", n + ".running_std", n + ".num_batches_tracked" });
                }
                else if (kind != LayerKind.GroupNorm && layer.TrackRunningStats)
                {
                    buffers.AddRange(new[] { n + ".running_mean", n + ".running_var", n + ".num_batches_tracked" });
                }

                break;
        }

        return (parameters, buffers);
    }

    private static string IntArray(IEnumerable<int> values) =>
        values.Any() ? "new int[] { " + string.Join(", ", values.Select(Shapes.Inv)) + " }" : "global::System.Array.Empty<int>()";

    private static string StringArray(IEnumerable<string> values) => "new string[] { " + string.Join(", ", values.Select(StringLiteral)) + " }";

    private static string StringLiteral(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
