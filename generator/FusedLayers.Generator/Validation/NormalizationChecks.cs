using System.Collections.Generic;
using System.Globalization;
using FusedLayers.Generator.Diagnostics;
using FusedLayers.Generator.Model;

namespace FusedLayers.Generator.Validation;

/// <summary>FL01xx argument checks of LayerNorm, GroupNorm, InstanceNorm and BatchRenorm (BatchNorm's are in <see cref="ArgumentChecks"/>).</summary>
internal static class NormalizationChecks
{
    public static void Check(LayerSpec layer, List<DiagnosticInfo> diagnostics)
    {
        string kind = LayerKinds.AttributeName(layer.Kind);
        switch (layer.Kind)
        {
            case LayerKind.LayerNorm:
                if (layer.NormalizedShape.Count == 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.InvalidNormalizationArgument, layer.AttributeLocation, kind, layer.Name,
                        "normalized_shape must have at least one dimension, e.g. [LayerNorm(64)]"));
                }

                for (int i = 0; i < layer.NormalizedShape.Count; i++)
                {
                    if (layer.NormalizedShape[i] <= 0)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(
                            DiagnosticDescriptors.NonPositiveArgument, layer.AttributeLocation, kind, layer.Name,
                            "normalized_shape[" + i.ToString(CultureInfo.InvariantCulture) + "]", layer.NormalizedShape[i]));
                    }
                }

                break;
            case LayerKind.GroupNorm:
                ArgumentChecks.Positive(layer, "NumGroups", "num_groups", layer.NumGroups, diagnostics);
                ArgumentChecks.Positive(layer, "NumChannels", "num_channels", layer.NumFeatures, diagnostics);
                if (layer.NumGroups > 0 && layer.NumFeatures > 0 && layer.NumFeatures % layer.NumGroups != 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.GroupsDoNotDivideChannels, layer.AttributeLocation, layer.Name, layer.NumFeatures, layer.NumGroups));
                }

                break;
            default:
                ArgumentChecks.Positive(layer, "NumFeatures", "num_features", layer.NumFeatures, diagnostics);
                CheckMomentum(layer, kind, diagnostics);
                break;
        }

        if (!ArgumentChecks.IsPositiveNormalFloat32(layer.Eps))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidEps, layer.LocationOf("Eps"), kind, layer.Name, ArgumentChecks.Number(layer.Eps)));
        }

        if (LayerKinds.IsBatchRenorm(layer.Kind))
        {
            if (!(layer.RMax >= 1) || !ArgumentChecks.IsFiniteFloat32(layer.RMax))
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.InvalidNormalizationArgument, layer.LocationOf("RMax"), kind, layer.Name,
                    "r_max must be a finite float32 value of at least 1, got " + ArgumentChecks.Number(layer.RMax)));
            }

            if (!(layer.DMax >= 0) || !ArgumentChecks.IsFiniteFloat32(layer.DMax))
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.InvalidNormalizationArgument, layer.LocationOf("DMax"), kind, layer.Name,
                    "d_max must be a finite float32 value of at least 0, got " + ArgumentChecks.Number(layer.DMax)));
            }
        }
    }

    private static void CheckMomentum(LayerSpec layer, string kind, List<DiagnosticInfo> diagnostics)
    {
        if (!ArgumentChecks.IsMomentum(layer.Momentum))
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.InvalidMomentum, layer.LocationOf("Momentum"), kind, layer.Name, ArgumentChecks.Number(layer.Momentum)));
        }
        else if (LayerKinds.IsInstanceNorm(layer.Kind) && !layer.TrackRunningStats && layer.MomentumExplicit)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.ContradictoryRunningStats, layer.LocationOf("Momentum"), kind, layer.Name, "Momentum"));
        }
    }
}
