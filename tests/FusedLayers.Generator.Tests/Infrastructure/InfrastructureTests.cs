using System;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace FusedLayers.Generator.Tests.Infrastructure;

/// <summary>Tests of the test infrastructure itself (markup, diagnostic format, snapshots); none runs the generator.</summary>
public sealed class InfrastructureTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "fl-snapshot-tests-" + Guid.NewGuid().ToString("N"));

    public InfrastructureTests() => Directory.CreateDirectory(directory);

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void Markup_is_stripped_and_its_spans_kept_in_order()
    {
        MarkupSource parsed = MarkupSource.Parse("a [|bc [|d|] e|] f [|g|]");

        Assert.Equal("a bc d e f g", parsed.Source);
        Assert.Equal(["bc d e", "d", "g"], parsed.Spans.Select(s => parsed.Source.Substring(s.Start, s.Length)));
    }

    [Theory]
    [InlineData("a [|b")]
    [InlineData("a |] b")]
    public void Unbalanced_markup_is_rejected(string markup) =>
        Assert.Throws<ArgumentException>(() => MarkupSource.Parse(markup));

    [Fact]
    public void Diagnostic_format_matches_the_markup_span()
    {
        MarkupSource parsed = MarkupSource.Parse("""
            class C
            {
                void M() { int x = [|"text"|]; }
            }
            """);
        Microsoft.CodeAnalysis.CSharp.CSharpCompilation compilation = GeneratorHarness.CreateCompilation(parsed.Source);

        Diagnostic error = compilation.GetDiagnostics().Single(d => d.Id == "CS0029");

        Assert.Equal("CS0029@3:24-3:30", GeneratorHarness.Format(error));
        Assert.Equal(GeneratorHarness.Format("CS0029", compilation.SyntaxTrees[0], parsed.Spans[0]), GeneratorHarness.Format(error));
        Assert.Equal("CS0029@Model.cs:3:24-3:30", GeneratorHarness.Format(error, withFile: true));
    }

    [Fact]
    public void Runtime_attributes_resolve_in_the_test_compilation()
    {
        Microsoft.CodeAnalysis.CSharp.CSharpCompilation compilation = GeneratorHarness.CreateCompilation("""
            using FusedLayers;

            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public sealed class C
            {
                public Conv2dLayer? Layer { get; set; }
            }
            """);

        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Fact]
    public void Missing_snapshot_fails_and_writes_received()
    {
        string verified = Path.Combine(directory, "T.M.verified.cs");

        string? failure = Snapshot.Check("class A {}\n", verified, SnapshotMode.Local);

        Assert.NotNull(failure);
        Assert.Contains("Snapshot missing", failure, StringComparison.Ordinal);
        Assert.Contains(Snapshot.AcceptVariable + "=1", failure, StringComparison.Ordinal);
        Assert.False(File.Exists(verified));
        Assert.Equal("class A {}\n", File.ReadAllText(Path.Combine(directory, "T.M.received.cs")));
    }

    [Fact]
    public void Accept_mode_writes_verified_and_removes_received()
    {
        string verified = Path.Combine(directory, "T.M.verified.cs");
        File.WriteAllText(Path.Combine(directory, "T.M.received.cs"), "old");

        Assert.Null(Snapshot.Check("line 1\r\nline 2\r\n\r\n", verified, SnapshotMode.Accept));

        Assert.Equal("line 1\nline 2\n", File.ReadAllText(verified));
        Assert.False(File.Exists(Path.Combine(directory, "T.M.received.cs")));
        Assert.Null(Snapshot.Check("line 1\nline 2", verified, SnapshotMode.Strict));
    }

    [Fact]
    public void Strict_mode_never_accepts()
    {
        string verified = Path.Combine(directory, "T.M.verified.cs");

        string? failure = Snapshot.Check("text", verified, SnapshotMode.Strict);

        Assert.NotNull(failure);
        Assert.Contains("CI=true", failure, StringComparison.Ordinal);
        Assert.False(File.Exists(verified));
    }

    [Fact]
    public void Mismatch_fails_with_a_line_diff_and_writes_received()
    {
        string verified = Path.Combine(directory, "T.M.verified.cs");
        string expected = string.Join("\n", Enumerable.Range(1, 30).Select(i => $"line {i}"));
        File.WriteAllText(verified, expected + "\n");
        string actual = expected.Replace("line 10\n", "line ten\n", StringComparison.Ordinal) + "\nline 31";

        string? failure = Snapshot.Check(actual, verified, SnapshotMode.Local);

        Assert.NotNull(failure);
        Assert.Contains("Snapshot mismatch", failure, StringComparison.Ordinal);
        Assert.Contains("-   10       | line 10", failure, StringComparison.Ordinal);
        Assert.Contains("+         10 | line ten", failure, StringComparison.Ordinal);
        Assert.Contains("+         31 | line 31", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("| line 20", failure, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(directory, "T.M.received.cs")));
    }

    [Fact]
    public void Diff_is_cut_after_the_maximum_number_of_changed_lines()
    {
        string expected = string.Join("\n", Enumerable.Range(1, 100).Select(i => $"a{i}"));
        string actual = string.Join("\n", Enumerable.Range(1, 100).Select(i => $"b{i}"));

        string diff = Snapshot.Diff(expected, actual, maxChangedLines: 40);

        Assert.Equal(40, diff.Split('\n').Count(line => line.StartsWith('-') && !line.StartsWith("---", StringComparison.Ordinal)
            || line.StartsWith('+') && !line.StartsWith("+++", StringComparison.Ordinal)));
        Assert.Contains("160 more changed line(s) not shown", diff, StringComparison.Ordinal);
    }

    [Fact]
    public void Matching_snapshot_passes_and_removes_a_stale_received_file()
    {
        string verified = Path.Combine(directory, "T.M.verified.cs");
        File.WriteAllText(verified, "same\r\n");
        File.WriteAllText(Path.Combine(directory, "T.M.received.cs"), "stale");

        Assert.Null(Snapshot.Check("same", verified, SnapshotMode.Local));
        Assert.False(File.Exists(Path.Combine(directory, "T.M.received.cs")));
    }

    [Fact]
    public void Generator_version_is_scrubbed()
    {
        string scrubbed = Snapshot.Scrub("""
            [global::System.CodeDom.Compiler.GeneratedCode("FusedLayers.Generator", "9.8.7.6")]
            [GeneratedCodeAttribute( "FusedLayers.Generator" , "1.2.3+abcdef" )]
            [GeneratedCode("Other.Tool", "1.2.3.4")]
            """);

        Assert.Equal("""
            [global::System.CodeDom.Compiler.GeneratedCode("FusedLayers.Generator", "{version}")]
            [GeneratedCodeAttribute( "FusedLayers.Generator" , "{version}" )]
            [GeneratedCode("Other.Tool", "1.2.3.4")]
            """, scrubbed);
    }

    [Fact]
    public void Generator_assembly_version_is_scrubbed_wherever_it_stands()
    {
        string version = typeof(FusedModelGenerator).Assembly.GetName().Version!.ToString();

        Assert.Equal("// FusedLayers.Generator {version}", Snapshot.Scrub("// FusedLayers.Generator " + version));
        Assert.Equal("x1" + version, Snapshot.Scrub("x1" + version));
    }

    [Fact]
    public void Snapshot_paths_follow_verify_conventions()
    {
        string file = Path.Combine(AppContext.BaseDirectory, "SomeTests.cs");

        string path = Snapshot.GetVerifiedPath(file, "Method", "Seed.Models.Net.g", "cs");

        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "_snapshots", "SomeTests.Method#Seed.Models.Net.g.verified.cs"), path);
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "_snapshots", "SomeTests.Method.verified.txt"), Snapshot.GetVerifiedPath(file, "Method", null, "txt"));
        Assert.EndsWith("SomeTests.Method.received.txt", Snapshot.GetReceivedPath(Snapshot.GetVerifiedPath(file, "Method", null, "txt")), StringComparison.Ordinal);
    }

    [Fact]
    public void Snapshot_directory_is_beside_the_test_source()
    {
        string path = Snapshot.GetVerifiedPath(ThisFile(), "M", null, "cs");

        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(path)!, "..", "InfrastructureTests.cs")));
    }

    [Fact]
    public void Banned_object_walker_finds_nested_compiler_objects()
    {
        Microsoft.CodeAnalysis.CSharp.CSharpCompilation compilation = GeneratorHarness.CreateCompilation("class C {}");
        Location location = compilation.SyntaxTrees[0].GetRoot().GetLocation();
        var holder = new Holder("name", [new Inner(1, null), new Inner(2, location)], (3, TextSpan.FromBounds(0, 1)));

        Assert.Equal(
            "x.<Items>k__BackingField[1].<Where>k__BackingField: Microsoft.CodeAnalysis.SourceLocation is a Location",
            Assert.Single(IncrementalSteps.FindBanned(holder, "x")));
        Assert.Empty(IncrementalSteps.FindBanned(new Holder("n", [new Inner(1, null)], (0, default)), "x"));
    }

    private static string ThisFile([System.Runtime.CompilerServices.CallerFilePath] string file = "") => file;

    private sealed record Inner(int Value, Location? Where);

    private sealed record Holder(string Name, Inner[] Items, (int, TextSpan) Pair);
}
