using System;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using FusedLayers.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace FusedLayers.Generator.Tests;

/// <summary>
/// The generator must never throw, whatever the user's code looks like: broken attribute arguments,
/// missing usings, syntax errors, unsupported declarations, absurd shapes. Every test runs the driver
/// directly (the harness throws on a generator exception; here the exception is what is asserted on)
/// and checks: no exception in the run result, no FL0099 (generator failure) and no CS8785 (the driver's
/// "generator failed" warning), and every generated file parses without syntax errors.
/// </summary>
public sealed class GeneratorRobustnessTests
{
    [Theory]
    [InlineData("""[Conv2d("3", 64, 3)]""")]
    [InlineData("""[Conv2d(3, 64, 3.5)]""")]
    [InlineData("""[Conv2d(3, 64, 3, Stride = "2")]""")]
    [InlineData("""[Conv2d(3, 64, 3, Bias = 1)]""")]
    [InlineData("""[Conv2d(3, 64, 3, NoSuchOption = 1)]""")]
    [InlineData("""[Conv2d(3, 64, 3, 1, 1, 1, 1)]""")]
    [InlineData("""[Conv2d]""")]
    [InlineData("""[Conv2d(3, 64, KernelSize = null)]""")]
    [InlineData("""[Conv2d(3, 64, kernelSize: 3, inChannels: 3)]""")]
    [InlineData("""[Conv2d(3, 64, 3, KernelSize = 5)]""")]
    [InlineData("""[Conv2d(3, 64, 3, Stride = int.MaxValue, Padding = int.MaxValue)]""")]
    [InlineData("""[Conv2d(3, 64, int.MaxValue)]""")]
    [InlineData("""[Conv2d(int.MinValue, int.MinValue, int.MinValue, Stride = int.MinValue, Padding = int.MinValue)]""")]
    public void Conv2d_attribute_with_wrong_or_extreme_arguments(string attribute)
    {
        RunResult run = Run(
            $$"""
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                {{attribute}} public partial Conv2dLayer Conv { get; }
                [ReLU] public partial ReLULayer Relu { get; }
            }
            """);

        Assert.Equal("Demo.Net.g.cs", Assert.Single(run.Sources).HintName);
    }

    [Theory]
    [InlineData("""[BatchNorm2d("64")]""")]
    [InlineData("""[BatchNorm2d(64, Eps = "small")]""")]
    [InlineData("""[BatchNorm2d(64, Momentum = null)]""")]
    [InlineData("""[BatchNorm2d(64, Eps = 1e-5f)]""")]
    [InlineData("""[BatchNorm2d(64, Momentum = 1)]""")]
    [InlineData("""[BatchNorm2d(64, Eps = double.Epsilon, Momentum = double.NegativeInfinity)]""")]
    [InlineData("""[BatchNorm2d(64, CumulativeAverage = 1, Affine = "no", TrackRunningStats = null)]""")]
    [InlineData("""[BatchNorm2d]""")]
    public void BatchNorm_attribute_with_wrong_or_extreme_arguments(string attribute)
    {
        RunResult run = Run(
            $$"""
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, 3, Padding = 1)] public partial Conv2dLayer Conv { get; }
                {{attribute}} public partial BatchNorm2dLayer Bn { get; }
            }
            """);

        Assert.Equal("Demo.Net.g.cs", Assert.Single(run.Sources).HintName);
    }

    [Theory]
    [InlineData("""InputShape = new[] { "3", "32" }""")]
    [InlineData("""InputShape = new[] { 3.0, 32.0 }""")]
    [InlineData("""InputShape = 3""")]
    [InlineData("""InputShape = null""")]
    [InlineData("""InputShape = new int[0]""")]
    [InlineData("""InputShape = new int[] { }""")]
    [InlineData("""InputShape = []""")]
    [InlineData("""InputShape = [3, 32, 32]""")]
    [InlineData("""InputShape = new[] { int.MaxValue, int.MaxValue, int.MaxValue }""")]
    [InlineData("""InputShape = new[] { int.MinValue }""")]
    [InlineData("""InputShape = new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }""")]
    [InlineData("""NoSuchProperty = 1""")]
    [InlineData("""3, 32, 32""")]
    public void FusedModel_attribute_with_wrong_arguments(string arguments)
    {
        RunResult run = Run(
            $$"""
            using FusedLayers;
            namespace Demo;
            [FusedModel({{arguments}})]
            public partial class Net
            {
                [Conv2d(3, 8, 3, Padding = 1)] public partial Conv2dLayer Conv { get; }
                [ReLU] public partial ReLULayer Relu { get; }
            }
            """);

        Assert.True(run.Sources.Length <= 1);
    }

