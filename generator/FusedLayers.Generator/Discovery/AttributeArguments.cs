using System.Collections.Generic;
using System.Linq;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using Microsoft.CodeAnalysis;

namespace FusedLayers.Generator.Discovery;

/// <summary>Copies a layer attribute's constructor and named arguments into a <see cref="LayerSpec"/>.</summary>
internal static class AttributeArguments
{
    public static LayerSpec Apply(LayerSpec layer, AttributeData attribute)
    {
        var values = new Dictionary<string, object?>();
        var parameters = attribute.AttributeConstructor?.Parameters;
        for (int i = 0; parameters is not null && i < attribute.ConstructorArguments.Length && i < parameters.Value.Length; i++)
        {
            TypedConstant argument = attribute.ConstructorArguments[i];
            values[char.ToUpperInvariant(parameters.Value[i].Name[0]) + parameters.Value[i].Name.Substring(1)] = Plain(argument);
        }

        foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
        {
            values[named.Key] = Plain(named.Value);
        }

        return layer.Kind switch
        {
            LayerKind.Conv2d => layer with
            {
                InChannels = Int(values, "InChannels", 0),
                OutChannels = Int(values, "OutChannels", 0),
                KernelSize = Int(values, "KernelSize", 0),
                Stride = Int(values, "Stride", 1),
                Padding = Int(values, "Padding", 0),
                Dilation = Int(values, "Dilation", 1),
                Groups = Int(values, "Groups", 1),
                Bias = Bool(values, "Bias", true),
                Algorithm = Int(values, "Algorithm", 0),
            },
            LayerKind.Linear => layer with
            {
                InChannels = Int(values, "InFeatures", 0),
                OutChannels = Int(values, "OutFeatures", 0),
                Bias = Bool(values, "Bias", true),
            },
            LayerKind.BatchNorm1d or LayerKind.BatchNorm2d => layer with
            {
                NumFeatures = Int(values, "NumFeatures", 0),
                Eps = Double(values, "Eps", 1e-5),
                Momentum = Double(values, "Momentum", 0.1),
                MomentumExplicit = values.ContainsKey("Momentum"),
                CumulativeAverage = Bool(values, "CumulativeAverage", false),
                Affine = Bool(values, "Affine", true),
                TrackRunningStats = Bool(values, "TrackRunningStats", true),
            },
            LayerKind.MaxPool2d or LayerKind.AvgPool2d => layer with
            {
                KernelSize = Int(values, "KernelSize", 0),
                Stride = Int(values, "Stride", 0) == 0 ? Int(values, "KernelSize", 0) : Int(values, "Stride", 0),
                Padding = Int(values, "Padding", 0),
                CountIncludePad = Bool(values, "CountIncludePad", true),
            },
            LayerKind.AdaptiveAvgPool2d => layer with { OutputSize = Int(values, "OutputSize", 1) },
            LayerKind.Dropout => layer with { P = Double(values, "P", 0.5) },
            LayerKind.Residual => layer with
            {
                From = values.TryGetValue("From", out object? from) ? from as string ?? "" : "",
                Projection = Bool(values, "Projection", false),
                ProjectionStride = Int(values, "ProjectionStride", 1),
                AutoProjection = Bool(values, "AutoProjection", false),
            },
            LayerKind.LayerNorm => layer with
            {
                NormalizedShape = values.TryGetValue("NormalizedShape", out object? shape) && shape is int[] dims ? dims.ToEquatableArray() : EquatableArray<int>.Empty,
                Eps = Double(values, "Eps", 1e-5),
                Affine = Bool(values, "ElementwiseAffine", true),
                Bias = Bool(values, "Bias", true),
                TrackRunningStats = false,
            },
            LayerKind.GroupNorm => layer with
            {
                NumGroups = Int(values, "NumGroups", 0),
                NumFeatures = Int(values, "NumChannels", 0),
                Eps = Double(values, "Eps", 1e-5),
                Affine = Bool(values, "Affine", true),
                TrackRunningStats = false,
            },
            LayerKind.InstanceNorm1d or LayerKind.InstanceNorm2d => layer with
            {
                NumFeatures = Int(values, "NumFeatures", 0),
                Eps = Double(values, "Eps", 1e-5),
                Momentum = Double(values, "Momentum", 0.1),
                MomentumExplicit = values.ContainsKey("Momentum"),
                Affine = Bool(values, "Affine", false),
                TrackRunningStats = Bool(values, "TrackRunningStats", false),
            },
            LayerKind.BatchRenorm1d or LayerKind.BatchRenorm2d => layer with
            {
                NumFeatures = Int(values, "NumFeatures", 0),
                Eps = Double(values, "Eps", 1e-5),
                Momentum = Double(values, "Momentum", 0.01),
                Affine = Bool(values, "Affine", true),
                TrackRunningStats = true,
                RMax = Double(values, "RMax", 1.0),
                DMax = Double(values, "DMax", 0.0),
            },
            LayerKind.LeakyReLU => layer with { NegativeSlope = Double(values, "NegativeSlope", 0.01) },
            LayerKind.GELU => layer with { Approximate = values.TryGetValue("Approximate", out object? a) ? a as string ?? "(null)" : "none" },
            _ => layer,
        };
    }

    /// <summary>The constant's value; an array becomes <c>int[]</c> (only LayerNorm's <c>normalized_shape</c> has one).</summary>
    private static object? Plain(TypedConstant constant)
    {
        if (constant.Kind != TypedConstantKind.Array)
        {
            return constant.Value;
        }

        return constant.IsNull ? null : constant.Values.Select(v => v.Value is int i ? i : 0).ToArray();
    }

    private static int Int(Dictionary<string, object?> values, string name, int fallback) =>
        values.TryGetValue(name, out object? value) && value is int i ? i : fallback;

    private static bool Bool(Dictionary<string, object?> values, string name, bool fallback) =>
        values.TryGetValue(name, out object? value) && value is bool b ? b : fallback;

    private static double Double(Dictionary<string, object?> values, string name, double fallback) =>
        values.TryGetValue(name, out object? value) && value is double d ? d : fallback;
}
