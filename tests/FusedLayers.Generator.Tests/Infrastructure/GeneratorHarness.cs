using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace FusedLayers.Generator.Tests.Infrastructure;

/// <summary>One source added by the generator: its hint name and its text.</summary>
/// <param name="HintName">The hint name, e.g. <c>Seed.Models.ConvNet.g.cs</c>.</param>
/// <param name="Text">The generated text.</param>
internal sealed record GeneratedSource(string HintName, string Text);

/// <summary>
/// Everything one generator run produced. <see cref="Driver"/> holds the incremental state: rerun it
/// (<see cref="Rerun"/>) on an edited compilation to test caching.
/// </summary>
/// <param name="InputCompilation">The compilation the generator ran on (the test's sources only).</param>
/// <param name="OutputCompilation">The input compilation plus the generated trees.</param>
/// <param name="Driver">The driver after the run.</param>
/// <param name="RunResult">The driver's run result, with tracked steps.</param>
/// <param name="GeneratedSources">The generated sources, in the order the generator added them.</param>
/// <param name="GeneratorDiagnostics">Diagnostics the generator reported (FL0001...).</param>
/// <param name="CompilationDiagnostics">Errors and warnings of <see cref="OutputCompilation"/> (hidden and info left out).</param>
/// <param name="Spans">The <c>[|...|]</c> spans of the markup in the main source, in order of their opening marker.</param>
internal sealed record GeneratorRunOutput(
    CSharpCompilation InputCompilation,
    Compilation OutputCompilation,
    GeneratorDriver Driver,
    GeneratorDriverRunResult RunResult,
    ImmutableArray<GeneratedSource> GeneratedSources,
    ImmutableArray<Diagnostic> GeneratorDiagnostics,
    ImmutableArray<Diagnostic> CompilationDiagnostics,
    ImmutableArray<TextSpan> Spans)
{
    /// <summary>The main source's tree (path <see cref="GeneratorHarness.MainPath"/>).</summary>
    public SyntaxTree MainTree => InputCompilation.SyntaxTrees.First(tree => tree.FilePath == GeneratorHarness.MainPath);

    /// <summary>Generator diagnostics as <c>ID@line:col-line:col</c>, ordered by file and position.</summary>
    public ImmutableArray<string> FormattedGeneratorDiagnostics => GeneratorHarness.FormatAll(GeneratorDiagnostics);

    /// <summary>Output-compilation errors and warnings as <c>ID@file:line:col-line:col: message</c> lines.</summary>
    public ImmutableArray<string> FormattedCompilationDiagnostics =>
        [.. GeneratorHarness.Sort(CompilationDiagnostics).Select(d => GeneratorHarness.Format(d, withFile: true) + ": " + d.GetMessage(CultureInfo.InvariantCulture))];

    /// <summary>
    /// The expected-diagnostic string for the markup span <paramref name="spanIndex"/>, in the same
    /// format as <see cref="FormattedGeneratorDiagnostics"/>: compare the two directly.
    /// </summary>
    /// <param name="id">Diagnostic ID, e.g. <c>FL0003</c>.</param>
    /// <param name="spanIndex">Index of the <c>[|...|]</c> span in the main source.</param>
    /// <returns><c>ID@line:col-line:col</c>.</returns>
    public string Expected(string id, int spanIndex = 0)
    {
        if (spanIndex < 0 || spanIndex >= Spans.Length)
        {
            throw new ArgumentOutOfRangeException(
                nameof(spanIndex), $"The source has {Spans.Length} [|...|] span(s); asked for index {spanIndex}.");
        }

        return GeneratorHarness.Format(id, MainTree, Spans[spanIndex]);
    }

    /// <summary>The single generated source; fails when there are none or several.</summary>
    public GeneratedSource SingleSource =>
        GeneratedSources.Length == 1
            ? GeneratedSources[0]
            : throw new InvalidOperationException(
                $"Expected one generated source, got {GeneratedSources.Length}: [{string.Join(", ", GeneratedSources.Select(s => s.HintName))}].");

    /// <summary>Runs the same driver (keeping its cache) on <paramref name="compilation"/>.</summary>
    /// <param name="compilation">The edited compilation, e.g. <c>InputCompilation.Clone()</c>.</param>
    /// <returns>The new driver; call <see cref="GeneratorDriver.GetRunResult"/> on it.</returns>
    public GeneratorDriver Rerun(Compilation compilation) => Driver.RunGenerators(compilation);
}

/// <summary>
/// Compiles test sources against the .NET 10 reference assemblies and the FusedLayers runtime, runs
/// <see cref="FusedModelGenerator"/> in-process with step tracking, and compiles the result.
/// </summary>
internal static class GeneratorHarness
{
    /// <summary>File path given to the main source; diagnostics in it are formatted without a file.</summary>
    public const string MainPath = "Model.cs";

    /// <summary>Name of the test compilation's assembly.</summary>
    public const string AssemblyName = "FusedLayers.GeneratorTestInput";

