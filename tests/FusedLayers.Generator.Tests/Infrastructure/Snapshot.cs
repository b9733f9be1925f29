using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;

namespace FusedLayers.Generator.Tests.Infrastructure;

/// <summary>
/// A small snapshot helper with Verify's conventions (Verify itself is not served here), so that a move
/// to Verify later is one line per test:
/// <list type="bullet">
/// <item><c>_snapshots/{TestFile}.{Method}#{name}.verified.{ext}</c> beside the test's source file (the
/// test file's name stands for the class name);</item>
/// <item>the generator's version is scrubbed to <c>{version}</c>, line endings become <c>\n</c>;</item>
/// <item>on a mismatch <c>.received.{ext}</c> is written next to it and the test fails with a line diff;</item>
/// <item>a missing snapshot fails too (writing <c>.received</c>), unless
/// <c>FUSEDLAYERS_ACCEPT_SNAPSHOTS=1</c>, which writes the <c>.verified</c> file and passes. Under
/// <c>CI=true</c> nothing is ever accepted.</item>
/// </list>
/// </summary>
internal static partial class Snapshot
{
    /// <summary>Environment variable that, set to <c>1</c>, accepts new and changed snapshots.</summary>
    public const string AcceptVariable = "FUSEDLAYERS_ACCEPT_SNAPSHOTS";

    /// <summary>Folder, beside the test file, that holds the snapshots.</summary>
    public const string FolderName = "_snapshots";

    /// <summary>Changed lines shown in a failure message before the diff is cut.</summary>
    public const int MaxDiffLines = 40;

    private static readonly Lazy<string[]> GeneratorVersions = new(ReadGeneratorVersions);

    /// <summary>Verifies <paramref name="text"/> against its snapshot (see <see cref="Verify"/>).</summary>
    /// <param name="text">The text to verify.</param>
    /// <param name="extension">Snapshot file extension, without the dot.</param>
    /// <param name="name">Optional part after <c>#</c> that tells several snapshots of one test apart.</param>
    /// <param name="file">Filled in by the compiler: the test's source file.</param>
    /// <param name="method">Filled in by the compiler: the test method.</param>
    /// <returns>A completed task (the check is synchronous; the shape matches Verify's).</returns>
    public static Task VerifyAsync(
        string text,
        string extension = "cs",
        string? name = null,
        [CallerFilePath] string file = "",
        [CallerMemberName] string method = "")
    {
        Verify(text, extension, name, file, method);
        return Task.CompletedTask;
    }

    /// <summary>Verifies <paramref name="text"/> against <c>_snapshots/{TestFile}.{Method}#{name}.verified.{ext}</c>.</summary>
    /// <param name="text">The text to verify.</param>
    /// <param name="extension">Snapshot file extension, without the dot.</param>
    /// <param name="name">Optional part after <c>#</c> that tells several snapshots of one test apart.</param>
    /// <param name="file">Filled in by the compiler: the test's source file.</param>
    /// <param name="method">Filled in by the compiler: the test method.</param>
    public static void Verify(
        string text,
        string extension = "cs",
        string? name = null,
        [CallerFilePath] string file = "",
        [CallerMemberName] string method = "")
    {
        string verifiedPath = GetVerifiedPath(file, method, name, extension);
        string? failure = Check(text, verifiedPath, ReadMode());
        if (failure is not null)
        {
            Assert.Fail(failure);
        }
    }

    /// <summary>
    /// Verifies every generated source of a run, as Verify's source-generator support does: one
    /// <c>#{HintName without .cs}.verified.cs</c> per source, and, when the generator reported any, a
    /// <c>#diagnostics.verified.txt</c> with one <c>ID@line:col-line:col: message</c> line each.
    /// All snapshots are checked before the first failure is raised.
    /// </summary>
    /// <param name="output">The run to verify.</param>
    /// <param name="file">Filled in by the compiler: the test's source file.</param>
    /// <param name="method">Filled in by the compiler: the test method.</param>
    /// <returns>A completed task.</returns>
    public static Task VerifyGeneratorAsync(
        GeneratorRunOutput output,
        [CallerFilePath] string file = "",
        [CallerMemberName] string method = "")
    {
        ArgumentNullException.ThrowIfNull(output);
        SnapshotMode mode = ReadMode();
        var failures = new List<string>();
        foreach (GeneratedSource source in output.GeneratedSources)
        {
            string hint = source.HintName.EndsWith(".cs", StringComparison.Ordinal) ? source.HintName[..^3] : source.HintName;
            AddFailure(Check(source.Text, GetVerifiedPath(file, method, hint, "cs"), mode));
        }

        if (!output.GeneratorDiagnostics.IsEmpty)
        {
            string diagnostics = string.Join(
                "\n",
                GeneratorHarness.Sort(output.GeneratorDiagnostics)
                    .Select(d => GeneratorHarness.Format(d) + ": " + d.GetMessage(CultureInfo.InvariantCulture)));
            AddFailure(Check(diagnostics, GetVerifiedPath(file, method, "diagnostics", "txt"), mode));
        }

        if (failures.Count > 0)
        {
            Assert.Fail(string.Join("\n\n", failures));
        }

        return Task.CompletedTask;

        void AddFailure(string? failure)
        {
            if (failure is not null)
            {
                failures.Add(failure);
            }
        }
    }

