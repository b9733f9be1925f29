using System.Collections.Generic;
using System.Linq;
using System.Globalization;
using FusedLayers.Generator.Diagnostics;
using FusedLayers.Generator.Model;

namespace FusedLayers.Generator.Validation;

/// <summary>FL01xx: checks of one layer attribute's arguments in isolation.</summary>
internal static class ArgumentChecks
{
    public static void Check(LayerSpec layer, List<DiagnosticInfo> diagnostics)
    {
        switch (layer.Kind)
        {
            case LayerKind.Conv2d:
                Positive(layer, "InChannels", "in_channels", layer.InChannels, diagnostics);
                Positive(layer, "OutChannels", "out_channels", layer.OutChannels, diagnostics);
                if (layer.KernelSize == 0 && !layer.ArgumentLocations.Any(a => a.Name == "KernelSize"))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingKernelSize, layer.AttributeLocation, layer.Name));
                }
                else
                {
                    Positive(layer, "KernelSize", "kernel_size", layer.KernelSize, diagnostics);
                }

                Positive(layer, "Stride", "stride", layer.Stride, diagnostics);
                if (layer.Padding < 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.NegativePadding, layer.LocationOf("Padding"), "Conv2d", layer.Name, layer.Padding));
                }

                Positive(layer, "Dilation", "dilation", layer.Dilation, diagnostics);
                Positive(layer, "Groups", "groups", layer.Groups, diagnostics);
                if (layer.Groups > 0 && layer.InChannels > 0 && layer.OutChannels > 0 &&
                    (layer.InChannels % layer.Groups != 0 || layer.OutChannels % layer.Groups != 0))
                {
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.GroupsDoNotDivide, layer.LocationOf("Groups"), layer.Name, layer.Groups, layer.InChannels, layer.OutChannels));
                }

                if (layer.Algorithm is 2 or 3 && !FusedLayers.ConvAlgorithmRule.WinogradApplies(layer.KernelSize, layer.Stride, layer.Dilation, layer.Groups))
                {
                    string has = $"kernel_size={layer.KernelSize}, stride={layer.Stride}, dilation={layer.Dilation}, groups={layer.Groups}";
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.WinogradDoesNotApply, layer.LocationOf("Algorithm"), layer.Name,
                        layer.Algorithm == 2 ? "ConvAlgorithm.Winograd2x2" : "ConvAlgorithm.Winograd4x4", has));
                }

                break;
            case LayerKind.Linear:
                Positive(layer, "InFeatures", "in_features", layer.InChannels, diagnostics);
                Positive(layer, "OutFeatures", "out_features", layer.OutChannels, diagnostics);
                break;
            case LayerKind.BatchNorm1d:
            case LayerKind.BatchNorm2d:
                CheckBatchNorm(layer, diagnostics);
                break;
            case LayerKind.MaxPool2d:
            case LayerKind.AvgPool2d:
                CheckPool(layer, diagnostics);
                break;
            case LayerKind.LayerNorm:
            case LayerKind.GroupNorm:
            case LayerKind.InstanceNorm1d:
            case LayerKind.InstanceNorm2d:
            case LayerKind.BatchRenorm1d:
            case LayerKind.BatchRenorm2d:
                NormalizationChecks.Check(layer, diagnostics);
                break;
            case LayerKind.AdaptiveAvgPool2d when layer.OutputSize != 1:
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.InvalidPoolingArgument, layer.LocationOf("OutputSize"), "AdaptiveAvgPool2d", layer.Name,
                    "only output_size=1 (global average pooling) is supported, got " + layer.OutputSize.ToString(CultureInfo.InvariantCulture)));
                break;
            case LayerKind.Dropout when !(layer.P >= 0 && layer.P <= 1):
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.InvalidDropoutProbability, layer.LocationOf("P"), layer.Name,
                    "dropout probability has to be between 0 and 1, but got " + Number(layer.P)));
                break;
            case LayerKind.Residual:
                Positive(layer, "ProjectionStride", "projection stride", layer.ProjectionStride, diagnostics);
                break;
            case LayerKind.LeakyReLU when !IsFiniteFloat32(layer.NegativeSlope):
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.InvalidActivationArgument, layer.LocationOf("NegativeSlope"), "LeakyReLU", layer.Name,
                    "negative_slope must be a finite float32 number (magnitude at most 3.4028235e38), got " + Number(layer.NegativeSlope)));
                break;
            case LayerKind.GELU when layer.Approximate is not ("none" or "tanh"):
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.InvalidActivationArgument, layer.LocationOf("Approximate"), "GELU", layer.Name,
                    "approximate must be \"none\" or \"tanh\", got \"" + layer.Approximate + "\""));
                break;
        }
    }

    private static void CheckPool(LayerSpec layer, List<DiagnosticInfo> diagnostics)
    {
        string kind = LayerKinds.AttributeName(layer.Kind);
        Positive(layer, "KernelSize", "kernel_size", layer.KernelSize, diagnostics);
        Positive(layer, "Stride", "stride", layer.Stride, diagnostics);
        if (layer.Padding < 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NegativePadding, layer.LocationOf("Padding"), kind, layer.Name, layer.Padding));
        }
        else if (layer.KernelSize > 0 && layer.Padding > layer.KernelSize / 2)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.InvalidPoolingArgument, layer.LocationOf("Padding"), kind, layer.Name,
                $"pad should be at most half of effective kernel size, but got pad={layer.Padding.ToString(CultureInfo.InvariantCulture)}, kernel_size={layer.KernelSize.ToString(CultureInfo.InvariantCulture)}"));
        }
    }

    private static void CheckBatchNorm(LayerSpec layer, List<DiagnosticInfo> diagnostics)
    {
        string kind = LayerKinds.AttributeName(layer.Kind);
        Positive(layer, "NumFeatures", "num_features", layer.NumFeatures, diagnostics);
        if (!IsPositiveNormalFloat32(layer.Eps))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidEps, layer.LocationOf("Eps"), kind, layer.Name, Number(layer.Eps)));
        }

        if (!IsMomentum(layer.Momentum))
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.InvalidMomentum, layer.LocationOf("Momentum"), kind, layer.Name, Number(layer.Momentum)));
        }
        else if (layer.CumulativeAverage && layer.MomentumExplicit)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.ContradictoryMomentum, layer.LocationOf("Momentum"), kind, layer.Name, Number(layer.Momentum)));
        }

        if (!layer.TrackRunningStats && (layer.CumulativeAverage || layer.MomentumExplicit))
        {
            string option = layer.CumulativeAverage ? "CumulativeAverage" : "Momentum";
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.ContradictoryRunningStats, layer.LocationOf(option), kind, layer.Name, option));
        }
    }

    internal static void Positive(LayerSpec layer, string property, string pytorchName, int value, List<DiagnosticInfo> diagnostics)
    {
        if (value <= 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.NonPositiveArgument,
                layer.LocationOf(property),
                LayerKinds.AttributeName(layer.Kind),
                layer.Name,
                pytorchName,
                value));
        }
    }

    /// <summary>The smallest positive normal float32 (<c>float.MinNormal</c>, 2^-126).</summary>
    internal const double MinNormalFloat32 = 1.1754943508222875e-38;

    /// <summary>Finite after the conversion to float32 the kernels make (not NaN, magnitude at most <see cref="float.MaxValue"/>).</summary>
    internal static bool IsFiniteFloat32(double value) => System.Math.Abs(value) <= float.MaxValue;

    /// <summary>An eps the float32 kernels can add: positive, normal (no subnormal or zero after conversion), finite.</summary>
    internal static bool IsPositiveNormalFloat32(double value) => value >= MinNormalFloat32 && value <= float.MaxValue;

    /// <summary>A momentum in [0, 1] that does not round to 0 in float32 unless it is 0.</summary>
    internal static bool IsMomentum(double value) => value == 0 || (value >= MinNormalFloat32 && value <= 1);

    internal static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
