using System;
using System.Collections.Immutable;
using System.Linq;
using FusedLayers.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace FusedLayers.Generator.Tests;

/// <summary>
/// Incremental caching with block composition: a model that uses a [FusedBlock] from another file stays cached on
/// unrelated edits (the expanded layer list and the block's own spec are value-equal from run to run), and an edit of
/// the block re-emits the model that uses it.
/// </summary>
public sealed class BlockCachingTests
{
    private const string BlockPath = "Basic.cs";

    private const string Block = """
        using FusedLayers;

        namespace Seed.Models;

        [FusedBlock]
        public partial class Basic
        {
            [Conv2d(BlockParameter.Inferred, BlockParameter.Planes, 3, Stride = BlockParameter.Stride, Padding = 1, Bias = false), StateName("conv1")]
            public partial Conv2dLayer Conv1 { get; }
            [BatchNorm2d(BlockParameter.Planes), StateName("bn1")] public partial BatchNorm2dLayer Bn1 { get; }
            [Residual(ResidualAttribute.BlockInput, AutoProjection = true), StateName("downsample")] public partial ResidualLayer Add { get; }
            [ReLU] public partial ReLULayer Relu { get; }
        }
        // A comment in the block file.
        """;

    private const string Model = """
        using FusedLayers;

        namespace Seed.Models;

        [FusedModel(InputShape = new[] { 3, 8, 8 })]
        public partial class Net
        {
            [Block(typeof(Basic), Planes = 4), StateName("layer1.0")] public partial Basic First { get; }
            [Block(typeof(Basic), Planes = 8, Stride = 2), StateName("layer1.1")] public partial Basic Second { get; }
        }
        """;

    [Fact]
    public void Block_steps_run_and_hold_no_compiler_objects()
    {
        GeneratorRunOutput first = Run();

        Assert.Empty(first.GeneratorDiagnostics);
        Assert.Equal(2, first.GeneratedSources.Length);
        Assert.NotEmpty(IncrementalSteps.Outputs(first.RunResult, TrackingNames.DiscoverBlock));
        Assert.NotEmpty(IncrementalSteps.Outputs(first.RunResult, TrackingNames.EmitBlock));
        AssertNone(IncrementalSteps.BannedObjects(first.RunResult), "Tracked outputs hold compiler objects");
    }

    [Fact]
    public void Rerun_on_a_cloned_compilation_is_fully_cached()
    {
        GeneratorRunOutput first = Run();

        GeneratorDriverRunResult second = first.Rerun(first.InputCompilation.Clone()).GetRunResult();

        AssertReused(first.RunResult, second);
    }

    [Fact]
    public void A_comment_in_the_block_file_and_an_unrelated_file_keep_everything_cached()
    {
        GeneratorRunOutput first = Run();
        Compilation edited = Edit(first.InputCompilation, BlockPath, "// A comment in the block file.", "// Another comment, longer than the first one.")
            .AddSyntaxTrees(GeneratorHarness.Parse("namespace Other; public static class Unrelated { }", "Unrelated.cs"));

        GeneratorDriverRunResult second = first.Rerun(edited).GetRunResult();

        AssertReused(first.RunResult, second);
    }

    [Fact]
    public void Editing_the_block_re_emits_the_model_that_uses_it()
    {
        GeneratorRunOutput first = Run();
        Compilation edited = Edit(first.InputCompilation, BlockPath, "[BatchNorm2d(BlockParameter.Planes), StateName(\"bn1\")]", "[BatchNorm2d(BlockParameter.Planes, Eps = 1e-3), StateName(\"bn1\")]");

        GeneratorDriverRunResult second = first.Rerun(edited).GetRunResult();

        Assert.Contains(IncrementalSteps.Outputs(second, TrackingNames.Emit), o => o.Reason is IncrementalStepRunReason.Modified);
        string model = second.Results.Single().GeneratedSources.Single(s => s.HintName == "Seed.Models.Net.g.cs").SourceText.ToString();
        Assert.Contains("new global::FusedLayers.BatchNorm2dLayer(\"layer1.0.bn1\", 4, 0.001,", model, StringComparison.Ordinal);
        Assert.Empty(second.Diagnostics);
    }

    private static GeneratorRunOutput Run() => GeneratorHarness.Run(Model, GeneratorHarness.Parse(Block, BlockPath));

    private static void AssertReused(GeneratorDriverRunResult first, GeneratorDriverRunResult second)
    {
        Assert.Equal(
            IncrementalSteps.Tracked(first).Keys.Order(StringComparer.Ordinal),
            IncrementalSteps.Tracked(second).Keys.Order(StringComparer.Ordinal));
        AssertNone(IncrementalSteps.BannedObjects(second), "Tracked outputs of the second run hold compiler objects");
        AssertNone(IncrementalSteps.UnequalOutputs(first, second), "Tracked outputs differ between equivalent runs");
        AssertNone(IncrementalSteps.NotCached(second), "The second run recomputed outputs");
    }

    private static void AssertNone(ImmutableArray<string> problems, string what) =>
        Assert.True(problems.IsEmpty, $"{what}:\n  {string.Join("\n  ", problems)}");

    private static Compilation Edit(Compilation compilation, string path, string oldText, string newText)
    {
        SyntaxTree tree = compilation.SyntaxTrees.Single(t => t.FilePath == path);
        SourceText text = tree.GetText();
        int start = text.ToString().IndexOf(oldText, StringComparison.Ordinal);
        Assert.True(start >= 0, $"'{oldText}' must occur in {path}.");
        return compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(text.WithChanges(new TextChange(new TextSpan(start, oldText.Length), newText))));
    }
}
