using System.Collections.Generic;
using System.Linq;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;

namespace FusedLayers.Generator.Validation;

/// <summary>
/// Arguments a block's layer takes from the shapes at its place in the flat layer list: <c>BlockParameter.Inferred</c>
/// (channels or features of the incoming shape) and a residual's <c>AutoProjection</c> (torchvision's downsample rule:
/// a 1x1 Conv2d + BatchNorm2d projection with stride skip height / add height when the shapes differ, the identity
/// otherwise).
/// </summary>
internal static class UseSiteArguments
{
    /// <summary><c>BlockParameter.Inferred</c>.</summary>
    public const int Inferred = -1;

    /// <summary>True when some argument still waits for a shape (the layer was not reached by inference).</summary>
    public static bool IsUnresolved(LayerSpec layer) =>
        layer.InBlock && (layer.InChannels == Inferred || layer.NumFeatures == Inferred);

    /// <summary>The layer with its use-site arguments filled in from <paramref name="input"/> and the earlier outputs.</summary>
    public static LayerSpec Resolve(ModelSpec spec, LayerSpec layer, int[] input, Dictionary<string, int[]> outputs)
    {
        // Only inside blocks: in a model the argument is written out, and a -1 there stays the error it always was (FL0101).
        int channels = input.Length > 0 ? input[0] : 0;
        if (layer.InBlock && layer.InChannels == Inferred && layer.Kind is LayerKind.Conv2d or LayerKind.Linear)
        {
            layer = layer with { InChannels = channels };
        }

        if (layer.InBlock && layer.NumFeatures == Inferred)
        {
            layer = layer with { NumFeatures = channels };
        }

        if (layer.Kind == LayerKind.Residual && layer.AutoProjection)
        {
            int[]? skip = LayerKinds.IsModelInput(spec, layer.From) ? spec.InputShape.ToArray()
                : outputs.TryGetValue(layer.From, out int[]? output) ? output
                : null;
            if (skip is not null && skip.Length == 3 && input.Length == 3 && input[1] > 0 && !skip.SequenceEqual(input))
            {
                int stride = 1;
                for (int s = 1; s <= skip[1]; s++)
                {
                    if (ShapeMath.ConvOutputSize(skip[1], 1, s, 0) == input[1] && ShapeMath.ConvOutputSize(skip[2], 1, s, 0) == input[2])
                    {
                        stride = s;
                        break;
                    }
                }

                layer = layer with { Projection = true, ProjectionStride = stride };
            }
            else if (skip is not null)
            {
                layer = layer with { Projection = false, ProjectionStride = 1 };
            }
        }

        return layer;
    }
}