    /// <summary>
    /// C# as a user project on the .NET 10 SDK gets it (partial properties need C# 13), documentation
    /// comments parsed as with <c>GenerateDocumentationFile</c> off.
    /// </summary>
    public static CSharpParseOptions ParseOptions { get; } =
        new(LanguageVersion.Latest, DocumentationMode.Parse);

    /// <summary>A DLL with nullable enabled and every warning wave on, as strict as the repository's own projects.</summary>
    public static CSharpCompilationOptions CompilationOptions { get; } =
        new(
            OutputKind.DynamicallyLinkedLibrary,
            nullableContextOptions: NullableContextOptions.Enable,
            warningLevel: 9999,
            deterministic: true);

    /// <summary>.NET 10 reference assemblies plus the FusedLayers runtime assembly.</summary>
    public static ImmutableArray<MetadataReference> References { get; } =
    [
        .. Net100.References.All,
        MetadataReference.CreateFromFile(typeof(FusedModelAttribute).Assembly.Location),
    ];

    /// <summary>Parses <paramref name="source"/> with <see cref="ParseOptions"/>.</summary>
    /// <param name="source">C# source (no markup).</param>
    /// <param name="path">File path of the tree.</param>
    /// <returns>The tree.</returns>
    public static SyntaxTree Parse(string source, string path) =>
        CSharpSyntaxTree.ParseText(SourceText.From(source, System.Text.Encoding.UTF8), ParseOptions, path);

    /// <summary>Creates the input compilation: the main source at <see cref="MainPath"/> plus <paramref name="extraTrees"/>.</summary>
    /// <param name="source">The main source, without markup.</param>
    /// <param name="extraTrees">Further trees (give each a distinct path).</param>
    /// <returns>The compilation.</returns>
    public static CSharpCompilation CreateCompilation(string source, params IEnumerable<SyntaxTree> extraTrees) =>
        CSharpCompilation.Create(
            AssemblyName,
            [Parse(source, MainPath), .. extraTrees],
            References,
            CompilationOptions);

    /// <summary>A driver for the FusedLayers generator with step tracking on and every output kind enabled.</summary>
    /// <param name="parseOptions">Parse options for the generated trees; <see cref="ParseOptions"/> when null.</param>
    /// <returns>The driver.</returns>
    public static GeneratorDriver CreateDriver(CSharpParseOptions? parseOptions = null) =>
        CSharpGeneratorDriver.Create(
            [new FusedModelGenerator().AsSourceGenerator()],
            parseOptions: parseOptions ?? ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>
    /// Strips the <c>[|...|]</c> markup from <paramref name="markup"/>, compiles it (plus
    /// <paramref name="extraTrees"/>) and runs the generator.
    /// </summary>
    /// <param name="markup">The main source, optionally with <c>[|...|]</c> spans.</param>
    /// <param name="extraTrees">Further trees (give each a distinct path, e.g. via <see cref="Parse"/>).</param>
    /// <returns>The run's output.</returns>
    public static GeneratorRunOutput Run(string markup, params IEnumerable<SyntaxTree> extraTrees)
    {
        MarkupSource parsed = MarkupSource.Parse(markup);
        return Run(CreateCompilation(parsed.Source, extraTrees), parsed.Spans);
    }

    /// <summary>Runs the generator on an existing compilation (built with <see cref="CreateCompilation"/> or edited from one).</summary>
    /// <param name="compilation">The input compilation.</param>
    /// <param name="spans">Markup spans to carry in the result, if any.</param>
    /// <param name="parseOptions">
    /// Parse options for the generated trees (e.g. <see cref="DocumentationMode.Diagnose"/> to check their
    /// documentation comments as <c>GenerateDocumentationFile</c> does); <see cref="ParseOptions"/> when null.
    /// </param>
    /// <returns>The run's output.</returns>
    public static GeneratorRunOutput Run(CSharpCompilation compilation, ImmutableArray<TextSpan> spans = default, CSharpParseOptions? parseOptions = null)
    {
        ArgumentNullException.ThrowIfNull(compilation);
        GeneratorDriver driver = CreateDriver(parseOptions).RunGeneratorsAndUpdateCompilation(
            compilation, out Compilation outputCompilation, out ImmutableArray<Diagnostic> generatorDiagnostics);
        GeneratorDriverRunResult runResult = driver.GetRunResult();

        GeneratorRunResult generatorResult = runResult.Results.Single();
        if (generatorResult.Exception is { } exception)
        {
            throw new InvalidOperationException("The generator threw (it must report a diagnostic instead).", exception);
        }

        ImmutableArray<GeneratedSource> sources =
        [
            .. generatorResult.GeneratedSources.Select(s => new GeneratedSource(s.HintName, s.SourceText.ToString())),
        ];
        ImmutableArray<Diagnostic> compilationDiagnostics =
        [
            .. outputCompilation.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning),
        ];

        return new GeneratorRunOutput(
            compilation,
            outputCompilation,
            driver,
            runResult,
            sources,
            generatorDiagnostics,
            compilationDiagnostics,
            spans.IsDefault ? [] : spans);
    }

