using System.Collections.Generic;
using System.Linq;
using FusedLayers.Generator.Diagnostics;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;

namespace FusedLayers.Generator.Validation;

/// <summary>
/// Block uses and state-dict names: FL0020..FL0024 on the uses discovery recorded, FL0130 and FL0220 on the layers
/// expansion could not complete, FL0221 at the use site when a block's layer does not accept what the use feeds it.
/// </summary>
internal static class BlockChecks
{
    /// <summary>Fills in the use-site arguments (<see cref="UseSiteArguments"/>) as far as shape inference gets.</summary>
    public static ModelSpec ResolveUseSite(ModelSpec spec)
    {
        if (!spec.Layers.Any(l => UseSiteArguments.IsUnresolved(l) || l.AutoProjection))
        {
            return spec;
        }

        var resolved = new List<LayerSpec>();
        ShapeInference.Infer(spec, new List<DiagnosticInfo>(), null, resolved);
        return spec with { Layers = resolved.Concat(spec.Layers.Skip(resolved.Count)).ToEquatableArray() };
    }

    /// <summary>Reports the uses' and the expanded layers' problems; layers that cannot be shaped go to <paramref name="badArguments"/>.</summary>
    public static void Check(ModelSpec spec, List<DiagnosticInfo> diagnostics, HashSet<string> badArguments)
    {
        foreach (BlockUseSpec use in spec.BlockUses)
        {
            string[] problem = use.Problem.Split('\u0000');
            if (use.ProblemId == DiagnosticDescriptors.NotABlock.Id)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotABlock, use.AttributeLocation, use.LocalName, problem[0], problem.Length > 1 ? problem[1] : ""));
            }
            else if (use.ProblemId == DiagnosticDescriptors.RecursiveBlock.Id)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RecursiveBlock, use.AttributeLocation, problem[0], problem.Length > 1 ? problem[1] : ""));
            }

            if (use.BlockType.Length > 0 && (!use.IsPartial || use.IsMalformed || use.PropertyType != use.BlockType))
            {
                string got = use.PropertyType != use.BlockType ? "; its type is " + use.PropertyType.Replace("global::", "") : "";
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.BlockUseNotPartialProperty, use.PropertyLocation, use.LocalName, use.BlockType.Replace("global::", ""), got));
            }
        }

        foreach (LayerSpec layer in spec.Layers)
        {
            if (layer.BlockProblem.Length > 0)
            {
                string[] parts = layer.BlockProblem.Split('\u0000');
                badArguments.Add(layer.Name);
                if (layer.BlockProblemId == DiagnosticDescriptors.MissingBlockParameter.Id)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingBlockParameter, layer.AttributeLocation, layer.LocalName, parts[0], parts[1], parts[2]));
                }
                else
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SkipOutsideBlock, layer.LocationOf("From"), layer.LocalName, parts[0], parts[1]));
                }
            }
            else if (UseSiteArguments.IsUnresolved(layer))
            {
                badArguments.Add(layer.Name);
            }
        }

        CheckStateNames(spec, diagnostics);
    }

    /// <summary>
    /// FL0221 at the outermost use when shape inference stopped with an error inside a block: the error itself points
    /// into the block class, which every use shares, so the use that fed it the wrong shape is named here.
    /// </summary>
    public static void CheckFit(ModelSpec spec, List<LayerSpec> reached, List<DiagnosticInfo> diagnostics, int firstNew)
    {
        if (reached.Count == 0 || diagnostics.Count == firstNew)
        {
            return;
        }

        LayerSpec failed = reached[reached.Count - 1];
        if (!failed.InBlock)
        {
            return;
        }

        string outer = failed.BlockPath.Split('|')[0];
        BlockUseSpec? use = spec.BlockUses.FirstOrDefault(u => u.Name == outer);
        int first = spec.Layers.ToList().FindIndex(l => l.BlockPath.Split('|')[0] == outer);
        if (use is null || first < 0)
        {
            return;
        }

        string incoming = first == 0 ? Shapes.Format(spec.InputShape) : "the output of '" + spec.Layers[first - 1].Name + "'";
        diagnostics.Add(DiagnosticInfo.Create(
            DiagnosticDescriptors.BlockDoesNotFit, use.AttributeLocation, use.LocalName, use.BlockType.Replace("global::", ""), incoming,
            failed.LocalName, diagnostics[diagnostics.Count - 1].Id));
    }

    private static void CheckStateNames(ModelSpec spec, List<DiagnosticInfo> diagnostics)
    {
        var seen = new Dictionary<string, LayerSpec>();
        foreach (LayerSpec layer in spec.Layers)
        {
            string key = layer.StateKey;
            if (key.Length == 0 || key.Split('.').Any(s => s.Length == 0 || s.Trim().Length != s.Length))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadStateName, layer.PropertyLocation, layer.Name, key,
                    "is not a dot-separated list of non-empty names"));
            }
            else if (HasState(layer) && seen.TryGetValue(key, out LayerSpec? other))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadStateName, layer.PropertyLocation, layer.Name, key,
                    "is also the name of layer '" + other.Name + "'; every layer needs its own"));
            }
            else if (HasState(layer))
            {
                seen[key] = layer;
            }
        }
    }

    /// <summary>Layers with parameters or buffers (an activation or pool has no keys: torchvision reuses one <c>relu</c>).</summary>
    private static bool HasState(LayerSpec layer) => layer.Kind switch
    {
        LayerKind.Residual => layer.Projection,
        _ when LayerKinds.IsActivation(layer.Kind) => false,
        LayerKind.Flatten or LayerKind.MaxPool2d or LayerKind.AvgPool2d or LayerKind.AdaptiveAvgPool2d or LayerKind.Dropout => false,
        _ => true,
    };
}
