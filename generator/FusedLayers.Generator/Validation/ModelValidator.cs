using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using FusedLayers.Generator.Diagnostics;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;

namespace FusedLayers.Generator.Validation;

/// <summary>
/// Stage 2: a pure function from <see cref="ModelSpec"/> to diagnostics and inferred shapes.
/// Roslyn-free apart from the diagnostic descriptors, so an analyzer could reuse it.
/// </summary>
internal static class ModelValidator
{
    public static ValidationResult Validate(ModelSpec spec)
    {
        var diagnostics = new List<DiagnosticInfo>();
        EmitKind emit = CheckClass(spec, diagnostics);
        if (emit == EmitKind.None)
        {
            return new ValidationResult(spec, emit, EquatableArray<LayerShape>.Empty, diagnostics.ToEquatableArray());
        }

        int before = diagnostics.Count;
        bool inputOk = CheckInputShape(spec, diagnostics);
        CheckLayerDeclarations(spec, diagnostics);
        foreach (LayerSpec layer in spec.Layers)
        {
            ArgumentChecks.Check(layer, diagnostics);
        }

        List<LayerShape>? shapes = null;
        if (inputOk && diagnostics.Count == before)
        {
            shapes = ShapeInference.Infer(spec, diagnostics);
        }

        bool valid = diagnostics.Count == before && shapes is not null;
        return new ValidationResult(
            spec,
            valid ? EmitKind.Model : EmitKind.Stubs,
            valid ? shapes!.ToEquatableArray() : EquatableArray<LayerShape>.Empty,
            diagnostics.ToEquatableArray());
    }

    private static EmitKind CheckClass(ModelSpec spec, List<DiagnosticInfo> diagnostics)
    {
        if (spec.IsDuplicate)
        {
            return EmitKind.None;
        }

        if (!spec.IsPartial)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelNotPartial, spec.ClassLocation, spec.ClassName));
            return EmitKind.None;
        }

        string? problem = spec.IsRecord ? "a record" : spec.IsNested ? "nested in another type" : spec.IsGeneric ? "generic" : spec.IsStatic ? "static" : null;
        if (problem is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedModelClass, spec.ClassLocation, spec.ClassName, problem));
            return EmitKind.None;
        }

        return EmitKind.Model;
    }

    private static bool CheckInputShape(ModelSpec spec, List<DiagnosticInfo> diagnostics)
    {
        if (!spec.InputShapeSpecified || spec.InputShape.Count == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingInputShape, spec.ModelAttributeLocation, spec.ClassName));
            return false;
        }

        if (spec.InputShape.Count > 3 || spec.InputShape.Any(d => d <= 0) || Shapes.LongLength(spec.InputShape) > Shapes.MaxSampleLength)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.InvalidInputShape, spec.ModelAttributeLocation, spec.ClassName, Shapes.Format(spec.InputShape)));
            return false;
        }

        return true;
    }

    private static void CheckLayerDeclarations(ModelSpec spec, List<DiagnosticInfo> diagnostics)
    {
        if (spec.Layers.Count == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoLayers, spec.ClassLocation, spec.ClassName));
            return;
        }

        int declarations = spec.Layers.Select(l => l.DeclarationIndex).Distinct().Count();
        if (declarations > 1)
        {
            int first = spec.Layers[0].DeclarationIndex;
            LayerSpec stray = spec.Layers.First(l => l.DeclarationIndex != first);
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.LayersInSeveralDeclarations,
                stray.AttributeLocation,
                spec.ClassName,
                declarations.ToString(CultureInfo.InvariantCulture),
                stray.Name));
        }

        foreach (LayerSpec layer in spec.Layers)
        {
            if (layer.LayerAttributeCount > 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.SeveralLayerAttributes, layer.PropertyLocation, layer.Name, layer.LayerAttributeCount));
            }

            string expected = "global::FusedLayers." + LayerKinds.RuntimeTypeName(layer.Kind);
            if (!layer.IsPartial || layer.IsStatic || layer.HasSetter)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.LayerNotPartialProperty, layer.PropertyLocation, layer.Name, LayerKinds.RuntimeTypeName(layer.Kind)));
            }
            else if (layer.PropertyType != expected)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.LayerTypeMismatch,
                    layer.PropertyLocation,
                    layer.Name,
                    LayerKinds.AttributeName(layer.Kind),
                    layer.PropertyType.Replace("global::", ""),
                    LayerKinds.RuntimeTypeName(layer.Kind)));
            }
        }
    }
}
