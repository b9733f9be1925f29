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
        List<DiagnosticInfo> diagnostics = new();
        EmitKind emit = CheckClass(spec, diagnostics);
        if (emit != EmitKind.Model)
        {
            return new ValidationResult(spec, emit, EquatableArray<LayerShape>.Empty, diagnostics.ToEquatableArray());
        }

        // Every independent error in one build: declaration and argument errors do not hide shape errors.
        // Shape inference runs up to the first layer whose own arguments are wrong (its output is unknown).
        int before = diagnostics.Count;
        CheckCollisions(spec, diagnostics);
        bool inputOk = CheckInputShape(spec, diagnostics);
        if (inputOk && !HasDuplicateNames(spec))
        {
            // Arguments a layer takes from the shapes at its place (BlockParameter.Inferred, AutoProjection).
            spec = BlockChecks.ResolveUseSite(spec);
        }

        CheckLayerDeclarations(spec, diagnostics);
        var badArguments = new HashSet<string>();
        BlockChecks.Check(spec, diagnostics, badArguments);
        foreach (LayerSpec layer in spec.Layers)
        {
            if (badArguments.Contains(layer.Name))
            {
                continue;
            }

            int count = Errors(diagnostics, 0);
            ArgumentChecks.Check(layer, diagnostics);
            if (Errors(diagnostics, 0) > count)
            {
                badArguments.Add(layer.Name);
            }
        }

        var reached = new List<LayerSpec>();
        int beforeShapes = diagnostics.Count;
        List<LayerShape>? shapes = inputOk && spec.Layers.Count > 0 && !HasDuplicateNames(spec)
            ? ShapeInference.Infer(spec, diagnostics, badArguments, reached)
            : null;
        if (shapes is null)
        {
            BlockChecks.CheckFit(spec, reached, diagnostics, beforeShapes);
        }

        // A layer of a block used several times reports its declaration errors once, at the block's property.
        diagnostics = diagnostics.Distinct().ToList();

        // Warnings (FL0121) leave the model valid; only errors stop it from being generated.
        bool valid = Errors(diagnostics, before) == 0 && shapes is not null;
        return new ValidationResult(
            spec,
            valid ? EmitKind.Model : EmitKind.Stubs,
            valid ? shapes!.ToEquatableArray() : EquatableArray<LayerShape>.Empty,
            diagnostics.ToEquatableArray());
    }

    /// <summary>Two layers with one name (the compiler's CS0102): only stubs for the other layers are generated.</summary>
    internal static bool HasDuplicateNames(ModelSpec spec) => spec.Layers.Select(l => l.Name).Distinct().Count() != spec.Layers.Count;

    private static void CheckCollisions(ModelSpec spec, List<DiagnosticInfo> diagnostics)
    {
        foreach (Discovery.MemberCollision collision in spec.Collisions)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.ReservedMemberName, collision.Location ?? spec.ClassLocation, collision.Name, spec.ClassName, collision.Reserved));
        }
    }

    /// <summary>Error diagnostics from index <paramref name="from"/> on.</summary>
    private static int Errors(List<DiagnosticInfo> diagnostics, int from)
    {
        int errors = 0;
        for (int i = from; i < diagnostics.Count; i++)
        {
            if (DiagnosticDescriptors.ById(diagnostics[i].Id).DefaultSeverity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error)
            {
                errors++;
            }
        }

        return errors;
    }

    private static EmitKind CheckClass(ModelSpec spec, List<DiagnosticInfo> diagnostics)
    {
        if (spec.IsDuplicate)
        {
            return EmitKind.None;
        }

        if (spec.DiscoveryFailure is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GeneratorFailure, spec.ClassLocation, spec.ClassName, spec.DiscoveryFailure));
            return EmitKind.None;
        }

        if (spec.MissingModelAttribute)
        {
            LayerSpec first = spec.Layers[0];
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.LayersWithoutModel, spec.ClassLocation, spec.ClassName, first.Name, LayerKinds.AttributeName(first.Kind)));
            bool stubbable = spec.IsPartial && !spec.IsFileLocal && (!spec.IsNested || spec.ContainingTypes.Count > 0);
            return stubbable ? EmitKind.Stubs : EmitKind.None;
        }

        if (!spec.IsPartial)
        {
            // Partial layer properties in a non-partial class get CS0751 and CS9248 each; a stub part turns them all into
            // one CS0260 on the class ("missing partial modifier"), which names the fix. Without partial layers a part
            // would only add that error, so nothing is generated.
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelNotPartial, spec.ClassLocation, spec.ClassName));
            return spec.Layers.Any(l => l.IsPartial && !l.HasSetter) && (!spec.IsNested || spec.ContainingTypes.Count > 0) && !spec.IsFileLocal
                ? EmitKind.Stubs
                : EmitKind.None;
        }

        if (spec.IsFileLocal)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.UnsupportedModelClass, spec.ClassLocation, spec.ClassName,
                "file-local (the generated part is another file, which a file-local class cannot extend)"));
            return EmitKind.None;
        }

        string? problem = spec.IsRecord ? "a record" : spec.IsNested ? "nested in another type" : spec.IsGeneric ? "generic" : spec.IsStatic ? "static" : null;
        if (problem is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedModelClass, spec.ClassLocation, spec.ClassName, problem));

            // Throwing stubs keep the layer properties from adding CS9248 each (a nested model needs partial containers).
            return spec.IsNested && spec.ContainingTypes.Count == 0 ? EmitKind.None : EmitKind.Stubs;
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
                    DiagnosticDescriptors.LayerNotPartialProperty, layer.PropertyLocation, layer.InBlock ? layer.LocalName : layer.Name, LayerKinds.RuntimeTypeName(layer.Kind)));
            }
            else if (layer.PropertyType != expected)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.LayerTypeMismatch,
                    layer.PropertyLocation,
                    layer.InBlock ? layer.LocalName : layer.Name,
                    LayerKinds.AttributeName(layer.Kind),
                    layer.PropertyType.Replace("global::", ""),
                    LayerKinds.RuntimeTypeName(layer.Kind)));
            }
        }
    }
}
