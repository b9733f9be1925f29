using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace FashionMnist;

/// <summary>
/// Finds the four Fashion-MNIST IDX files (each gzip or plain) in a folder: the one given with
/// <c>--data</c>, else <c>$FASHION_MNIST_DIR</c>, else where Debian's <c>dataset-fashion-mnist</c> installs them.
/// </summary>
internal sealed record FashionMnistFiles(string Directory, string TrainImages, string TrainLabels, string TestImages, string TestLabels)
{
    private static readonly string[] BaseNames =
    [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ];

    /// <summary>The files, or null with <paramref name="problem"/> saying what is missing where.</summary>
    public static FashionMnistFiles? Find(string? dataDirectory, out string directory, out string problem)
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(Options.DataEnvironmentVariable);
        directory = dataDirectory
            ?? (string.IsNullOrWhiteSpace(fromEnvironment) ? Options.DebianDataDirectory : fromEnvironment);
        if (!System.IO.Directory.Exists(directory))
        {
            problem = $"The folder {directory} does not exist.";
            return null;
        }

        string folder = directory;
        var found = new List<string>();
        var missing = new List<string>();
        foreach (string name in BaseNames)
        {
            string? path = new[] { name + ".gz", name }
                .Select(candidate => Path.Combine(folder, candidate))
                .FirstOrDefault(File.Exists);
            if (path is null)
            {
                missing.Add(name + "[.gz]");
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
        return new FashionMnistFiles(directory, found[0], found[1], found[2], found[3]);
    }

    /// <summary>What to print when the files are not there: exactly how to get them.</summary>
    public static string InstallHelp(string problem) => $"""
        Fashion-MNIST was not found: {problem}

        Install it (Debian 12 or later; 30 MB, MIT licence; the four .gz files land in {Options.DebianDataDirectory}):

            sudo apt-get update && sudo apt-get install -y dataset-fashion-mnist

        (as root, without sudo). Check with: dpkg -L dataset-fashion-mnist

        Or put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and
        t10k-labels-idx1-ubyte.gz (gzip or unpacked) from https://github.com/zalandoresearch/fashion-mnist
        (folder data/fashion) into a folder and pass it with --data DIR (or set {Options.DataEnvironmentVariable}).
        """;
}