    /// <summary>
    /// Formats <paramref name="diagnostic"/> as <c>ID@line:col-line:col</c> (1-based, end exclusive as
    /// Roslyn's spans are). A diagnostic outside <see cref="MainPath"/> gets its file name in front
    /// (<c>ID@File.cs:line:col-line:col</c>); one without a source location is <c>ID@none</c>.
    /// </summary>
    /// <param name="diagnostic">The diagnostic.</param>
    /// <param name="withFile">Always put the file name in front.</param>
    /// <returns>The formatted diagnostic.</returns>
    public static string Format(Diagnostic diagnostic, bool withFile = false)
    {
        ArgumentNullException.ThrowIfNull(diagnostic);
        Location location = diagnostic.Location;
        if (!location.IsInSource || location.SourceTree is null)
        {
            return diagnostic.Id + "@none";
        }

        return Format(diagnostic.Id, location.SourceTree, location.SourceSpan, withFile);
    }

    /// <summary>Formats a span of <paramref name="tree"/> the same way as <see cref="Format(Diagnostic, bool)"/>.</summary>
    /// <param name="id">Diagnostic ID.</param>
    /// <param name="tree">The tree the span is in.</param>
    /// <param name="span">The span.</param>
    /// <param name="withFile">Always put the file name in front.</param>
    /// <returns><c>ID@line:col-line:col</c>.</returns>
    public static string Format(string id, SyntaxTree tree, TextSpan span, bool withFile = false)
    {
        ArgumentNullException.ThrowIfNull(tree);
        LinePositionSpan lines = tree.GetText().Lines.GetLinePositionSpan(span);
        string file = withFile || tree.FilePath != MainPath ? System.IO.Path.GetFileName(tree.FilePath) + ":" : string.Empty;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{id}@{file}{lines.Start.Line + 1}:{lines.Start.Character + 1}-{lines.End.Line + 1}:{lines.End.Character + 1}");
    }

    /// <summary>Formats and orders diagnostics (file, position, ID).</summary>
    /// <param name="diagnostics">The diagnostics.</param>
    /// <returns>One <c>ID@line:col-line:col</c> string per diagnostic.</returns>
    public static ImmutableArray<string> FormatAll(IEnumerable<Diagnostic> diagnostics) =>
        [.. Sort(diagnostics).Select(d => Format(d))];

    /// <summary>Orders diagnostics by file, start position and ID so that assertions do not depend on reporting order.</summary>
    /// <param name="diagnostics">The diagnostics.</param>
    /// <returns>The ordered diagnostics.</returns>
    public static IEnumerable<Diagnostic> Sort(IEnumerable<Diagnostic> diagnostics) =>
        diagnostics
            .OrderBy(d => d.Location.SourceTree?.FilePath ?? string.Empty, StringComparer.Ordinal)
            .ThenBy(d => d.Location.SourceSpan.Start)
            .ThenBy(d => d.Location.SourceSpan.End)
            .ThenBy(d => d.Id, StringComparer.Ordinal);
}

/// <summary>
/// Source with <c>[|...|]</c> span markup (as ComputeSharp's and Roslyn's analyzer tests write it):
/// the markers are removed and the spans they enclosed are kept. Spans may nest; they are ordered by
/// their opening marker.
/// </summary>
/// <param name="Source">The source without markers.</param>
/// <param name="Spans">The marked spans in <see cref="Source"/>.</param>
internal sealed record MarkupSource(string Source, ImmutableArray<TextSpan> Spans)
{
    /// <summary>Removes the markers from <paramref name="markup"/>.</summary>
    /// <param name="markup">Source with markup.</param>
    /// <returns>The plain source and the spans.</returns>
    /// <exception cref="ArgumentException">A marker is unbalanced.</exception>
    public static MarkupSource Parse(string markup)
    {
        ArgumentNullException.ThrowIfNull(markup);
        var text = new System.Text.StringBuilder(markup.Length);
        var open = new Stack<int>();
        var spans = new List<(int Order, TextSpan Span)>();
        var order = new Stack<int>();
        int opened = 0;
        for (int i = 0; i < markup.Length; i++)
        {
            if (i + 1 < markup.Length && markup[i] == '[' && markup[i + 1] == '|')
            {
                open.Push(text.Length);
                order.Push(opened++);
                i++;
            }
            else if (i + 1 < markup.Length && markup[i] == '|' && markup[i + 1] == ']')
            {
                if (open.Count == 0)
                {
                    throw new ArgumentException($"Markup has '|]' at offset {i} with no '[|' before it.", nameof(markup));
                }

                int start = open.Pop();
                spans.Add((order.Pop(), TextSpan.FromBounds(start, text.Length)));
                i++;
            }
            else
            {
                text.Append(markup[i]);
            }
        }

        if (open.Count != 0)
        {
            throw new ArgumentException($"Markup has {open.Count} '[|' without a closing '|]'.", nameof(markup));
        }

        return new MarkupSource(text.ToString(), [.. spans.OrderBy(s => s.Order).Select(s => s.Span)]);
    }
}
