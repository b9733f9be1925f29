using System;
using System.Linq;
using FusedLayers.Generator.Diagnostics;
using FusedLayers.Generator.Discovery;
using FusedLayers.Generator.Emit;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using FusedLayers.Generator.Planning;
using FusedLayers.Generator.Validation;
using Microsoft.CodeAnalysis;

namespace FusedLayers.Generator;

/// <summary>
/// The FusedLayers incremental generator: discover <c>[FusedModel]</c> classes, validate them (shape
/// inference, diagnostics), plan the fused kernels, emit one source file per model. Plain data flows
/// between the stages; nothing here throws (failures become FL0099).
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class FusedModelGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ValidationResult> validated = context.SyntaxProvider
            .ForAttributeWithMetadataName(ModelDiscovery.ModelAttributeName, ModelDiscovery.IsCandidate, ModelDiscovery.Discover)
            .WithTrackingName(TrackingNames.Discover)
            .Select((spec, cancellationToken) => Guard(spec.ClassName, () => ModelValidator.Validate(spec), spec))
            .WithTrackingName(TrackingNames.Validate);

        // Classes that declare layers without [FusedModel] (FL0010): their own small pipeline, stubs only.
        IncrementalValuesProvider<ValidationResult> orphans = context.SyntaxProvider
            .CreateSyntaxProvider(OrphanLayers.IsCandidate, OrphanLayers.Discover)
            .Where(static spec => spec is not null)
            .Select((spec, cancellationToken) => Guard(spec!.ClassName, () => ModelValidator.Validate(spec), spec));

        RegisterOutputs(context, validated, tracked: true);
        RegisterOutputs(context, orphans, tracked: false);
        RegisterBlocks(context);
    }

    /// <summary>[FusedBlock] classes: their own generated part (layer property bodies, the constructor a model calls); FL0023.</summary>
    private static void RegisterBlocks(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<BlockClassSpec> blocks = context.SyntaxProvider
            .ForAttributeWithMetadataName(BlockExpansion.FusedBlockAttributeName, BlockDiscovery.IsCandidate, BlockDiscovery.Discover)
            .WithTrackingName(TrackingNames.DiscoverBlock);
        IncrementalValuesProvider<GeneratedSource?> sources = blocks
            .Select(static (block, _) => SafeEmitBlock(block))
            .WithTrackingName(TrackingNames.EmitBlock);
        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = blocks
            .Select(static (block, _) => block.Problem.Length == 0
                ? EquatableArray<DiagnosticInfo>.Empty
                : new[] { DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedBlockClass, block.ClassLocation, block.ClassName, block.Problem) }.ToEquatableArray())
            .Where(static d => d.Count > 0);
        context.RegisterSourceOutput(diagnostics.Combine(context.CompilationProvider), static (spc, pair) => Report(spc, pair.Left, pair.Right));
        context.RegisterSourceOutput(sources, static (spc, source) =>
        {
            if (source is { Text.Length: > 0 })
            {
                spc.AddSource(source.HintName, source.Text);
            }
            else if (source?.Failure is { } failure)
            {
                spc.ReportDiagnostic(failure.ToDiagnostic());
            }
        });
    }

    private static GeneratedSource? SafeEmitBlock(BlockClassSpec block)
    {
        try
        {
            return BlockEmitter.Emit(block);
        }
#pragma warning disable CA1031 // The generator must never throw: the failure becomes FL0099.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            var failure = DiagnosticInfo.Create(DiagnosticDescriptors.GeneratorFailure, block.ClassLocation, block.ClassName, exception.GetType().Name + ": " + exception.Message);
            return new GeneratedSource(block.MetadataName + ".block.g.cs", "", failure);
        }
    }

    private static void RegisterOutputs(IncrementalGeneratorInitializationContext context, IncrementalValuesProvider<ValidationResult> validated, bool tracked)
    {
        IncrementalValuesProvider<FusionPlan> plans = validated
            .Select((result, cancellationToken) => FusionPlanner.Plan(result));
        if (tracked)
        {
            plans = plans.WithTrackingName(TrackingNames.Plan);
        }

        IncrementalValuesProvider<GeneratedSource?> sources = plans
            .Select((plan, cancellationToken) => SafeEmit(plan));
        if (tracked)
        {
            sources = sources.WithTrackingName(TrackingNames.Emit);
        }

        // Diagnostics are materialised against the current compilation's syntax trees (so they are real
        // source locations); only this reporting step sees the compilation, the tracked steps never do.
        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = validated
            .Select(static (result, _) => result.Diagnostics)
            .Where(static d => d.Count > 0);
        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> notes = plans
            .Select(static (plan, _) => plan.Notes)
            .Where(static d => d.Count > 0);
        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> emitFailures = sources
            .Select(static (source, _) => source?.Failure is { } failure ? new[] { failure }.ToEquatableArray() : EquatableArray<DiagnosticInfo>.Empty)
            .Where(static d => d.Count > 0);

        context.RegisterSourceOutput(diagnostics.Combine(context.CompilationProvider), static (spc, pair) => Report(spc, pair.Left, pair.Right));
        // Notes are reported at file locations, without the compilation: a model with notes stays cached on
        // unrelated edits. FusedLayersFusionNotes=warning (an MSBuild property) shows them in build output.
        IncrementalValueProvider<bool> notesAsWarnings = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) => options.GlobalOptions.TryGetValue("build_property.FusedLayersFusionNotes", out string? value) &&
                                           string.Equals(value?.Trim(), "warning", System.StringComparison.OrdinalIgnoreCase));
        context.RegisterSourceOutput(notes.Combine(notesAsWarnings), static (spc, pair) => ReportNotes(spc, pair.Left, pair.Right));
        context.RegisterSourceOutput(emitFailures.Combine(context.CompilationProvider), static (spc, pair) => Report(spc, pair.Left, pair.Right));
        context.RegisterSourceOutput(sources, static (spc, source) =>
        {
            if (source is { Text.Length: > 0 })
            {
                try
                {
                    spc.AddSource(source.HintName, source.Text);
                }
                catch (System.ArgumentException exception)
                {
                    // A hint name the driver refuses (a collision after sanitising) must not take every other model down.
                    spc.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.GeneratorFailure, Location.None, source.HintName, exception.Message));
                }
            }
        });
    }

    private static void Report(SourceProductionContext context, EquatableArray<DiagnosticInfo> diagnostics, Compilation compilation)
    {
        foreach (DiagnosticInfo diagnostic in diagnostics)
        {
            context.ReportDiagnostic(diagnostic.ToDiagnostic(compilation));
        }
    }

    private static void ReportNotes(SourceProductionContext context, EquatableArray<DiagnosticInfo> notes, bool asWarnings)
    {
        foreach (DiagnosticInfo note in notes)
        {
            Diagnostic diagnostic = note.ToDiagnostic();
            context.ReportDiagnostic(asWarnings
                ? Diagnostic.Create(diagnostic.Descriptor, diagnostic.Location, DiagnosticSeverity.Warning, null, null, note.Arguments.Select(a => (object?)a).ToArray())
                : diagnostic);
        }
    }

    private static ValidationResult Guard(string model, Func<ValidationResult> validate, Model.ModelSpec spec)
    {
        try
        {
            return validate();
        }
#pragma warning disable CA1031 // The generator must never throw: report instead.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            var failure = DiagnosticInfo.Create(DiagnosticDescriptors.GeneratorFailure, spec.ClassLocation, model, exception.GetType().Name + ": " + exception.Message);
            return new ValidationResult(spec, EmitKind.None, EquatableArray<LayerShape>.Empty, new[] { failure }.ToEquatableArray());
        }
    }

    private static GeneratedSource? SafeEmit(FusionPlan plan)
    {
        try
        {
            return ModelEmitter.Emit(plan);
        }
#pragma warning disable CA1031 // The generator must never throw: the failure becomes FL0099.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            var failure = DiagnosticInfo.Create(
                DiagnosticDescriptors.GeneratorFailure, plan.Spec.ClassLocation, plan.Spec.ClassName, exception.GetType().Name + ": " + exception.Message);
            return new GeneratedSource(ModelEmitter.HintName(plan.Spec), "", failure);
        }
    }
}