    /// <summary>Reads the accept switch: accept only with <c>FUSEDLAYERS_ACCEPT_SNAPSHOTS=1</c> and not under <c>CI=true</c>.</summary>
    /// <returns>The mode.</returns>
    internal static SnapshotMode ReadMode()
    {
        bool ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        bool accept = Environment.GetEnvironmentVariable(AcceptVariable) == "1";
        return ci ? SnapshotMode.Strict : accept ? SnapshotMode.Accept : SnapshotMode.Local;
    }

    /// <summary>The <c>.verified</c> path for a test, beside its source file.</summary>
    /// <param name="file">The test's source file (from <see cref="CallerFilePathAttribute"/>).</param>
    /// <param name="method">The test method.</param>
    /// <param name="name">Optional part after <c>#</c>.</param>
    /// <param name="extension">Extension without the dot.</param>
    /// <returns>The absolute path of the verified file.</returns>
    internal static string GetVerifiedPath(string file, string method, string? name, string extension)
    {
        ArgumentException.ThrowIfNullOrEmpty(file);
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentException.ThrowIfNullOrEmpty(extension);
        string directory = Path.Combine(LocateSourceDirectory(file), FolderName);
        string stem = Path.GetFileNameWithoutExtension(file) + "." + method + (string.IsNullOrEmpty(name) ? string.Empty : "#" + name);
        foreach (char invalid in Path.GetInvalidFileNameChars())
        {
            stem = stem.Replace(invalid, '_');
        }

        return Path.Combine(directory, stem + ".verified." + extension.TrimStart('.'));
    }

    /// <summary>The <c>.received</c> path that belongs to <paramref name="verifiedPath"/>.</summary>
    /// <param name="verifiedPath">A path ending in <c>.verified.{ext}</c>.</param>
    /// <returns>The same path with <c>.received.{ext}</c>.</returns>
    internal static string GetReceivedPath(string verifiedPath)
    {
        int index = verifiedPath.LastIndexOf(".verified.", StringComparison.Ordinal);
        if (index < 0)
        {
            throw new ArgumentException($"'{verifiedPath}' does not contain '.verified.'.", nameof(verifiedPath));
        }

        return string.Concat(verifiedPath.AsSpan(0, index), ".received.", verifiedPath.AsSpan(index + ".verified.".Length));
    }

