using System;
using System.Collections.Immutable;
using System.Linq;
using FusedLayers.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace FusedLayers.Generator.Tests;

/// <summary>
/// The harness end to end on valid models: one source per model, named <c>{Namespace}.{Class}.g.cs</c>,
/// no generator diagnostics, and an output compilation free of errors and warnings.
/// </summary>
public sealed class HarnessSmokeTests
{
    [Fact]
    public void Seed_model_generates_one_source_that_compiles_without_warnings()
    {
        GeneratorRunOutput run = GeneratorHarness.Run(SeedModels.ConvBnRelu);

        Assert.Equal("Seed.Models.ConvBnRelu.g.cs", run.SingleSource.HintName);
        Assert.Contains("partial class ConvBnRelu", run.SingleSource.Text, StringComparison.Ordinal);
        Assert.Empty(run.FormattedGeneratorDiagnostics);
        AssertCompilesCleanly(run);
    }

    [Theory]
    [MemberData(nameof(SeedModelNames))]
    public void Every_seed_model_generates_one_source_that_compiles_without_warnings(string model)
    {
        GeneratorRunOutput run = GeneratorHarness.Run(SeedModels.Get(model));

        Assert.Equal($"{SeedModels.Namespace}.{model}.g.cs", run.SingleSource.HintName);
        Assert.Empty(run.FormattedGeneratorDiagnostics);
        AssertCompilesCleanly(run);
    }

    [Fact]
    public void All_seed_models_together_generate_one_source_each()
    {
        GeneratorRunOutput run = GeneratorHarness.Run(
            SeedModels.ConvBnRelu,
            GeneratorHarness.Parse(SeedModels.LinearBnRelu, "LinearBnRelu.cs"),
            GeneratorHarness.Parse(SeedModels.ConvFlattenLinear, "ConvFlattenLinear.cs"));

        Assert.Equal(
            ["Seed.Models.ConvBnRelu.g.cs", "Seed.Models.ConvFlattenLinear.g.cs", "Seed.Models.LinearBnRelu.g.cs"],
            run.GeneratedSources.Select(s => s.HintName).Order(StringComparer.Ordinal));
        Assert.Empty(run.FormattedGeneratorDiagnostics);
        AssertCompilesCleanly(run);
    }

    [Fact]
    public void Generated_code_has_no_documentation_warnings()
    {
        // As a consumer with GenerateDocumentationFile: CS1591 (missing XML comment), CS1570-CS1574 (bad XML, crefs).
        CSharpParseOptions documented = GeneratorHarness.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);
        CSharpCompilation compilation = CSharpCompilation.Create(
            GeneratorHarness.AssemblyName,
            [
                CSharpSyntaxTree.ParseText(SeedModels.ConvFlattenLinear, documented, GeneratorHarness.MainPath),
                CSharpSyntaxTree.ParseText(SeedModels.LinearBnRelu, documented, "LinearBnRelu.cs"),
            ],
            GeneratorHarness.References,
            GeneratorHarness.CompilationOptions);

        GeneratorRunOutput run = GeneratorHarness.Run(compilation, parseOptions: documented);

        Assert.Equal(2, run.GeneratedSources.Length);
        string[] inGeneratedCode =
        [
            .. run.FormattedCompilationDiagnostics.Where(d => d.StartsWith("CS15", StringComparison.Ordinal) && d.Contains(".g.cs:", StringComparison.Ordinal)),
        ];
        Assert.True(inGeneratedCode.Length == 0, "The generated code has documentation warnings:\n  " + string.Join("\n  ", inGeneratedCode));
    }

    public static TheoryData<string> SeedModelNames => SeedModels.All;

    private static void AssertCompilesCleanly(GeneratorRunOutput run)
    {
        const int shown = 25;
        ImmutableArray<string> problems = run.FormattedCompilationDiagnostics;
        Assert.True(
            problems.IsEmpty,
            $"The output compilation has {problems.Length} error(s) or warning(s):\n  "
            + string.Join("\n  ", problems.Take(shown))
            + (problems.Length > shown ? $"\n  ... and {problems.Length - shown} more" : string.Empty));
    }
}