    [Fact]
    public void Missing_using_leaves_every_attribute_unresolved()
    {
        RunResult run = Run(
            """
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, 3)] public partial Conv2dLayer Conv { get; }
            }
            """);

        Assert.Empty(run.Sources);
        Assert.Empty(run.GeneratorDiagnostics);
    }

    [Fact]
    public void Missing_using_with_a_qualified_model_attribute_and_unresolved_layer_attributes()
    {
        RunResult run = Run(
            """
            namespace Demo;
            [FusedLayers.FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, 3)] public partial Conv2dLayer Conv { get; }
                [ReLU] public partial FusedLayers.ReLULayer Relu { get; }
            }
            """);

        // The layer attributes are error types: no layer is found.
        Assert.Equal(["FL0004"], run.GeneratorDiagnostics.Select(d => d.Id));
    }

    [Fact]
    public void Aliased_attributes_still_resolve()
    {
        RunResult run = Run(
            """
            using Model = FusedLayers.FusedModelAttribute;
            using Conv = FusedLayers.Conv2dAttribute;
            namespace Demo;
            [Model(InputShape = new[] { 3, 8, 8 })]
            public partial class Net
            {
                [Conv(3, 4, 3)] public partial FusedLayers.Conv2dLayer C { get; }
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.GeneratedErrors);
    }

    [Theory]
    [InlineData("""[Conv2d(3, 64, 3)] public partial Conv2dLayer Conv { get; """)]
    [InlineData("""[Conv2d(3, 64, 3 public partial Conv2dLayer Conv { get; }""")]
    [InlineData("""[Conv2d(3, 64, 3)] public partial Conv2dLayer { get; }""")]
    [InlineData("""[Conv2d(3, 64, 3)] public partial Conv { get; }""")]
    [InlineData("""[Conv2d(3, 64, 3)] public partial Conv2dLayer Conv { get; } = null;""")]
    [InlineData("""[Conv2d(3, 64, 3)] public partial Conv2dLayer Conv => null!;""")]
    [InlineData("""[Conv2d(3, 64, 3)] public partial Conv2dLayer Conv { get => null!; }""")]
    [InlineData("""[Conv2d(3, 64, 3)] public partial Conv2dLayer Conv { }""")]
    [InlineData("""[Conv2d(3, 64, 3)] public partial Conv2dLayer Conv { init; }""")]
    [InlineData("""[Conv2d(3, 64, 3)] public partial Conv2dLayer Conv { get; init; }""")]
    [InlineData("""[Conv2d(3, 64, 3)] public partial Conv2dLayer Conv;""")]
    [InlineData("""[Conv2d(3, 64, 3)] public partial Conv2dLayer Conv();""")]
    [InlineData("""[Conv2d(3, 64, 3)] public partial Conv2dLayer this[int i] { get; }""")]
    [InlineData("""[Conv2d(3, 64, 3)] [ReLU""")]
    [InlineData("""[Conv2d(3, 64, 3)] public partial Conv2dLayer Conv { get; } } }""")]
    [InlineData("""[[[""")]
    [InlineData("""#if""")]
    public void Syntax_errors_inside_the_class(string member)
    {
        RunResult run = Run(
            $$"""
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                {{member}}
                [ReLU] public partial ReLULayer Relu { get; }
            }
            """);

        Assert.True(run.Sources.Length <= 1);
    }

    [Fact]
    public void Unterminated_class()
    {
        RunResult run = Run(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, 3)] public partial Conv2dLayer Conv { get; }
            """);

        Assert.True(run.Sources.Length <= 1);
    }

    [Fact]
    public void Unterminated_model_attribute()
    {
        RunResult run = Run(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32,
            public partial class Net
            {
                [Conv2d(3, 64, 3)] public partial Conv2dLayer Conv { get; }
            }
            """);

        Assert.True(run.Sources.Length <= 1);
    }

    [Theory]
    [InlineData("public partial struct Net")]
    [InlineData("public partial record Net")]
    [InlineData("public partial record class Net")]
    [InlineData("public partial record struct Net")]
    [InlineData("public partial interface Net")]
    public void Model_attribute_on_a_type_that_is_not_a_plain_class(string declaration)
    {
        RunResult run = Run(
            $$"""
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            {{declaration}}
            {
                [Conv2d(3, 64, 3)] public partial Conv2dLayer Conv { get; }
            }
            """);

        // Records get FL0002 and throwing stubs; structs and interfaces are not candidates at all.
        Assert.Empty(run.GeneratedWarningsAndErrors);
        Assert.True(run.Sources.Length == (declaration.Contains("record", StringComparison.Ordinal) ? 1 : 0));
    }

    [Fact]
    public void Model_attribute_on_an_enum_and_a_method()
    {
        RunResult run = Run(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3 })]
            public enum E { A }
            public static class C
            {
                [FusedModel(InputShape = new[] { 3 })]
                public static void M() { }
            }
            """);

        Assert.Empty(run.Sources);
        Assert.Empty(run.GeneratorDiagnostics);
    }

    [Fact]
    public void Layer_attributes_on_fields_methods_and_outside_a_model()
    {
        RunResult run = Run(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class Net
            {
                [Conv2d(3, 4, 3)] private Conv2dLayer? field;
                [ReLU] public void M() { }
                [Conv2d(3, 4, 3)] public partial Conv2dLayer Conv { get; }
            }

            public class NotAModel
            {
                [Conv2d(3, 4, 3)] public Conv2dLayer? Conv { get; }
            }
            """);

        Assert.Equal("Demo.Net.g.cs", Assert.Single(run.Sources).HintName);
    }

    [Fact]
    public void Property_with_an_unresolvable_type()
    {
        RunResult run = Run(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, 3)] public partial NoSuchType Conv { get; }
                [ReLU] public partial ReLULayer Relu { get; }
            }
            """);

        Assert.Equal(["FL0006"], run.GeneratorDiagnostics.Select(d => d.Id));
        Assert.Contains("type 'NoSuchType'", run.GeneratorDiagnostics[0].GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void Property_with_a_generic_or_array_type()
    {
        RunResult run = Run(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, 3)] public partial System.Collections.Generic.List<Conv2dLayer> Conv { get; }
                [ReLU] public partial ReLULayer[] Relu { get; }
                [Flatten] public partial (int, string) Flat { get; }
            }
            """);

