using System.Linq;
using FusedLayers.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace FusedLayers.Generator.Tests;

/// <summary>
/// The repros of what fuzzing through the NuGet package found (issue 16): each minimal source either
/// compiles cleanly with its generated code, or gets an FL diagnostic and no compiler error inside
/// generated code. The generator never throws.
/// </summary>
public sealed class FuzzFindingsTests
{
    private const string Usings = "using FusedLayers;\n";

    // ------------------------------------------------------------ 1, 2, 9: names of namespaces and classes

    [Fact]
    public void Namespace_with_an_escaped_keyword_compiles()
    {
        ProbeResult run = GeneratorProbe.Run(Usings +
            "namespace @event.Models;\n[FusedModel(InputShape = new[]{4})] public partial class Net { [ReLU] public partial ReLULayer Act { get; } }");

        AssertClean(run);
        Assert.Equal("event.Models.Net.g.cs", Assert.Single(run.HintNames));
    }

    [Fact]
    public void File_local_model_class_is_reported_not_thrown()
    {
        ProbeResult run = GeneratorProbe.Run(Usings +
            "namespace Repro;\n[FusedModel(InputShape = new[]{4})] file partial class Net { [ReLU] public partial ReLULayer Act { get; } }");

        AssertNoThrow(run);
        Assert.Equal(["FL0002"], run.FlIds);
        Assert.Contains("file-local", run.GeneratorDiagnostics[0].GetMessage(System.Globalization.CultureInfo.InvariantCulture), System.StringComparison.Ordinal);
        Assert.Empty(run.ErrorsInGenerated);
    }

    [Fact]
    public void Class_named_var_compiles()
    {
        ProbeResult run = GeneratorProbe.Run(Usings +
            "namespace Demo;\n[FusedModel(InputShape = new[]{3, 8, 8})] public partial class @var {\n" +
            " [Conv2d(3, 4, 3)] public partial Conv2dLayer Conv { get; }\n [BatchNorm2d(4)] public partial BatchNorm2dLayer Bn { get; }\n" +
            " [ReLU] public partial ReLULayer Act { get; }\n [Flatten] public partial FlattenLayer Flat { get; }\n [Linear(144, 2)] public partial LinearLayer Fc { get; } }");

        AssertClean(run);
    }

    [Theory]
    [InlineData("Parameter")]
    [InlineData("Tensor")]
    [InlineData("Buffer")]
    [InlineData("Math")]
    [InlineData("System")]
    [InlineData("FusedLayers")]
    [InlineData("Span")]
    public void User_types_named_like_what_generated_code_uses_do_not_shadow_it(string typeName)
    {
        ProbeResult run = GeneratorProbe.Run(Usings +
            $"namespace Demo;\npublic sealed class {typeName} {{ }}\n" +
            "[FusedModel(InputShape = new[]{4})] public partial class Net {\n" +
            " [Linear(4, 4)] public partial LinearLayer Fc { get; }\n [BatchNorm1d(4)] public partial BatchNorm1dLayer Bn { get; }\n [ReLU] public partial ReLULayer Act { get; } }");

        Assert.Null(run.Exception);
        Assert.Empty(run.InGenerated);
    }

    // ------------------------------------------------------------ 3, 6: sizes beyond what the runtime indexes

    [Fact]
    public void Input_shape_whose_product_wraps_around_long_is_rejected()
    {
        ProbeResult run = GeneratorProbe.Run(Usings +
            "namespace Demo;\n[FusedModel(InputShape = new[] { 4194304, 2097152, 2097152 })] public partial class Net { [ReLU] public partial ReLULayer Act { get; } }");

        AssertNoThrow(run);
        Assert.Equal(["FL0107"], run.FlIds);
        Assert.Empty(run.ErrorsInGenerated);
    }

