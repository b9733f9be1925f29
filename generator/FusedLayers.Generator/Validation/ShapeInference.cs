using System.Collections.Generic;
using System.Linq;
using FusedLayers.Generator.Diagnostics;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;

namespace FusedLayers.Generator.Validation;

/// <summary>FL02xx: per-sample shapes through the chain; stops at the first mismatch to avoid cascades.</summary>
internal static class ShapeInference
{
    /// <summary>
    /// Infers every layer's per-sample shape. Stops without a diagnostic at the first layer named in
    /// <paramref name="badArguments"/> (its own arguments are wrong, so its output shape is unknown).
    /// </summary>
    /// <param name="spec">The model.</param>
    /// <param name="diagnostics">Receives the FL02xx diagnostics.</param>
    /// <param name="badArguments">Layers whose own arguments are wrong.</param>
    /// <param name="resolved">
    /// When given, each layer reached gets its use-site arguments (<c>BlockParameter.Inferred</c>, <c>AutoProjection</c>)
    /// from the shapes and is appended here, the failing one last.
    /// </param>
    public static List<LayerShape>? Infer(ModelSpec spec, List<DiagnosticInfo> diagnostics, ISet<string>? badArguments = null, List<LayerSpec>? resolved = null)
    {
        var shapes = new List<LayerShape>();
        int[] current = spec.InputShape.ToArray();
        string source = "the model input";
        var outputs = new Dictionary<string, int[]>();
        foreach (LayerSpec declared in spec.Layers)
        {
            LayerSpec layer = declared;
            if (resolved is not null)
            {
                layer = UseSiteArguments.Resolve(spec, layer, current, outputs);
                resolved.Add(layer);
            }

            if (badArguments?.Contains(layer.Name) == true)
            {
                return null;
            }

            int[]? next = layer.Kind == LayerKind.Residual
                ? Residual(spec, layer, current, outputs, diagnostics)
                : Next(layer, current, source, diagnostics);
            if (next is null)
            {
                return null;
            }

            if (Shapes.LongLength(next) > Shapes.MaxSampleLength)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.ActivationTooLarge, layer.AttributeLocation, layer.Name, Shapes.FormatCount(Shapes.LongLength(next)), Shapes.Format(next)));
                return null;
            }

            if (!WeightsFit(layer, current, diagnostics))
            {
                return null;
            }

            shapes.Add(new LayerShape(current.ToEquatableArray(), next.ToEquatableArray()));
            current = next;
            outputs[layer.Name] = next;
            source = "output of '" + layer.Name + "'";
        }

        return shapes;
    }

    /// <summary>
    /// FL0204 before the int arithmetic of the output size: a huge padding makes the output plane larger than an int
    /// holds, and the message must show the true size, not a clamped one.
    /// </summary>
    private static bool OutputPlaneFits(LayerSpec layer, int[] input, int channels, int dilation, List<DiagnosticInfo> diagnostics)
    {
        long oh = ShapeMath.ConvOutputSizeLong(input[1], layer.KernelSize, layer.Stride, layer.Padding, dilation);
        long ow = ShapeMath.ConvOutputSizeLong(input[2], layer.KernelSize, layer.Stride, layer.Padding, dilation);
        if (oh <= int.MaxValue && ow <= int.MaxValue)
        {
            return true;
        }

        long elements = oh > long.MaxValue / System.Math.Max(1L, ow) / System.Math.Max(1, channels) ? long.MaxValue : channels * oh * ow;
        diagnostics.Add(DiagnosticInfo.Create(
            DiagnosticDescriptors.ActivationTooLarge, layer.AttributeLocation, layer.Name, Shapes.FormatCount(elements),
            "[" + string.Join(", ", new[] { (long)channels, oh, ow }.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]"));
        return false;
    }

    /// <summary>FL0207: a layer's weight tensor (or a convolution's unfolded input) must fit one array the runtime indexes.</summary>
    private static bool WeightsFit(LayerSpec layer, int[] input, List<DiagnosticInfo> diagnostics)
    {
        long weights = layer.Kind switch
        {
            LayerKind.Conv2d => Shapes.Product(layer.OutChannels, layer.Groups <= 0 ? 0 : layer.InChannels / layer.Groups, layer.KernelSize, layer.KernelSize),
            LayerKind.Linear => Shapes.Product(layer.OutChannels, layer.InChannels),
            LayerKind.Residual when layer.Projection => Shapes.Product(input[0], input[0]),
            _ => 0,
        };
        if (weights > Shapes.MaxSampleLength)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.WeightsTooLarge, layer.AttributeLocation, layer.Name, Shapes.FormatCount(weights), "weights"));
            return false;
        }

        return true;
    }

    /// <summary>A skip connection: the source must be an earlier computing layer, and the shapes must agree at the add.</summary>
    private static int[]? Residual(ModelSpec spec, LayerSpec layer, int[] input, Dictionary<string, int[]> outputs, List<DiagnosticInfo> diagnostics)
    {
        bool fromInput = LayerKinds.IsModelInput(spec, layer.From);
        LayerSpec? target = spec.Layers.FirstOrDefault(l => l.Name == layer.From);
        string? problem = fromInput ? null
            : target is null ? "names no layer of this model (the model input is \"" + LayerKinds.ModelInputName + "\", ResidualAttribute.ModelInput)" + Suggestion(layer.From, outputs.Keys)
            : target == layer ? "names the residual itself (a cycle)"
            : !outputs.ContainsKey(layer.From) ? "names a later layer (a skip connection can only reach back, or the graph would have a cycle)"
            : target.Kind == LayerKind.Flatten ? "names a Flatten layer; name the layer before it"
            : null;
        if (problem is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadSkipSource, layer.LocationOf("From"), layer.Name, layer.From, problem));
            return null;
        }

        int[] skip = fromInput ? spec.InputShape.ToArray() : outputs[layer.From];
        if (layer.Projection)
        {
            if (skip.Length != 3 || input.Length != 3)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.SkipShapeMismatch, layer.AttributeLocation, layer.Name, Shapes.Format(input), layer.From, Shapes.Format(skip),
                    "; a projection (1x1 Conv2d) needs [C, H, W] on both sides"));
                return null;
            }

            skip = new[]
            {
                input[0],
                ShapeMath.ConvOutputSize(skip[1], 1, layer.ProjectionStride, 0),
                ShapeMath.ConvOutputSize(skip[2], 1, layer.ProjectionStride, 0),
            };
        }

        if (!skip.SequenceEqual(input))
        {
            string hint = layer.Projection ? $" after its projection (ProjectionStride = {layer.ProjectionStride})" : "; set Projection = true (and ProjectionStride) to add a 1x1 Conv2d + BatchNorm2d on the skip path";
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.SkipShapeMismatch, layer.AttributeLocation, layer.Name, Shapes.Format(input), layer.From, Shapes.Format(skip), hint));
            return null;
        }

        return input;
    }

    /// <summary>"; did you mean 'StemRelu'?" for the nearest earlier layer name within a few edits, else empty.</summary>
    private static string Suggestion(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in candidates)
        {
            int distance = EditDistance(name.ToUpperInvariant(), candidate.ToUpperInvariant());
            if (distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }

        return best is not null && bestDistance <= System.Math.Max(2, name.Length / 3) ? "; did you mean '" + best + "'?" : "";
    }

    /// <summary>Levenshtein distance (insertions, deletions, substitutions).</summary>
    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = System.Math.Min(substitution, System.Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    private static int[]? Next(LayerSpec layer, int[] input, string source, List<DiagnosticInfo> diagnostics)
    {
        switch (layer.Kind)
        {
            case LayerKind.Conv2d:
                if (!Rank(layer, input, source, 3, "[C, H, W]", "", diagnostics) ||
                    !Channels(layer, input, source, layer.InChannels, "input channels", diagnostics))
                {
                    return null;
                }

                if (!OutputPlaneFits(layer, input, layer.OutChannels, layer.Dilation, diagnostics))
                {
                    return null;
                }

                int oh = ShapeMath.ConvOutputSize(input[1], layer.KernelSize, layer.Stride, layer.Padding, layer.Dilation);
                int ow = ShapeMath.ConvOutputSize(input[2], layer.KernelSize, layer.Stride, layer.Padding, layer.Dilation);
                if (oh < 1 || ow < 1)
                {
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.KernelTooLarge,
                        layer.AttributeLocation,
                        layer.Name,
                        layer.KernelSize,
                        input[1],
                        input[2],
                        layer.Padding,
                        input[1] + (2L * layer.Padding),
                        input[2] + (2L * layer.Padding),
                        "Conv2d"));
                    return null;
                }

                return new[] { layer.OutChannels, oh, ow };
            case LayerKind.MaxPool2d:
            case LayerKind.AvgPool2d:
                if (!Rank(layer, input, source, 3, "[C, H, W]", "", diagnostics))
                {
                    return null;
                }

                if (!OutputPlaneFits(layer, input, input[0], 1, diagnostics))
                {
                    return null;
                }

                int ph = ShapeMath.ConvOutputSize(input[1], layer.KernelSize, layer.Stride, layer.Padding);
                int pw = ShapeMath.ConvOutputSize(input[2], layer.KernelSize, layer.Stride, layer.Padding);
                if (ph < 1 || pw < 1)
                {
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.KernelTooLarge, layer.AttributeLocation, layer.Name, layer.KernelSize, input[1], input[2], layer.Padding,
                        input[1] + (2L * layer.Padding), input[2] + (2L * layer.Padding), LayerKinds.AttributeName(layer.Kind)));
                    return null;
                }

                return new[] { input[0], ph, pw };
            case LayerKind.AdaptiveAvgPool2d:
                return Rank(layer, input, source, 3, "[C, H, W]", "", diagnostics) ? new[] { input[0], 1, 1 } : null;
            case LayerKind.Linear:
                string hint = input.Length > 1 ? "; add a [Flatten] layer before it" : "";
                if (!Rank(layer, input, source, 1, "[in_features]", hint, diagnostics) ||
                    !Channels(layer, input, source, layer.InChannels, "input features", diagnostics))
                {
                    return null;
                }

                return new[] { layer.OutChannels };
            case LayerKind.BatchNorm1d:
                if (input.Length > 2)
                {
                    Rank(layer, input, source, 2, "[C] or [C, L]", "; use [BatchNorm2d] for [C, H, W] inputs", diagnostics);
                    return null;
                }

                return Channels(layer, input, source, layer.NumFeatures, "features (channels)", diagnostics) ? input : null;
            case LayerKind.BatchNorm2d:
                string bnHint = input.Length < 3 ? "; use [BatchNorm1d] for [C] or [C, L] inputs" : "";
                return Rank(layer, input, source, 3, "[C, H, W]", bnHint, diagnostics) &&
                       Channels(layer, input, source, layer.NumFeatures, "channels", diagnostics)
                    ? input
                    : null;
            case LayerKind.Flatten:
                // The input's element count was checked against MaxSampleLength when it was produced.
                return new[] { (int)Shapes.LongLength(input) };
            case LayerKind.LayerNorm:
            case LayerKind.GroupNorm:
            case LayerKind.InstanceNorm1d:
            case LayerKind.InstanceNorm2d:
            case LayerKind.BatchRenorm1d:
            case LayerKind.BatchRenorm2d:
                return NormalizationShapeOk(layer, input, source, diagnostics) ? input : null;
            default:
                return input;
        }
    }

    /// <summary>LayerNorm, GroupNorm, InstanceNorm and BatchRenorm keep the shape; this checks that they fit it.</summary>
    private static bool NormalizationShapeOk(LayerSpec layer, int[] input, string source, List<DiagnosticInfo> diagnostics)
    {
        switch (layer.Kind)
        {
            case LayerKind.LayerNorm:
                int leading = input.Length - layer.NormalizedShape.Count;
                bool matches = leading >= 0;
                for (int i = 0; matches && i < layer.NormalizedShape.Count; i++)
                {
                    matches = input[leading + i] == layer.NormalizedShape[i];
                }

                if (!matches)
                {
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.NormalizedShapeMismatch, layer.AttributeLocation, layer.Name, Shapes.Format(layer.NormalizedShape), source, Shapes.Format(input)));
                }

                return matches;
            case LayerKind.GroupNorm:
                return Channels(layer, input, source, layer.NumFeatures, "channels", diagnostics);
            case LayerKind.InstanceNorm1d:
            case LayerKind.InstanceNorm2d:
                int rank = layer.Kind == LayerKind.InstanceNorm1d ? 2 : 3;
                if (!Rank(layer, input, source, rank, rank == 2 ? "[C, L]" : "[C, H, W]", "", diagnostics) ||
                    !Channels(layer, input, source, layer.NumFeatures, "channels", diagnostics))
                {
                    return false;
                }

                if (Shapes.Spatial(input) <= 1)
                {
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.InstanceNormSingleElement, layer.AttributeLocation, LayerKinds.AttributeName(layer.Kind), layer.Name, source, Shapes.Format(input)));
                    return false;
                }

                return true;
            case LayerKind.BatchRenorm1d:
                if (input.Length > 2)
                {
                    Rank(layer, input, source, 2, "[C] or [C, L]", "; use [BatchRenorm2d] for [C, H, W] inputs", diagnostics);
                    return false;
                }

                return Channels(layer, input, source, layer.NumFeatures, "features (channels)", diagnostics);
            default:
                return Rank(layer, input, source, 3, "[C, H, W]", input.Length < 3 ? "; use [BatchRenorm1d] for [C] or [C, L] inputs" : "", diagnostics) &&
                       Channels(layer, input, source, layer.NumFeatures, "channels", diagnostics);
        }
    }

    private static bool Rank(LayerSpec layer, int[] input, string source, int rank, string expected, string hint, List<DiagnosticInfo> diagnostics)
    {
        if (input.Length == rank)
        {
            return true;
        }

        diagnostics.Add(DiagnosticInfo.Create(
            DiagnosticDescriptors.RankMismatch,
            layer.AttributeLocation,
            LayerKinds.AttributeName(layer.Kind),
            layer.Name,
            expected,
            source,
            Shapes.Format(input),
            hint));
        return false;
    }

    private static bool Channels(LayerSpec layer, int[] input, string source, int expected, string what, List<DiagnosticInfo> diagnostics)
    {
        if (input[0] == expected)
        {
            return true;
        }

        diagnostics.Add(DiagnosticInfo.Create(
            DiagnosticDescriptors.ChannelMismatch,
            layer.AttributeLocation,
            LayerKinds.AttributeName(layer.Kind),
            layer.Name,
            expected,
            what,
            source,
            Shapes.Format(input)));
        return false;
    }
}
