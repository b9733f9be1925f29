using System;
using System.Collections.Immutable;
using System.Linq;
using FusedLayers.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace FusedLayers.Generator.Tests;

/// <summary>
/// Incremental caching: the generator is run, then the same driver is run again on a cloned or edited
/// compilation. Edits that cannot change the output leave every tracked step Cached or Unchanged; an
/// edit that changes the layer graph re-emits. No tracked step output may hold a compilation, symbol,
/// syntax node or location (andrewlock.net "Creating a source generator" parts 9-10; CommunityToolkit).
/// </summary>
public sealed class CachingTests
{
    private const string Unrelated = """
        namespace Other;

        public static class Unrelated
        {
            public static int Answer => 42;
        }
        """;

    [Fact]
    public void Seed_model_runs_every_tracked_step()
    {
        GeneratorRunOutput first = GeneratorHarness.Run(SeedModels.ConvBnRelu);

        ImmutableDictionary<string, ImmutableArray<IncrementalGeneratorRunStep>> tracked = IncrementalSteps.Tracked(first.RunResult);

        string[] expected = [TrackingNames.Discover, TrackingNames.Validate, TrackingNames.Plan, TrackingNames.Emit];
        Assert.All(expected, name => Assert.True(tracked.ContainsKey(name), $"Step '{name}' did not run; tracked: [{string.Join(", ", tracked.Keys)}]."));
        Assert.All(expected, name => Assert.NotEmpty(IncrementalSteps.Outputs(first.RunResult, name)));
    }

    [Fact]
    public void Rerun_on_a_cloned_compilation_is_fully_cached()
    {
        GeneratorRunOutput first = GeneratorHarness.Run(SeedModels.ConvBnRelu);

        GeneratorDriverRunResult second = first.Rerun(first.InputCompilation.Clone()).GetRunResult();

        AssertReused(first.RunResult, second);
    }

    [Fact]
    public void Adding_an_unrelated_file_keeps_every_tracked_step_cached()
    {
        GeneratorRunOutput first = GeneratorHarness.Run(SeedModels.ConvBnRelu);
        Compilation edited = first.InputCompilation.Clone().AddSyntaxTrees(GeneratorHarness.Parse(Unrelated, "Unrelated.cs"));

        GeneratorDriverRunResult second = first.Rerun(edited).GetRunResult();

        AssertReused(first.RunResult, second);
    }

    [Fact]
    public void Editing_a_comment_in_the_model_file_keeps_every_tracked_step_cached()
    {
        GeneratorRunOutput first = GeneratorHarness.Run(SeedModels.ConvBnRelu);
        Compilation edited = Edit(
            first.InputCompilation,
            "// A trailing comment that the caching tests edit.",
            "// The comment is different now, and longer than before.");

        GeneratorDriverRunResult second = first.Rerun(edited).GetRunResult();

        AssertReused(first.RunResult, second);
    }

    /// <summary>A model whose plan carries FL0301 notes (a BatchNorm after the activation runs as its own kernel).</summary>
    private const string ModelWithNotes = """
        using FusedLayers;

        namespace Seed.Models;

        [FusedModel(InputShape = new[] { 3, 16, 16 })]
        public partial class WithNotes
        {
            [Conv2d(3, 8, KernelSize = 3, Padding = 1)] public partial Conv2dLayer Conv { get; }
            [ReLU] public partial ReLULayer Relu { get; }
            [BatchNorm2d(8)] public partial BatchNorm2dLayer Bn { get; }
            [Residual("Conv")] public partial ResidualLayer Add { get; }
        }
        // A trailing comment that the caching tests edit.
        """;

    [Fact]
    public void Model_with_fusion_notes_is_cached_on_unrelated_edits()
    {
        GeneratorRunOutput first = GeneratorHarness.Run(ModelWithNotes);
        Assert.Contains(first.GeneratorDiagnostics, d => d.Id == "FL0301");
        Compilation added = first.InputCompilation.Clone().AddSyntaxTrees(GeneratorHarness.Parse(Unrelated, "Unrelated.cs"));

        GeneratorDriver driver = first.Rerun(added);
        AssertReused(first.RunResult, driver.GetRunResult());

        Compilation commented = Edit(added, "// A trailing comment that the caching tests edit.", "// Another comment, of another length.");
        GeneratorDriverRunResult third = driver.RunGenerators(commented).GetRunResult();
        AssertReused(first.RunResult, third);
        Assert.Contains(third.Diagnostics, d => d.Id == "FL0301");
    }