    [Fact]
    public void Huge_padding_is_an_activation_too_large_not_a_wrapped_length()
    {
        ProbeResult run = GeneratorProbe.Run(Usings +
            "namespace Demo;\n[FusedModel(InputShape = new[] { 1, 1, 1 })] public partial class Net { [Conv2d(1, 8, KernelSize = 1, Padding = int.MaxValue)] public partial Conv2dLayer Conv { get; } }");

        AssertNoThrow(run);
        Assert.Equal(["FL0204"], run.FlIds);
        string message = run.GeneratorDiagnostics[0].GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("'Conv'", message, System.StringComparison.Ordinal);
        Assert.DoesNotContain("[0]", message, System.StringComparison.Ordinal);
        Assert.Contains("[8, 4294967295, 4294967295]", message, System.StringComparison.Ordinal);
    }

    [Fact]
    public void Shapes_that_wrap_in_int_never_report_shape_zero()
    {
        ProbeResult run = GeneratorProbe.Run(Usings +
            "namespace Demo;\n[FusedModel(InputShape = new[] { 65536, 65536, 65536 })] public partial class Net {\n" +
            " [BatchNorm2d(65536)] public partial BatchNorm2dLayer Bn { get; }\n [Flatten] public partial FlattenLayer Flat { get; } }");

        AssertNoThrow(run);
        Assert.Equal(["FL0107"], run.FlIds);
    }

    [Theory]
    [InlineData("[Linear(46341, 46341)] public partial LinearLayer Fc { get; }", "{ 46341 }", "2147488281")]
    [InlineData("[Conv2d(65536, 32768, KernelSize = 1)] public partial Conv2dLayer Conv { get; }\n [BatchNorm2d(32768)] public partial BatchNorm2dLayer Bn { get; }", "{ 65536, 1, 1 }", "2147483648")]
    public void Weights_beyond_what_an_array_holds_are_a_build_error(string layers, string shape, string count)
    {
        ProbeResult run = GeneratorProbe.Run(Usings +
            $"namespace Demo;\n[FusedModel(InputShape = new[] {shape})] public partial class Net {{\n {layers} }}");

        AssertNoThrow(run);
        Assert.Equal(["FL0207"], run.FlIds);
        Assert.Contains(count, run.GeneratorDiagnostics[0].GetMessage(System.Globalization.CultureInfo.InvariantCulture), System.StringComparison.Ordinal);
        Assert.Empty(run.ErrorsInGenerated);
    }

    // ------------------------------------------------------------ 4, 5: float arguments outside float32

    [Theory]
    [InlineData("[LeakyReLU(NegativeSlope = 1e39)] public partial ActivationLayer Act { get; }", "{ 4 }", "FL0109")]
    [InlineData("[LeakyReLU(NegativeSlope = -1e39)] public partial ActivationLayer Act { get; }", "{ 4 }", "FL0109")]
    [InlineData("[BatchRenorm1d(4, Eps = 1e300, DMax = 0.5)] public partial BatchRenormLayer Bn { get; }", "{ 4 }", "FL0103")]
    [InlineData("[BatchRenorm1d(4, RMax = 1e300)] public partial BatchRenormLayer Bn { get; }", "{ 4 }", "FL0112")]
    [InlineData("[LayerNorm(1, Eps = 1e-320)] public partial LayerNormLayer Ln { get; }", "{ 4, 1 }", "FL0103")]
    [InlineData("[BatchNorm1d(4, Eps = 5e-324)] public partial BatchNorm1dLayer Bn { get; }", "{ 4 }", "FL0103")]
    [InlineData("[BatchNorm1d(4, Eps = 1e39)] public partial BatchNorm1dLayer Bn { get; }", "{ 4 }", "FL0103")]
    [InlineData("[BatchNorm1d(4, Momentum = 1e-50)] public partial BatchNorm1dLayer Bn { get; }", "{ 4 }", "FL0104")]
    [InlineData("[GroupNorm(2, 4, Eps = 1e-45)] public partial GroupNormLayer Gn { get; }", "{ 4, 2 }", "FL0103")]
    [InlineData("[InstanceNorm1d(4, Eps = 1e-40)] public partial InstanceNorm1dLayer In { get; }", "{ 4, 2 }", "FL0103")]
    [InlineData("[BatchRenorm1d(4, Momentum = 1e-60)] public partial BatchRenormLayer Bn { get; }", "{ 4 }", "FL0104")]
    public void Float_arguments_outside_float32_are_diagnosed(string layer, string shape, string id)
    {
        ProbeResult run = GeneratorProbe.Run(Usings + $"namespace Demo;\n[FusedModel(InputShape = new[] {shape})] public partial class Net {{\n {layer} }}");

        AssertNoThrow(run);
        Assert.Equal([id], run.FlIds);
        Assert.Empty(run.ErrorsInGenerated);
    }