        Assert.Equal(["FL0006", "FL0006", "FL0006"], run.GeneratorDiagnostics.Select(d => d.Id));
        Assert.Empty(run.GeneratedErrors);
    }

    [Fact]
    public void Model_declared_twice_with_the_attribute_on_both_parts()
    {
        // CS0579 (duplicate attribute) for the user; the generator sees two attribute targets for one class.
        RunResult run = Run(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class Net
            {
                [Conv2d(3, 4, 3)] public partial Conv2dLayer Conv { get; }
            }

            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class Net
            {
            }
            """);

        Assert.Single(run.Sources);
    }

    [Fact]
    public void Two_models_with_the_same_name_in_different_namespaces()
    {
        RunResult run = Run(
            """
            using FusedLayers;
            namespace A
            {
                [FusedModel(InputShape = new[] { 4 })]
                public partial class Net
                {
                    [Linear(4, 2)] public partial LinearLayer Fc { get; }
                }
            }

            namespace B
            {
                [FusedModel(InputShape = new[] { 4 })]
                public partial class Net
                {
                    [Linear(4, 2)] public partial LinearLayer Fc { get; }
                }
            }
            """);

        Assert.Equal(["A.Net.g.cs", "B.Net.g.cs"], run.Sources.Select(s => s.HintName).Order(StringComparer.Ordinal));
        Assert.Empty(run.GeneratedErrors);
    }

    [Fact]
    public void Keywords_as_class_and_layer_names()
    {
        RunResult run = Run(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 4 })]
            public partial class @event
            {
                [Linear(4, 2)] public partial LinearLayer @class { get; }
                [ReLU] public partial ReLULayer @int { get; }
            }
            """);

        Assert.Single(run.Sources);
        Assert.Empty(run.GeneratedErrors);
    }

    [Fact]
    public void Layer_names_that_collide_with_generated_members()
    {
        // Layer properties named like members the generator adds (Forward, Parameters, InputShape ...).
        RunResult run = Run(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 4 })]
            public partial class Net
            {
                [Linear(4, 2)] public partial LinearLayer Training { get; }
                [ReLU] public partial ReLULayer InputShape { get; }
            }
            """);

        Assert.Single(run.Sources);
    }

    [Fact]
    public void Valid_looking_shape_whose_element_count_overflows_int_is_rejected()
    {
        RunResult run = Run(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 46341, 46341, 1 })]
            public partial class Net
            {
                [ReLU] public partial ReLULayer Relu { get; }
            }
            """);

        Assert.NotEmpty(run.GeneratorDiagnostics);
        Assert.DoesNotContain("IFusedModel", Assert.Single(run.Sources).SourceText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Nullable_annotated_layer_type_compiles_cleanly()
    {
        RunResult run = Run(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class Net
            {
                [Conv2d(3, 4, 3)] public partial Conv2dLayer? Conv { get; }
            }
            """);

        Assert.Empty(run.GeneratedWarningsAndErrors);
    }

    [Fact]
    public void Shapes_whose_element_count_overflows_int()
    {
        RunResult run = Run(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 65536, 65536, 65536 })]
            public partial class Net
            {
                [BatchNorm2d(65536)] public partial BatchNorm2dLayer Bn { get; }
                [Flatten] public partial FlattenLayer Flat { get; }
                [Linear(0, 10)] public partial LinearLayer Head { get; }
            }
            """);

        Assert.True(run.Sources.Length <= 1);
    }

    [Fact]
    public void Empty_class_body_and_no_members()
    {
        RunResult run = Run(
            """
            using FusedLayers;
            [FusedModel(InputShape = new[] { 1 })]
            partial class Net;
            """);

        Assert.Equal(["FL0004"], run.GeneratorDiagnostics.Select(d => d.Id));
    }

    [Fact]
    public void Many_layers()
    {
        string layers = string.Concat(Enumerable.Range(0, 100).Select(i =>
            $"    [Linear(8, 8)] public partial LinearLayer Fc{i} {{ get; }}\n    [BatchNorm1d(8)] public partial BatchNorm1dLayer Bn{i} {{ get; }}\n    [ReLU] public partial ReLULayer Relu{i} {{ get; }}\n"));
        RunResult run = Run(
            "using FusedLayers;\nnamespace Demo;\n[FusedModel(InputShape = new[] { 8 })]\npublic partial class Net\n{\n" + layers + "}\n");

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.GeneratedErrors);
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>What a raw driver run produced.</summary>
    private sealed record RunResult(
        ImmutableArray<GeneratedSourceResult> Sources,
        ImmutableArray<Diagnostic> GeneratorDiagnostics,
        ImmutableArray<Diagnostic> GeneratedErrors,
        ImmutableArray<Diagnostic> GeneratedWarningsAndErrors);

    /// <summary>
    /// Runs the generator on <paramref name="source"/> without the harness's exception check and asserts the
    /// robustness invariants (no exception, no FL0099, no CS8785, generated files free of syntax errors).
    /// </summary>
    private static RunResult Run(string source)
    {
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(source);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(
            compilation, out Compilation output, out ImmutableArray<Diagnostic> driverDiagnostics);
        GeneratorDriverRunResult runResult = driver.GetRunResult();

        GeneratorRunResult result = Assert.Single(runResult.Results);
        Assert.True(result.Exception is null, "The generator threw: " + result.Exception);
        Assert.DoesNotContain(driverDiagnostics, d => d.Id == "CS8785");
        Assert.DoesNotContain(result.Diagnostics, d => d.Id == "FL0099");
        foreach (GeneratedSourceResult generated in result.GeneratedSources)
        {
            Diagnostic[] syntaxErrors = [.. generated.SyntaxTree.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error)];
            Assert.True(
                syntaxErrors.Length == 0,
                $"Generated file {generated.HintName} has syntax errors:\n  " + string.Join("\n  ", syntaxErrors.Select(d => d.ToString())));
        }

        ImmutableArray<Diagnostic> inGenerated =
        [
            .. output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath != GeneratorHarness.MainPath),
        ];
        return new RunResult(
            result.GeneratedSources,
            result.Diagnostics,
            [.. inGenerated.Where(d => d.Severity == DiagnosticSeverity.Error)],
            inGenerated);
    }
}