    [Fact]
    public void Changing_an_attribute_argument_re_emits_the_model()
    {
        GeneratorRunOutput first = GeneratorHarness.Run(SeedModels.ConvBnRelu);
        Compilation edited = Edit(
            Edit(first.InputCompilation, "[Conv2d(3, 64,", "[Conv2d(3, 32,"),
            "[BatchNorm2d(64)]",
            "[BatchNorm2d(32)]");

        GeneratorDriver driver = first.Rerun(edited);
        GeneratorDriverRunResult second = driver.GetRunResult();

        ImmutableArray<(object Value, IncrementalStepRunReason Reason)> emit = IncrementalSteps.Outputs(second, TrackingNames.Emit);
        Assert.Contains(emit, output => output.Reason is IncrementalStepRunReason.Modified or IncrementalStepRunReason.New);
        string before = first.SingleSource.Text;
        string after = second.Results.Single().GeneratedSources.Single().SourceText.ToString();
        Assert.NotEqual(before, after);
        Assert.Empty(second.Diagnostics);
        AssertNone(IncrementalSteps.BannedObjects(second), "Tracked outputs hold compiler objects");
    }

    [Fact]
    public void Editing_one_model_leaves_the_other_models_output_cached()
    {
        GeneratorRunOutput first = GeneratorHarness.Run(
            SeedModels.ConvBnRelu,
            GeneratorHarness.Parse(SeedModels.LinearBnRelu, "LinearBnRelu.cs"));
        Assert.Equal(2, first.GeneratedSources.Length);
        Compilation edited = Edit(first.InputCompilation, "[BatchNorm2d(64)]", "[BatchNorm2d(64, Eps = 1e-3)]");

        GeneratorDriverRunResult second = first.Rerun(edited).GetRunResult();

        ImmutableArray<(object Value, IncrementalStepRunReason Reason)> emit = IncrementalSteps.Outputs(second, TrackingNames.Emit);
        Assert.Single(emit, output => output.Reason is IncrementalStepRunReason.Modified or IncrementalStepRunReason.New);
        Assert.Single(emit, output => output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
    }

    [Fact]
    public void Tracked_step_outputs_hold_no_compilation_symbol_syntax_or_location()
    {
        // Valid models and one with a channel mismatch, so that outputs carrying diagnostics are walked too.
        const string invalid = """
            using FusedLayers;

            namespace Seed.Models;

            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Mismatch
            {
                [Conv2d(3, 64, KernelSize = 3, Padding = 1)] partial Conv2dLayer Conv { get; }

                [BatchNorm2d(32)] partial BatchNorm2dLayer Bn { get; }
            }
            """;
        GeneratorRunOutput run = GeneratorHarness.Run(
            SeedModels.ConvBnRelu,
            GeneratorHarness.Parse(SeedModels.LinearBnRelu, "LinearBnRelu.cs"),
            GeneratorHarness.Parse(SeedModels.ConvFlattenLinear, "ConvFlattenLinear.cs"),
            GeneratorHarness.Parse(invalid, "Mismatch.cs"));

        Assert.NotEmpty(run.GeneratorDiagnostics);
        AssertNone(IncrementalSteps.BannedObjects(run.RunResult), "Tracked outputs hold compiler objects");
    }

    /// <summary>Second run reused the first: equal outputs, Cached/Unchanged reasons, no banned objects in either run.</summary>
    private static void AssertReused(GeneratorDriverRunResult first, GeneratorDriverRunResult second)
    {
        Assert.NotEmpty(IncrementalSteps.Tracked(first));
        Assert.Equal(
            IncrementalSteps.Tracked(first).Keys.Order(StringComparer.Ordinal),
            IncrementalSteps.Tracked(second).Keys.Order(StringComparer.Ordinal));
        AssertNone(IncrementalSteps.BannedObjects(first), "Tracked outputs of the first run hold compiler objects");
        AssertNone(IncrementalSteps.BannedObjects(second), "Tracked outputs of the second run hold compiler objects");
        AssertNone(IncrementalSteps.UnequalOutputs(first, second), "Tracked outputs differ between equivalent runs");
        AssertNone(IncrementalSteps.NotCached(second), "The second run recomputed outputs");
    }

    /// <summary>Fails with every problem listed, one a line (xunit's own collection formatting cuts long strings).</summary>
    private static void AssertNone(ImmutableArray<string> problems, string what) =>
        Assert.True(problems.IsEmpty, $"{what}:\n  {string.Join("\n  ", problems)}");

    /// <summary>Replaces the one occurrence of <paramref name="oldText"/> in the main model file, as an IDE edit would.</summary>
    private static CSharpCompilation Edit(Compilation compilation, string oldText, string newText)
    {
        SyntaxTree tree = compilation.SyntaxTrees.Single(t => t.FilePath == GeneratorHarness.MainPath);
        SourceText text = tree.GetText();
        string source = text.ToString();
        int start = source.IndexOf(oldText, StringComparison.Ordinal);
        Assert.True(start >= 0 && source.IndexOf(oldText, start + 1, StringComparison.Ordinal) < 0, $"'{oldText}' must occur once in the model.");
        SyntaxTree changed = tree.WithChangedText(text.WithChanges(new TextChange(new TextSpan(start, oldText.Length), newText)));
        return (CSharpCompilation)compilation.ReplaceSyntaxTree(tree, changed);
    }
}