    [Theory]
    [InlineData("[LeakyReLU(NegativeSlope = 3.4e38)] public partial ActivationLayer Act { get; }", "{ 4 }")]
    [InlineData("[BatchNorm1d(4, Eps = 1.2e-38, Momentum = 0)] public partial BatchNorm1dLayer Bn { get; }", "{ 4 }")]
    [InlineData("[Dropout(0)] public partial DropoutLayer Drop { get; }", "{ 4 }")]
    [InlineData("[Dropout(1e-50)] public partial DropoutLayer Drop { get; }", "{ 4 }")]
    public void Float_arguments_at_the_edge_of_float32_still_compile(string layer, string shape)
    {
        ProbeResult run = GeneratorProbe.Run(Usings + $"namespace Demo;\n[FusedModel(InputShape = new[] {shape})] public partial class Net {{\n {layer} }}");

        AssertClean(run);
    }

    // ------------------------------------------------------------ 7: names that collide with generated members

    [Theory]
    [InlineData("Capacity")]
    [InlineData("K0Y")]
    [InlineData("K1Mean")]
    [InlineData("Input")]
    [InlineData("Busy")]
    [InlineData("SavedBatch")]
    [InlineData("ModelName")]
    [InlineData("CollectParameters")]
    public void Layer_names_like_private_generated_members_compile(string name)
    {
        ProbeResult run = GeneratorProbe.Run(Usings +
            $"namespace Demo;\n[FusedModel(InputShape = new[] {{ 4 }})] public partial class Net {{\n [Linear(4, 4)] public partial LinearLayer {name} {{ get; }}\n" +
            " [BatchNorm1d(4)] public partial BatchNorm1dLayer Bn { get; }\n [ReLU] public partial ReLULayer Act { get; } }");

        AssertClean(run);
    }

    [Theory]
    [InlineData("[Linear(4, 4)] public partial LinearLayer Training { get; }", "Training")]
    [InlineData("[Linear(4, 4)] public partial LinearLayer Execution { get; }", "Execution")]
    [InlineData("[Linear(4, 4)] public partial LinearLayer Parameters { get; }", "Parameters")]
    [InlineData("[Linear(4, 4)] public partial LinearLayer InputShape { get; }", "InputShape")]
    [InlineData("[Linear(4, 4)] public partial LinearLayer Fc { get; }\n public void ZeroGrad() { }", "ZeroGrad")]
    [InlineData("[Linear(4, 4)] public partial LinearLayer Fc { get; }\n public int OutputLength => 3;", "OutputLength")]
    [InlineData("[Linear(4, 4)] public partial LinearLayer Fc { get; }\n public void Train(bool on) { }", "Train")]
    [InlineData("[Linear(4, 4)] public partial LinearLayer Fc { get; }\n private int _flTraining;", "_flTraining")]
    public void Names_that_collide_with_public_generated_members_get_FL0009(string members, string reserved)
    {
        ProbeResult run = GeneratorProbe.Run(Usings + $"namespace Demo;\n[FusedModel(InputShape = new[] {{ 4 }})] public partial class Net {{\n {members} }}");

        AssertNoThrow(run);
        Assert.Equal(["FL0009"], run.FlIds);
        Assert.Contains("'" + reserved + "'", run.GeneratorDiagnostics[0].GetMessage(System.Globalization.CultureInfo.InvariantCulture), System.StringComparison.Ordinal);
        Assert.Empty(run.ErrorsInGenerated);
    }