    /// <summary>
    /// Compares <paramref name="text"/> (scrubbed) with the verified file and writes or removes the
    /// received file. Returns null when the test passes, else the failure message.
    /// </summary>
    /// <param name="text">The text to verify.</param>
    /// <param name="verifiedPath">The verified file.</param>
    /// <param name="mode">Whether to accept.</param>
    /// <returns>Null on success; otherwise the message to fail with.</returns>
    internal static string? Check(string text, string verifiedPath, SnapshotMode mode)
    {
        ArgumentNullException.ThrowIfNull(text);
        string receivedPath = GetReceivedPath(verifiedPath);
        string actual = Normalize(Scrub(text));
        bool exists = File.Exists(verifiedPath);
        string? expected = exists ? Normalize(File.ReadAllText(verifiedPath)) : null;

        if (expected == actual)
        {
            File.Delete(receivedPath);
            return null;
        }

        if (mode == SnapshotMode.Accept)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(verifiedPath)!);
            WriteText(verifiedPath, actual);
            File.Delete(receivedPath);
            return null;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(receivedPath)!);
        WriteText(receivedPath, actual);

        string accept = mode == SnapshotMode.Strict
            ? "CI=true: snapshots are never accepted in CI. Accept them locally and commit the .verified file."
            : $"To accept: rerun with {AcceptVariable}=1 (e.g. `{AcceptVariable}=1 dotnet test tests/FusedLayers.Generator.Tests`), "
              + "or move the .received file over the .verified file; review the diff and commit the .verified file.";

        if (expected is null)
        {
            return $"""
                Snapshot missing: {verifiedPath}
                The output was written to {receivedPath} ({CountLines(actual)} lines).
                {accept}
                """;
        }

        return $"""
            Snapshot mismatch: {verifiedPath}
            The output was written to {receivedPath}.
            {accept}
            {Diff(expected, actual, MaxDiffLines)}
            """;
    }

    /// <summary>
    /// Replaces the generator's version wherever it appears: in
    /// <c>[GeneratedCode("FusedLayers.Generator", "...")]</c> whatever the version, and any standalone
    /// occurrence of the generator assembly's version or informational version.
    /// </summary>
    /// <param name="text">Text to scrub.</param>
    /// <returns>The scrubbed text.</returns>
    internal static string Scrub(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string result = GeneratedCodeRegex().Replace(text, "${head}{version}${tail}");
        foreach (string version in GeneratorVersions.Value)
        {
            result = Regex.Replace(
                result,
                @"(?<![\w.+-])" + Regex.Escape(version) + @"(?![\w.+-])",
                "{version}",
                RegexOptions.CultureInvariant,
                TimeSpan.FromSeconds(5));
        }

        return result;
    }

    /// <summary>Line endings to <c>\n</c> and exactly one trailing newline.</summary>
    /// <param name="text">Text.</param>
    /// <returns>The normalised text.</returns>
    internal static string Normalize(string text) =>
        text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').TrimEnd('\n') + "\n";

    /// <summary>
    /// A unified line diff of <paramref name="expected"/> (verified) against <paramref name="actual"/>
    /// (received), with both line numbers on every line and two lines of context, cut after
    /// <paramref name="maxChangedLines"/> changed lines.
    /// </summary>
    /// <param name="expected">The verified text.</param>
    /// <param name="actual">The received text.</param>
    /// <param name="maxChangedLines">Changed lines to show at most.</param>
    /// <returns>The diff.</returns>
    internal static string Diff(string expected, string actual, int maxChangedLines)
    {
        string[] a = SplitLines(expected);
        string[] b = SplitLines(actual);
        List<Edit> edits = ComputeEdits(a, b);

        const int context = 2;
        bool[] shown = new bool[edits.Count];
        for (int i = 0; i < edits.Count; i++)
        {
            if (edits[i].Kind != ' ')
            {
                for (int k = Math.Max(0, i - context); k <= Math.Min(edits.Count - 1, i + context); k++)
                {
                    shown[k] = true;
                }
            }
        }

        var output = new StringBuilder();
        output.Append("--- verified\n+++ received\n");
        int totalChanged = edits.Count(e => e.Kind != ' ');
        int changedShown = 0;
        for (int i = 0; i < edits.Count && changedShown < maxChangedLines; i++)
        {
            if (!shown[i])
            {
                continue;
            }

            Edit edit = edits[i];
            if (i == 0 || !shown[i - 1])
            {
                output.Append(CultureInfo.InvariantCulture, $"@@ -{edit.OldLine} +{edit.NewLine} @@\n");
            }

            if (edit.Kind != ' ')
            {
                changedShown++;
            }

            string oldNumber = edit.Kind == '+' ? string.Empty : edit.OldLine.ToString(CultureInfo.InvariantCulture);
            string newNumber = edit.Kind == '-' ? string.Empty : edit.NewLine.ToString(CultureInfo.InvariantCulture);
            output.Append(CultureInfo.InvariantCulture, $"{edit.Kind}{oldNumber,5} {newNumber,5} | {edit.Text}\n");
        }

        if (totalChanged > changedShown)
        {
            output.Append(CultureInfo.InvariantCulture, $"... {totalChanged - changedShown} more changed line(s) not shown; compare the files.\n");
        }

        return output.ToString().TrimEnd('\n');
    }

    private static string[] SplitLines(string text) => text.TrimEnd('\n').Split('\n');

    /// <summary>Line edits by a longest common subsequence of the lines between the common prefix and suffix.</summary>
    private static List<Edit> ComputeEdits(string[] a, string[] b)
    {
        int prefix = 0;
        while (prefix < a.Length && prefix < b.Length && a[prefix] == b[prefix])
        {
            prefix++;
        }

        int suffix = 0;
        while (suffix < a.Length - prefix && suffix < b.Length - prefix && a[a.Length - 1 - suffix] == b[b.Length - 1 - suffix])
        {
            suffix++;
        }

        var edits = new List<Edit>(a.Length + b.Length);
        for (int i = 0; i < prefix; i++)
        {
            edits.Add(new Edit(' ', i + 1, i + 1, a[i]));
        }

        int n = a.Length - prefix - suffix;
        int m = b.Length - prefix - suffix;
        if ((long)n * m > 16_000_000)
        {
            // Too large for the quadratic table: everything in the middle is a change.
            for (int i = 0; i < n; i++)
            {
                edits.Add(new Edit('-', prefix + i + 1, prefix + 1, a[prefix + i]));
            }

            for (int j = 0; j < m; j++)
            {
                edits.Add(new Edit('+', prefix + n + 1, prefix + j + 1, b[prefix + j]));
            }
        }
        else
        {
            // lcs[i, j] = length of the LCS of a[prefix+i..] and b[prefix+j..] (middle part only).
            int[,] lcs = new int[n + 1, m + 1];
            for (int i = n - 1; i >= 0; i--)
            {
                for (int j = m - 1; j >= 0; j--)
                {
                    lcs[i, j] = a[prefix + i] == b[prefix + j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
                }
            }

            int x = 0;
            int y = 0;
            while (x < n || y < m)
            {
                if (x < n && y < m && a[prefix + x] == b[prefix + y])
                {
                    edits.Add(new Edit(' ', prefix + x + 1, prefix + y + 1, a[prefix + x]));
                    x++;
                    y++;
                }
                else if (x < n && (y == m || lcs[x + 1, y] >= lcs[x, y + 1]))
                {
                    edits.Add(new Edit('-', prefix + x + 1, prefix + y + 1, a[prefix + x]));
                    x++;
                }
                else
                {
                    edits.Add(new Edit('+', prefix + x + 1, prefix + y + 1, b[prefix + y]));
                    y++;
                }
            }
        }

        for (int k = 0; k < suffix; k++)
        {
            int i = a.Length - suffix + k;
            int j = b.Length - suffix + k;
            edits.Add(new Edit(' ', i + 1, j + 1, a[i]));
        }

        return edits;
    }

    private static int CountLines(string text) => SplitLines(text).Length;

    private static void WriteText(string path, string text) =>
        File.WriteAllText(path, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));

    /// <summary>
    /// The directory of the test's source file. <see cref="CallerFilePathAttribute"/> gives the path at
    /// build time; if the build mapped it (<c>/_/...</c> under <c>ContinuousIntegrationBuild</c>), the
    /// mapped part is looked up in the folders above the test assembly.
    /// </summary>
    private static string LocateSourceDirectory(string file)
    {
        string? directory = Path.GetDirectoryName(file);
        if (directory is not null && Directory.Exists(directory))
        {
            return directory;
        }

        string relative = file.Replace('\\', '/');
        if (relative.StartsWith("/_/", StringComparison.Ordinal))
        {
            relative = relative[3..];
        }

        for (DirectoryInfo? root = new(AppContext.BaseDirectory); root is not null; root = root.Parent)
        {
            string candidate = Path.Combine(root.FullName, relative);
            if (File.Exists(candidate))
            {
                return Path.GetDirectoryName(candidate)!;
            }
        }

        throw new InvalidOperationException(
            $"Cannot find the directory of test file '{file}' (from [CallerFilePath]) to store snapshots beside it.");
    }

    private static string[] ReadGeneratorVersions()
    {
        Assembly generator = typeof(FusedModelGenerator).Assembly;
        var versions = new List<string>();
        if (generator.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion is { Length: > 0 } informational)
        {
            versions.Add(informational);
            int plus = informational.IndexOf('+', StringComparison.Ordinal);
            if (plus > 0)
            {
                versions.Add(informational[..plus]);
            }
        }

        if (generator.GetName().Version?.ToString() is { Length: > 0 } version)
        {
            versions.Add(version);
        }

        if (generator.GetCustomAttribute<AssemblyFileVersionAttribute>()?.Version is { Length: > 0 } fileVersion)
        {
            versions.Add(fileVersion);
        }

        // Longest first, so that "0.1.0+abc" is replaced before "0.1.0".
        return [.. versions.Distinct(StringComparer.Ordinal).OrderByDescending(v => v.Length)];
    }

    [GeneratedRegex("""(?<head>GeneratedCode(?:Attribute)?\(\s*"FusedLayers\.Generator"\s*,\s*")[^"]*(?<tail>")""", RegexOptions.CultureInvariant)]
    private static partial Regex GeneratedCodeRegex();

    private readonly record struct Edit(char Kind, int OldLine, int NewLine, string Text);
}

/// <summary>How a snapshot check treats a missing or changed snapshot.</summary>
internal enum SnapshotMode
{
    /// <summary>Fail and write <c>.received</c>; the message says how to accept.</summary>
    Local,

    /// <summary>Write the <c>.verified</c> file and pass (<c>FUSEDLAYERS_ACCEPT_SNAPSHOTS=1</c>).</summary>
    Accept,

    /// <summary>As <see cref="Local"/>; used under <c>CI=true</c>, where accepting is refused.</summary>
    Strict,
}
