using System;
using System.Globalization;
using System.Linq;
using FusedLayers.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace FusedLayers.Generator.Tests;

/// <summary>
/// Diagnostics of block composition (issue 12 point 1): one test per ID, asserting the ID and exact span (marked
/// <c>[|...|]</c>), the message, and that the output compilation has no C# error (the model gets throwing stubs, the
/// block class its generated part).
/// </summary>
public sealed class BlockDiagnosticTests
{
    private const string Block = """
        [FusedBlock]
        public partial class Basic
        {
            [Conv2d(BlockParameter.Inferred, BlockParameter.Planes, 3, Stride = BlockParameter.Stride, Padding = 1, Bias = false)] public partial Conv2dLayer Conv1 { get; }
            [BatchNorm2d(BlockParameter.Planes)] public partial BatchNorm2dLayer Bn1 { get; }
            [Residual(ResidualAttribute.BlockInput, AutoProjection = true)] public partial ResidualLayer Add { get; }
            [ReLU] public partial ReLULayer Relu { get; }
        }
        """;

    [Fact]
    public void FL0020_block_use_of_a_class_without_FusedBlock()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            public partial class Plain { }
            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class Net
            {
                [ReLU] public partial ReLULayer Relu { get; }
                [[|Block(typeof(Plain), Planes = 4)|]] public partial Plain Use { get; }
            }
            """,
            ("FL0020", 0));

        Assert.Equal("Block use 'Use': 'Demo.Plain' is not marked [FusedBlock]; add [FusedBlock] to the class, or use [FusedModel] layers directly", Message(run, "FL0020"));
        AssertNoCompilerErrors(run);
    }

    [Fact]
    public void FL0021_recursive_block()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedBlock]
            public partial class Outer
            {
                [ReLU] public partial ReLULayer Relu { get; }
                [Block(typeof(Inner))] public partial Inner Child { get; }
            }
            [FusedBlock]
            public partial class Inner
            {
                [[|Block(typeof(Outer))|]] public partial Outer Back { get; }
            }
            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class Net
            {
                [Block(typeof(Outer))] public partial Outer Use { get; }
            }
            """,
            ("FL0021", 0));

        Assert.Equal("Block 'Outer' uses itself (Outer -> Inner -> Outer); a block is expanded at build time, so it cannot contain itself", Message(run, "FL0021"));
        AssertNoCompilerErrors(run);
    }

    [Fact]
    public void FL0022_block_use_of_the_wrong_type()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            """ + Block + """

            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class Net
            {
                [Block(typeof(Basic), Planes = 4)] public partial ReLULayer [|Use|] { get; }
            }
            """,
            ("FL0022", 0));

        Assert.Equal("Block use 'Use' must be a partial, non-static, get-only property of the block's type: partial Demo.Basic Use { get; }; its type is FusedLayers.ReLULayer", Message(run, "FL0022"));
        AssertNoCompilerErrors(run);
    }

    [Fact]
    public void FL0023_block_class_not_partial()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedBlock]
            public class [|Basic|]
            {
                [ReLU] public ReLULayer? Relu { get; }
            }
            """,
            ("FL0023", 0));

        Assert.StartsWith("Block class 'Basic' is not partial;", Message(run, "FL0023"), StringComparison.Ordinal);
        Assert.Empty(run.GeneratedSources);
    }

    [Fact]
    public void FL0024_duplicate_state_name()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class Net
            {
                [Conv2d(3, 4, 3, Padding = 1), StateName("conv")] public partial Conv2dLayer Conv1 { get; }
                [Conv2d(4, 4, 3, Padding = 1), StateName("conv")] public partial Conv2dLayer [|Conv2|] { get; }
            }
            """,
            ("FL0024", 0));

        Assert.Equal("Layer 'Conv2': state-dict name 'conv' is also the name of layer 'Conv1'; every layer needs its own", Message(run, "FL0024"));
        AssertNoCompilerErrors(run);
    }

    [Fact]
    public void FL0130_block_parameter_not_set_at_the_use()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedBlock]
            public partial class Basic
            {
                [[|Conv2d(BlockParameter.Inferred, BlockParameter.Planes, 3, Padding = 1)|]] public partial Conv2dLayer Conv1 { get; }
            }
            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class Net
            {
                [Block(typeof(Basic))] public partial Basic Use { get; }
            }
            """,
            ("FL0130", 0));

        Assert.Equal("Layer 'Conv1' of block 'Basic' uses BlockParameter.Planes, which the use 'Use' does not set: add Planes = ... to its [Block] attribute", Message(run, "FL0130"));
        AssertNoCompilerErrors(run);
    }

    [Fact]
    public void FL0220_skip_connection_leaving_its_block()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedBlock]
            public partial class Basic
            {
                [Conv2d(BlockParameter.Inferred, 3, 3, Padding = 1)] public partial Conv2dLayer Conv1 { get; }
                [Residual([|"Stem"|])] public partial ResidualLayer Add { get; }
            }
            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class Net
            {
                [Conv2d(3, 3, 3, Padding = 1)] public partial Conv2dLayer Stem { get; }
                [Block(typeof(Basic))] public partial Basic Use { get; }
            }
            """,
            ("FL0220", 0));

        Assert.Equal("Residual 'Add' in block 'Basic' names 'Stem', which is not a layer of the block; name an earlier layer of the block or ResidualAttribute.BlockInput", Message(run, "FL0220"));
        AssertNoCompilerErrors(run);
    }

    [Fact]
    public void FL0221_block_that_does_not_fit_its_use_site()
    {
        // The block's first convolution is written for 8 input channels; the use feeds it the model input's 3. The channel error
        // (FL0201) points into the block, which both uses share; FL0221 names the use.
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedBlock]
            public partial class Fixed
            {
                [[|Conv2d(8, 8, 3, Padding = 1, Bias = false)|]] public partial Conv2dLayer Conv1 { get; }
                [BatchNorm2d(8)] public partial BatchNorm2dLayer Bn1 { get; }
            }
            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class Net
            {
                [[|Block(typeof(Fixed))|]] public partial Fixed First { get; }
            }
            """,
            ("FL0201", 0),
            ("FL0221", 1));

        Assert.Equal("Block use 'First' (Demo.Fixed) receives [3, 8, 8], which its layer 'Conv1' does not accept (FL0201 there)", Message(run, "FL0221"));
        AssertNoCompilerErrors(run);
    }

    [Fact]
    public void A_valid_block_used_twice_reports_nothing_and_compiles()
    {
        GeneratorRunOutput run = GeneratorHarness.Run(
            """
            using FusedLayers;
            namespace Demo;
            """ + Block + """

            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class Net
            {
                [Block(typeof(Basic), Planes = 4)] public partial Basic First { get; }
                [Block(typeof(Basic), Planes = 8, Stride = 2)] public partial Basic Second { get; }
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.FormattedCompilationDiagnostics);
        Assert.Equal(2, run.GeneratedSources.Length);
    }

    private static GeneratorRunOutput Check(string markup, params (string Id, int Span)[] expected)
    {
        GeneratorRunOutput run = GeneratorHarness.Run(markup);
        Assert.Equal(
            expected.Select(e => run.Expected(e.Id, e.Span)).Order(StringComparer.Ordinal).ToArray(),
            run.GeneratorDiagnostics.Select(FormatLocation).Order(StringComparer.Ordinal).ToArray());
        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id == "FL0099");
        return run;
    }

    private static string FormatLocation(Diagnostic diagnostic)
    {
        FileLinePositionSpan span = diagnostic.Location.GetLineSpan();
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{diagnostic.Id}@{span.StartLinePosition.Line + 1}:{span.StartLinePosition.Character + 1}-{span.EndLinePosition.Line + 1}:{span.EndLinePosition.Character + 1}");
    }

    private static string Message(GeneratorRunOutput run, string id) =>
        Assert.Single(run.GeneratorDiagnostics, d => d.Id == id).GetMessage(CultureInfo.InvariantCulture);

    private static void AssertNoCompilerErrors(GeneratorRunOutput run) =>
        Assert.True(run.CompilationDiagnostics.IsEmpty, "C# diagnostics:\n  " + string.Join("\n  ", run.FormattedCompilationDiagnostics));
}