    [Fact]
    public void User_overloads_with_other_parameters_are_allowed()
    {
        ProbeResult run = GeneratorProbe.Run(Usings +
            "namespace Demo;\n[FusedModel(InputShape = new[] { 4 })] public partial class Net {\n [Linear(4, 4)] public partial LinearLayer Fc { get; }\n" +
            " public float[] Forward(float[] input) { var output = new float[4]; Forward(input, output); return output; }\n public void Train(string why) { Train(); } }");

        AssertClean(run);
    }

    // ------------------------------------------------------------ 8: a user-written implementation part

    [Fact]
    public void User_written_implementation_part_gets_FL0005()
    {
        ProbeResult run = GeneratorProbe.Run(Usings +
            "namespace Demo;\n[FusedModel(InputShape = new[] { 4 })] public partial class Net {\n [ReLU] public partial ReLULayer Act { get; }\n public partial ReLULayer Act { get => null!; } }");

        AssertNoThrow(run);
        Assert.Equal(["FL0005"], run.FlIds);
        Assert.Empty(run.ErrorsInGenerated);
        Assert.DoesNotContain(run.InUserSource, d => d.Id == "CS9251");
    }

    // ------------------------------------------------------------ 10: derived models, duplicates, stubs

    [Fact]
    public void Model_deriving_from_a_model_compiles_without_warnings()
    {
        ProbeResult run = GeneratorProbe.Run(Usings +
            "namespace Demo;\n[FusedModel(InputShape = new[] { 4 })] public partial class Base { [Linear(4, 4)] public partial LinearLayer Fc { get; } }\n" +
            "[FusedModel(InputShape = new[] { 4 })] public partial class Derived : Base { [Linear(4, 2)] public partial LinearLayer Head { get; } }");

        AssertClean(run);
    }

    [Fact]
    public void Duplicate_layer_names_add_no_errors_inside_generated_code()
    {
        ProbeResult run = GeneratorProbe.Run(Usings +
            "namespace Demo;\n[FusedModel(InputShape = new[] { 4 })] public partial class Net {\n [Linear(4, 4)] public partial LinearLayer Fc { get; }\n [ReLU] public partial ReLULayer Fc { get; } }");

        AssertNoThrow(run);
        Assert.Empty(run.InGenerated);
    }

    [Theory]
    [InlineData("public partial class Outer { [FusedModel(InputShape = new[] { 4 })] public partial class Net { [ReLU] public partial ReLULayer Act { get; } } }")]
    [InlineData("[FusedModel(InputShape = new[] { 4 })] public partial class Net<T> { [ReLU] public partial ReLULayer Act { get; } }")]
    [InlineData("[FusedModel(InputShape = new[] { 4 })] public static partial class Net { [ReLU] public static partial ReLULayer Act { get; } }")]
    [InlineData("[FusedModel(InputShape = new[] { 4 })] public partial record Net { [ReLU] public partial ReLULayer Act { get; } }")]
    public void Unsupported_model_classes_get_FL0002_and_no_follow_up_errors(string declaration)
    {
        ProbeResult run = GeneratorProbe.Run(Usings + "namespace Demo;\n" + declaration);

        AssertNoThrow(run);
        Assert.Contains("FL0002", run.FlIds);
        Assert.Empty(run.InGenerated);
        Assert.DoesNotContain(run.InUserSource, d => d.Id == "CS9248");
    }

    // ------------------------------------------------------------ 11, 12, 13: diagnostics users asked for

    [Fact]
    public void Layer_attributes_without_FusedModel_get_FL0010_on_the_class()
    {
        ProbeResult run = GeneratorProbe.Run(Usings + "namespace Demo;\npublic partial class Net {\n [Linear(4, 4)] public partial LinearLayer Fc { get; }\n [ReLU] public partial ReLULayer Act { get; } }");

        AssertNoThrow(run);
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("FL0010", diagnostic.Id);
        Assert.Equal("Net", run.Output.SyntaxTrees.First().GetText().ToString(diagnostic.Location.SourceSpan));
        Assert.DoesNotContain(run.InUserSource, d => d.Id == "CS9248");
    }

