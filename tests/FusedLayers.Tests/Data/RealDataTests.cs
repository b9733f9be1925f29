using System;
using System.IO;
using System.Linq;
using FusedLayers.Data;
using FusedLayers.Tests.Training;
using FusedLayers.Training;

namespace FusedLayers.Tests.Data;

/// <summary>
/// The reader on the real Fashion-MNIST files, when they are installed (Debian's <c>dataset-fashion-mnist</c>
/// package puts the four <c>*-idx?-ubyte.gz</c> files under <c>/usr/share</c>; <c>dpkg -L dataset-fashion-mnist</c>
/// lists them); skipped otherwise. <c>FASHION_MNIST_DIR</c> points at another folder holding them.
/// </summary>
public class RealDataTests
{
    [RealFashionMnistFact]
    public void Fashion_mnist_reads_with_the_published_sizes_and_trains_a_little()
    {
        string dir = RealFashionMnistFactAttribute.Directory!;
        IdxDataset train = IdxDataset.Load(Path.Combine(dir, "train-images-idx3-ubyte.gz"), Path.Combine(dir, "train-labels-idx1-ubyte.gz"));
        IdxDataset test = IdxDataset.Load(Path.Combine(dir, "t10k-images-idx3-ubyte.gz"), Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"));
        Assert.Equal(60_000, train.Count);
        Assert.Equal(10_000, test.Count);
        Assert.Equal([1, 28, 28], train.SampleShape);
        Assert.Equal(10, train.ClassCount);
        Assert.All(Enumerable.Range(0, 10), k => Assert.Equal(6000, train.Labels.Count(l => l == k))); // balanced, as published

        Normalization n = Normalization.Estimate(train.Images.Pixels);
        Assert.Equal(0.2860, n.Mean, 3);
        Assert.Equal(0.3530, n.Std, 3);

        // 300 steps of 64 on the training set; a linear-BN-ReLU-linear network passes 75% on 2000 test images.
        var model = new MnistMlp(seed: 1);
        var batches = new MiniBatchIterator(train, 64, Normalization.FashionMnist, seed: 1);
        TrainingLoop.Train(model, batches, new Adam(model.Parameters, 1e-3), null, 300);
        double accuracy = TrainingLoop.Evaluate(model, test.Take(2000), Normalization.FashionMnist);
        Assert.True(accuracy >= 0.75, $"test accuracy {accuracy:P1}");
    }
}

/// <summary>A fact that runs only when the Fashion-MNIST files are found.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RealFashionMnistFactAttribute : FactAttribute
{
    private static readonly string[] Files =
        ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];

    public RealFashionMnistFactAttribute()
    {
        if (Directory is null)
        {
            Skip = "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist, or set FASHION_MNIST_DIR).";
        }
    }

    /// <summary>The folder holding the four files, or null.</summary>
    public static string? Directory { get; } = Find();

    private static string? Find()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("FASHION_MNIST_DIR");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return HasFiles(fromEnvironment) ? fromEnvironment : null;
        }

        if (!System.IO.Directory.Exists("/usr/share"))
        {
            return null;
        }

        // Any folder one or two levels under /usr/share whose name mentions fashion and mnist (Debian's
        // dataset-fashion-mnist: /usr/share/datasets/fashion-mnist). The parent's name need not mention either.
        foreach (string top in System.IO.Directory.EnumerateDirectories("/usr/share"))
        {
            if (IsFashionMnist(top) && HasFiles(top))
            {
                return top;
            }

            System.Collections.Generic.List<string> children;
            try
            {
                children = System.IO.Directory.EnumerateDirectories(top).ToList();
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            foreach (string candidate in children)
            {
                if (IsFashionMnist(candidate) && HasFiles(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    private static bool IsFashionMnist(string dir)
    {
        string name = Path.GetFileName(dir);
        return name.Contains("fashion", StringComparison.OrdinalIgnoreCase) && name.Contains("mnist", StringComparison.OrdinalIgnoreCase);
    }

    private static bool HasFiles(string dir) => Files.All(f => File.Exists(Path.Combine(dir, f)));
}
