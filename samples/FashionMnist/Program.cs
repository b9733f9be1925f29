using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using FusedLayers;
using FusedLayers.Checkpoints;
using FusedLayers.Data;

namespace FashionMnist;

/// <summary>
/// Trains <see cref="FashionNet"/> on Fashion-MNIST with FusedLayers and, with <c>--torch</c>, the same
/// network with PyTorch through TorchSharp, epoch by epoch in turn (so that both see the same load on a
/// shared machine), from the same initial weights on the same batches. See README.md.
/// </summary>
internal static class Program
{
    private const double TargetAccuracy = 0.934;
    private const double TargetSeconds = 300;
    private const int EvaluationBatch = 500;

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

        FashionMnistFiles? files = FashionMnistFiles.Find(options.DataDirectory, out _, out string problem);
        if (files is null)
        {
            Console.Error.WriteLine(FashionMnistFiles.InstallHelp(problem));
            return 3;
        }

        IdxDataset train, test;
        var loading = Stopwatch.StartNew();
        try
        {
            train = IdxDataset.Load(files.TrainImages, files.TrainLabels);
            test = IdxDataset.Load(files.TestImages, files.TestLabels);
        }
        catch (Exception e) when (e is IdxFormatException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"Could not read Fashion-MNIST from {files.Directory}: {e.Message}");
            Console.Error.WriteLine("Reinstall the files (apt-get install --reinstall dataset-fashion-mnist) or pass another folder with --data DIR.");
            return 4;
        }

        if (options.Subset > 0)
        {
            if (options.Subset < options.BatchSize)
            {
                Console.Error.WriteLine($"--subset {options.Subset} is smaller than one batch (--batch-size {options.BatchSize}).");
                return 2;
            }

            train = train.Take(Math.Min(options.Subset, train.Count));
        }

        return Run(options, files, train, test, loading.Elapsed.TotalSeconds);
    }

    private static int Run(Options options, FashionMnistFiles files, IdxDataset train, IdxDataset test, double loadSeconds)
    {
        var model = new FashionNet(options.Seed);
        var trainSources = new List<BatchSource>();
        var trainers = new List<ITrainer>();
        BatchSource NewTrainSource() => new(train, options.BatchSize, training: true, (ulong)options.Seed, options.Flip);
        var testSource = new BatchSource(test, EvaluationBatch, training: false, 0, flip: false);
        trainSources.Add(NewTrainSource());
        int totalSteps = trainSources[0].BatchesPerEpoch * options.Epochs;
        trainers.Add(new FusedTrainer(model, options, totalSteps));

        PrintHeader(options, files, train, test, model, loadSeconds);
        if (options.Torch)
        {
            TorchNative.LoadShim();
            TorchTrainer twin;
            try
            {
                twin = CreateTorchTrainer(model, options, totalSteps);
            }
            catch (TypeInitializationException e)
            {
                Console.Error.WriteLine(TorchNative.LoadFailure);
                Console.Error.WriteLine(e.InnerException?.Message ?? e.Message);
                return 5;
            }

            Console.WriteLine($"PyTorch:      {TorchTrainer.Version}, {options.Threads} thread(s); starts from the same weights and sees the same batches");
            CheckTwin(twin, model, testSource);
            trainers.Add(twin);
            trainSources.Add(NewTrainSource());
        }

        Console.WriteLine();
        var history = trainers.Select(_ => new List<EpochResult>()).ToArray();
        int maxBatch = Math.Max(options.BatchSize, EvaluationBatch);
        float[] images = new float[maxBatch * train.SampleLength];
        int[] labels = new int[maxBatch];
        try
        {
            for (int epoch = 1; epoch <= options.Epochs; epoch++)
            {
                for (int t = 0; t < trainers.Count; t++)
                {
                    string label = $"{trainers[t].Name,-11} epoch {epoch}/{options.Epochs}";
                    EpochResult result = TrainEpoch(trainers[t], trainSources[t], images, labels, label);
                    result = Evaluate(trainers[t], testSource, images, labels, result);
                    history[t].Add(result);
                    Console.WriteLine($"{label}  {result}");
                    Console.WriteLine($"{"",-11}   phases: {result.Phases}");
                }
            }
        }
        finally
        {
            foreach (ITrainer trainer in trainers)
            {
                trainer.Dispose();
            }
        }

        Console.WriteLine();
        PrintSummary(options, trainers.Select(t => t.Name).ToArray(), history, fullData: options.Subset == 0);
        Save(options, model, history[0][^1]);
        return 0;
    }

    // Kept apart so that nothing touches TorchSharp before the libstdc++ shim is loaded.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TorchTrainer CreateTorchTrainer(FashionNet model, Options options, int totalSteps) => new(model, options, totalSteps);

    private static EpochResult TrainEpoch(ITrainer trainer, BatchSource source, float[] images, int[] labels, string label)
    {
        source.StartEpoch();
        var progress = new ProgressBar(label, source.BatchesPerEpoch, source.BatchSize);
        double lossSum = 0;
        int seen = 0, correct = 0, batches = 0;
        double learningRate = trainer.LearningRate;
        trainer.SetTraining(true);
        trainer.Phases.Reset();
        var clock = Stopwatch.StartNew();
        int count;
        while (true)
        {
            trainer.Phases.Start();
            count = source.Next(images, labels);
            trainer.Phases.Lap(Phase.Data);
            if (count == 0)
            {
                break;
            }

            (double loss, int right) = trainer.TrainStep(images, labels, count);
            if (!double.IsFinite(loss))
            {
                throw new InvalidOperationException($"{trainer.Name}: the training loss is {loss} at batch {batches + 1}; lower --lr.");
            }

            lossSum += loss * count;
            seen += count;
            correct += right;
            batches++;
            progress.Report(batches, lossSum / seen);
        }

        double seconds = clock.Elapsed.TotalSeconds;
        progress.Clear();
        return new EpochResult(lossSum / seen, (double)correct / seen, seconds, seen, learningRate) { Phases = trainer.Phases.Snapshot() };
    }

    private static EpochResult Evaluate(ITrainer trainer, BatchSource source, float[] images, int[] labels, EpochResult epoch)
    {
        source.StartEpoch();
        trainer.SetTraining(false);
        double lossSum = 0;
        int seen = 0, correct = 0, count;
        var clock = Stopwatch.StartNew();
        while ((count = source.Next(images, labels)) > 0)
        {
            (double loss, int right) = trainer.EvaluateBatch(images, labels, count);
            lossSum += loss * count;
            correct += right;
            seen += count;
        }

        double seconds = clock.Elapsed.TotalSeconds;
        trainer.SetTraining(true);
        return epoch with { TestLoss = lossSum / seen, TestAccuracy = (double)correct / seen, TestSeconds = seconds, TestImages = seen };
    }

    private static void CheckTwin(TorchTrainer twin, FashionNet model, BatchSource testSource)
    {
        float[] images = new float[testSource.BatchSize * testSource.SampleLength];
        int[] labels = new int[testSource.BatchSize];
        testSource.StartEpoch();
        int count = Math.Min(256, testSource.Next(images, labels));
        model.Eval();
        twin.SetTraining(false);
        float difference = twin.MaxOutputDifference(model, images, count);
        model.Train();
        twin.SetTraining(true);
        Console.WriteLine($"Twin check:   same parameter and buffer names and shapes; largest |difference| of the initial inference outputs on {count} test images: {difference:E1}");
        if (!(difference < 1e-3f))
        {
            throw new InvalidOperationException("The PyTorch twin does not compute the same function as FashionNet: TorchTwin.cs and FashionNet.cs disagree.");
        }
    }

    private static void PrintHeader(Options options, FashionMnistFiles files, IdxDataset train, IdxDataset test, FashionNet model, double loadSeconds)
    {
        Console.WriteLine($"Fashion-MNIST from {files.Directory}: {train.Count} training images{(options.Subset > 0 ? $" (--subset {options.Subset})" : string.Empty)}, " +
                          $"{test.Count} test images, read in {loadSeconds:F1} s");
        long parameters = model.Parameters.Sum(p => (long)p.Length);
        Console.WriteLine($"Model:        FashionNet, {parameters:N0} parameters: " +
                          "Conv(1,32,3,p1)-BN-ReLU-MaxPool(2), Conv(32,64,3,p1)-BN-ReLU-MaxPool(2), Flatten, Linear(3136,128)-BN-ReLU, Linear(128,10)");
        string optimizer = options.Optimizer == OptimizerKind.Sgd ? "SGD (Nesterov momentum 0.9)" : "AdamW";
        Console.WriteLine($"Training:     {options.Epochs} epochs of {train.Count / options.BatchSize} batches of {options.BatchSize}, {optimizer}, " +
                          $"lr {options.EffectiveLearningRate:G3} cosine-annealed per step to 0, weight decay {options.EffectiveWeightDecay:G3}, " +
                          $"label smoothing {options.LabelSmoothing:G3}, {(options.Flip ? "random horizontal flips" : "no augmentation")}, seed {options.Seed}");
        Console.WriteLine($"FusedLayers:  {model.Execution.EffectiveIsa} path, {options.Threads} thread(s); {Environment.ProcessorCount} cores; " +
                          $"load average {LoadAverage()}");
        if (typeof(IFusedModel).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true)
        {
            Console.WriteLine("WARNING:      FusedLayers was built in Debug: the kernels run many times slower. Use dotnet run -c Release.");
        }
    }

    private static void PrintSummary(Options options, string[] names, List<EpochResult>[] history, bool fullData)
    {
        double wall = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalSeconds;
        if (names.Length > 1)
        {
            Console.WriteLine("Side by side (train time per epoch, training throughput, test accuracy after the epoch):");
            Console.WriteLine($"{"epoch",5} | {names[0] + " time",16} {"img/s",7} {"test acc",8} | {names[1] + " time",16} {"img/s",7} {"test acc",8} | {"speed-up",8}");
            for (int e = 0; e < history[0].Count; e++)
            {
                EpochResult a = history[0][e], b = history[1][e];
                Console.WriteLine($"{e + 1,5} | {a.TrainSeconds,14:F1} s {a.ImagesPerSecond,7:F0} {Pct(a.TestAccuracy),8} | {b.TrainSeconds,14:F1} s {b.ImagesPerSecond,7:F0} {Pct(b.TestAccuracy),8} | {b.TrainSeconds / a.TrainSeconds,7:F2}x");
            }

            double ta = history[0].Sum(r => r.TrainSeconds), tb = history[1].Sum(r => r.TrainSeconds);
            long ia = history[0].Sum(r => (long)r.TrainImages), ib = history[1].Sum(r => (long)r.TrainImages);
            Console.WriteLine($"{"all",5} | {ta,14:F1} s {ia / ta,7:F0} {Pct(history[0][^1].TestAccuracy),8} | {tb,14:F1} s {ib / tb,7:F0} {Pct(history[1][^1].TestAccuracy),8} | {tb / ta,7:F2}x");
            Console.WriteLine($"(speed-up: {names[1]} training time / {names[0]} training time; above 1 means FusedLayers is faster)");
            Console.WriteLine();
            PrintPhases(names, history);
        }

        for (int t = 0; t < names.Length; t++)
        {
            List<EpochResult> runs = history[t];
            double trainSeconds = runs.Sum(r => r.TrainSeconds), testSeconds = runs.Sum(r => r.TestSeconds);
            Console.WriteLine($"{names[t],-11}  final test accuracy {Pct(runs[^1].TestAccuracy)} (best {Pct(runs.Max(r => r.TestAccuracy))}), " +
                              $"training {trainSeconds:F1} s ({runs.Sum(r => (long)r.TrainImages) / trainSeconds:F0} img/s), " +
                              $"evaluation {testSeconds:F1} s ({runs.Sum(r => (long)r.TestImages) / testSeconds:F0} img/s)");
        }

        Console.WriteLine($"Wall time {wall:F1} s (process start to end, data loading included); load average now {LoadAverage()}");
        if (fullData && names.Length == 1)
        {
            double accuracy = history[0][^1].TestAccuracy;
            bool reached = accuracy >= TargetAccuracy && wall <= TargetSeconds;
            Console.WriteLine($"Target >= {Pct(TargetAccuracy, 1)} test accuracy within {TargetSeconds / 60:F0} min: {(reached ? "reached" : "NOT reached")} ({Pct(accuracy)} in {wall / 60:F1} min)");
        }
        else if (fullData)
        {
            Console.WriteLine("(The 5-minute target is for a FusedLayers-only run; with --torch both frameworks share the time.)");
        }
    }

    /// <summary>Training time per phase over all epochs, both frameworks side by side, and their ratio per phase.</summary>
    private static void PrintPhases(string[] names, List<EpochResult>[] history)
    {
        var totals = history.Select(runs =>
        {
            var sum = new PhaseTimes();
            foreach (EpochResult r in runs)
            {
                sum.Add(r.Phases);
            }

            return sum;
        }).ToArray();
        Console.WriteLine("Where the training time goes (all epochs):");
        Console.WriteLine($"{"phase",-10} | {names[0],14} {"share",6} | {names[1],14} {"share",6} | {"speed-up",8}");
        foreach (Phase phase in PhaseTimes.All)
        {
            double a = totals[0][phase], b = totals[1][phase];
            Console.WriteLine($"{phase.ToString().ToLowerInvariant(),-10} | {a,12:F1} s {100 * a / totals[0].Total,5:F0}% | {b,12:F1} s {100 * b / totals[1].Total,5:F0}% | {(a > 0 ? $"{b / a,7:F2}x" : "-"),8}");
        }

        Console.WriteLine($"{"all",-10} | {totals[0].Total,12:F1} s {100,5:F0}% | {totals[1].Total,12:F1} s {100,5:F0}% | {totals[1].Total / totals[0].Total,7:F2}x");
        Console.WriteLine();
    }

    private static void Save(Options options, FashionNet model, EpochResult last)
    {
        if (options.SavePath is null)
        {
            return;
        }

        string path = Path.GetFullPath(options.SavePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["model"] = nameof(FashionNet),
            ["epochs"] = options.Epochs.ToString(CultureInfo.InvariantCulture),
            ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
            ["test_accuracy"] = last.TestAccuracy.ToString("F4", CultureInfo.InvariantCulture),
        };
        model.Eval();
        StateDict.Save(model, path, metadata);
        Console.WriteLine($"Saved the trained FusedLayers model (state dict, PyTorch names) to {path}");
    }

    /// <summary>A fraction as a percentage, "92.51%".</summary>
    internal static string Pct(double fraction, int decimals = 2) => (fraction * 100).ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) + "%";

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

/// <summary>One epoch of one framework.</summary>
internal sealed record EpochResult(double TrainLoss, double TrainAccuracy, double TrainSeconds, int TrainImages, double LearningRate)
{
    public double TestLoss { get; init; }

    public double TestAccuracy { get; init; }

    public double TestSeconds { get; init; }

    public int TestImages { get; init; }

    /// <summary>The epoch's training time per phase.</summary>
    public PhaseTimes Phases { get; init; } = new();

    public double ImagesPerSecond => TrainImages / TrainSeconds;

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"train loss {TrainLoss:F4} acc {Program.Pct(TrainAccuracy)}  test loss {TestLoss:F4} acc {Program.Pct(TestAccuracy)}  " +
        $"train {TrainSeconds:F1} s {ImagesPerSecond:F0} img/s  test {TestSeconds:F1} s {TestImages / TestSeconds:F0} img/s  lr {LearningRate:G3}");
}