    [Fact]
    public void Argument_and_shape_errors_are_reported_in_one_build()
    {
        ProbeResult run = GeneratorProbe.Run(Usings +
            "namespace Demo;\n[FusedModel(InputShape = new[] { 3, 8, 8 })] public partial class Net {\n" +
            " [Conv2d(4, 8, 3)] public partial Conv2dLayer Conv { get; }\n" +
            " [BatchNorm2d(8)] public partial BatchNorm2dLayer Bn { get; }\n" +
            " [Dropout(2.0)] public partial DropoutLayer Drop { get; }\n" +
            " [ReLU] public partial BatchNorm2dLayer Act { get; } }");

        AssertNoThrow(run);
        Assert.Equal(["FL0006", "FL0115", "FL0201"], run.FlIds);
    }

    [Fact]
    public void Residual_source_typo_suggests_the_nearest_layer()
    {
        ProbeResult run = GeneratorProbe.Run(Usings +
            "namespace Demo;\n[FusedModel(InputShape = new[] { 4, 4, 4 })] public partial class Net {\n" +
            " [Conv2d(4, 4, 3, Padding = 1)] public partial Conv2dLayer Stem { get; }\n [ReLU] public partial ReLULayer StemRelu { get; }\n" +
            " [Conv2d(4, 4, 3, Padding = 1)] public partial Conv2dLayer Conv { get; }\n [Residual(\"StemRelus\")] public partial ResidualLayer Add { get; } }");

        AssertNoThrow(run);
        Assert.Equal(["FL0205"], run.FlIds);
        Assert.Contains("did you mean 'StemRelu'?", run.GeneratorDiagnostics[0].GetMessage(System.Globalization.CultureInfo.InvariantCulture), System.StringComparison.Ordinal);
    }

    // ------------------------------------------------------------ 14: fusion notes in build output

    [Theory]
    [InlineData(null, DiagnosticSeverity.Info)]
    [InlineData("warning", DiagnosticSeverity.Warning)]
    [InlineData("Warning ", DiagnosticSeverity.Warning)]
    [InlineData("info", DiagnosticSeverity.Info)]
    public void FusedLayersFusionNotes_property_raises_FL0301_to_a_warning(string? value, DiagnosticSeverity expected)
    {
        var globals = new System.Collections.Generic.Dictionary<string, string>();
        if (value is not null)
        {
            globals["build_property.FusedLayersFusionNotes"] = value;
        }

        Microsoft.CodeAnalysis.CSharp.CSharpCompilation compilation = GeneratorHarness.CreateCompilation(Usings +
            "namespace Demo;\n[FusedModel(InputShape = new[] { 4 })] public partial class Net {\n [Linear(4, 4)] public partial LinearLayer Fc { get; }\n" +
            " [ReLU] public partial ReLULayer Act { get; }\n [BatchNorm1d(4)] public partial BatchNorm1dLayer Bn { get; } }");
        GeneratorDriver driver = Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver.Create(
            [new FusedModelGenerator().AsSourceGenerator()],
            parseOptions: GeneratorHarness.ParseOptions,
            optionsProvider: new TestAnalyzerConfigOptionsProvider(globals));

        GeneratorRunResult result = driver.RunGenerators(compilation).GetRunResult().Results.Single();

        Diagnostic note = Assert.Single(result.Diagnostics);
        Assert.Equal("FL0301", note.Id);
        Assert.Equal(expected, note.Severity);
        Assert.Equal(GeneratorHarness.MainPath, note.Location.GetLineSpan().Path);
        Assert.Equal(5, note.Location.GetLineSpan().StartLinePosition.Line);
    }

    // ------------------------------------------------------------ helpers

    private static void AssertNoThrow(ProbeResult run)
    {
        Assert.True(run.Exception is null, run.Describe());
        Assert.DoesNotContain(run.DriverDiagnostics, d => d.Id == "CS8785");
        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id == "FL0099");
    }

    /// <summary>No exception, no FL error, and no compiler error or warning anywhere.</summary>
    private static void AssertClean(ProbeResult run)
    {
        AssertNoThrow(run);
        Assert.True(run.GeneratorDiagnostics.All(d => d.Severity < DiagnosticSeverity.Warning), run.Describe());
        Assert.True(run.InGenerated.IsEmpty && run.InUserSource.IsEmpty, run.Describe());
    }
}
