namespace FusedLayers.Generator.Emit;

/// <summary>One generated file: hint name and text. Value-equatable so unchanged output is cached.</summary>
internal sealed record GeneratedSource(string HintName, string Text);
