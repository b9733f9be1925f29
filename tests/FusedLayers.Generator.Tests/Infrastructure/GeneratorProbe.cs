using System;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace FusedLayers.Generator.Tests.Infrastructure;

/// <summary>
/// What one raw generator run on arbitrary user source produced, without the harness's own assertions:
/// the generator's exception (if any), its diagnostics, and the compiler's errors and warnings split by
/// where they sit (inside generated files or in the user's source).
/// </summary>
/// <param name="Exception">The exception the generator threw, or null.</param>
/// <param name="HintNames">Hint names of the generated files.</param>
/// <param name="GeneratorDiagnostics">Diagnostics the generator reported (FLxxxx).</param>
/// <param name="InGenerated">Compiler errors and warnings located in generated files.</param>
/// <param name="InUserSource">Compiler errors and warnings located in the user's source.</param>
/// <param name="DriverDiagnostics">Diagnostics of the driver itself (CS8785: a generator failed).</param>
/// <param name="Output">The compilation with the generated files added.</param>
internal sealed record ProbeResult(
    Exception? Exception,
    ImmutableArray<string> HintNames,
    ImmutableArray<Diagnostic> GeneratorDiagnostics,
    ImmutableArray<Diagnostic> InGenerated,
    ImmutableArray<Diagnostic> InUserSource,
    ImmutableArray<Diagnostic> DriverDiagnostics,
    Compilation Output)
{
    /// <summary>IDs of the generator's diagnostics, sorted and distinct.</summary>
    public string[] FlIds => [.. GeneratorDiagnostics.Select(d => d.Id).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>Errors (not warnings) inside generated files.</summary>
    public ImmutableArray<Diagnostic> ErrorsInGenerated => [.. InGenerated.Where(d => d.Severity == DiagnosticSeverity.Error)];

    /// <summary>A readable summary for assertion messages.</summary>
    public string Describe() =>
        "exception: " + (Exception?.ToString() ?? "none") +
        "\nFL: " + string.Join("; ", GeneratorDiagnostics.Select(d => d.Id + " " + d.GetMessage(CultureInfo.InvariantCulture))) +
        "\nin generated: " + string.Join("; ", InGenerated.Take(8).Select(d => d.Id + " " + d.GetMessage(CultureInfo.InvariantCulture))) +
        "\nin user source: " + string.Join("; ", InUserSource.Take(8).Select(d => d.Id + " " + d.GetMessage(CultureInfo.InvariantCulture))) +
        "\ndriver: " + string.Join("; ", DriverDiagnostics.Select(d => d.Id + " " + d.GetMessage(CultureInfo.InvariantCulture)));
}

/// <summary>Runs <see cref="FusedModelGenerator"/> on user source and reports what came out (see <see cref="ProbeResult"/>).</summary>
internal static class GeneratorProbe
{
    /// <summary>Runs the generator on one source file (path <see cref="GeneratorHarness.MainPath"/>).</summary>
    /// <param name="source">User C# source.</param>
    /// <returns>What the run produced.</returns>
    public static ProbeResult Run(string source) => Run(GeneratorHarness.CreateCompilation(source));

    /// <summary>Runs the generator on <paramref name="compilation"/>.</summary>
    /// <param name="compilation">The user's compilation.</param>
    /// <returns>What the run produced.</returns>
    public static ProbeResult Run(CSharpCompilation compilation)
    {
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(
            compilation, out Compilation output, out ImmutableArray<Diagnostic> driverDiagnostics);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        var generatedTrees = result.GeneratedSources.Select(s => s.SyntaxTree).ToHashSet();
        ImmutableArray<Diagnostic> all =
        [
            .. output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning),
        ];
        return new ProbeResult(
            result.Exception,
            [.. result.GeneratedSources.Select(s => s.HintName)],
            result.Diagnostics,
            [.. all.Where(d => d.Location.SourceTree is { } tree && generatedTrees.Contains(tree))],
            [.. all.Where(d => d.Location.SourceTree is not { } tree || !generatedTrees.Contains(tree))],
            driverDiagnostics,
            output);
    }
}
