using FusedLayers.Generator.Diagnostics;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;

namespace FusedLayers.Generator.Validation;

/// <summary>What the generator may emit for a model after validation.</summary>
internal enum EmitKind
{
    /// <summary>Nothing: the class cannot take a generated partial part.</summary>
    None,

    /// <summary>Only throwing layer-property bodies, so that the user sees our diagnostics and not CS9248 cascades.</summary>
    Stubs,

    /// <summary>The full model.</summary>
    Model,
}

/// <summary>Per-sample input and output shape of one layer, inferred through the chain.</summary>
internal sealed record LayerShape(EquatableArray<int> Input, EquatableArray<int> Output);

/// <summary>Stage 2's output: the spec, the inferred shapes (one per layer when valid) and the diagnostics.</summary>
internal sealed record ValidationResult(
    ModelSpec Spec,
    EmitKind Emit,
    EquatableArray<LayerShape> Shapes,
    EquatableArray<DiagnosticInfo> Diagnostics);
