namespace FusedLayers.Generator.Emit;

/// <summary>One generated file: hint name and text. Value-equatable so unchanged output is cached.</summary>
/// <remarks>When emitting failed, <see cref="Text"/> is empty and <see cref="Failure"/> holds FL0099.</remarks>
internal sealed record GeneratedSource(string HintName, string Text, Diagnostics.DiagnosticInfo? Failure = null);
