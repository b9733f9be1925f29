using System;
using System.Diagnostics;
using FashionMnist;
using FusedLayers;
using FusedLayers.Data;
using FusedLayers.Distributed;
using FusedLayers.Training;

namespace DistributedFashionMnist;

/// <summary>
/// Trains <see cref="FashionNet"/> data-parallel: every rank holds a replica, takes its shard of each epoch
/// (<see cref="DistributedSampler"/>) with a local batch of <c>global batch / N</c>, and the gradients are averaged
/// bucket by bucket during Backward (unless <c>--no-overlap</c>); BatchNorm is synchronised unless <c>--no-sync-bn</c>.
/// Prints images/s per rank and in total, the share of step time exposed to communication (waiting) against the
/// time collectives were in flight, and the test accuracy (each rank evaluates its shard of the test set).
/// </summary>
internal static class Program
{
    private static int Main(string[] args) => ProcessGroup.Run(group => Train(group, Settings.Parse(args)));

    private static int Train(ProcessGroup group, Settings settings)
    {
        FashionMnistFiles? files = FashionMnistFiles.Find(settings.DataDirectory, out _, out string problem);
        if (files is null)
        {
            throw new InvalidOperationException(FashionMnistFiles.InstallHelp(problem));
        }

        if (settings.GlobalBatch % group.Size != 0)
        {
            throw new ArgumentException($"--batch {settings.GlobalBatch} does not divide into {group.Size} ranks.");
        }

        IdxDataset train = IdxDataset.Load(files.TrainImages, files.TrainLabels);
        IdxDataset test = IdxDataset.Load(files.TestImages, files.TestLabels);
        int localBatch = settings.GlobalBatch / group.Size;
        var model = new FashionNet(seed: 1);
        model.Execution.MaxDegreeOfParallelism = settings.Threads;
        var ddp = new DistributedDataParallel(group, model, new DistributedOptions
        {
            SyncBatchNorm = settings.SyncBatchNorm,
            OverlapGradients = settings.OverlapGradients,
            BucketBytes = settings.BucketKiB * 1024,
        });
        var sampler = new DistributedSampler(train.Count, group.Rank, group.Size, shuffle: true, seed: 17, dropLast: true);
        using var loader = new DataLoader(train, Normalization.FashionMnist, localBatch, dropLast: true, sampler: sampler);
        int stepsPerEpoch = settings.MaxSteps > 0 ? Math.Min(settings.MaxSteps, loader.BatchesPerEpoch) : loader.BatchesPerEpoch;
        var optimizer = new Sgd(model.Parameters, settings.LearningRate, momentum: 0.9, weightDecay: 5e-4, nesterov: true);
        var schedule = new CosineAnnealingLR(optimizer, tMax: settings.Epochs * stepsPerEpoch);
        var loss = new CrossEntropyLoss();
        var logits = new float[localBatch * 10];
        var grad = new float[logits.Length];
        if (group.IsRoot)
        {
            Console.WriteLine(
                $"{group.Size} ranks x {settings.Threads} thread(s), global batch {settings.GlobalBatch} ({localBatch} per rank), " +
                $"{stepsPerEpoch} steps per epoch, SyncBatchNorm {(settings.SyncBatchNorm ? "on" : "off")}, " +
                $"{ddp.BucketCount} gradient bucket(s) of {ddp.GradientElements} floats in all, " +
                $"allreduce {(settings.OverlapGradients ? "overlapped with Backward" : "after Backward")}");
        }

        double trainSeconds = 0;
        long images = 0, steps = 0, startedEarly = 0;
        group.Communication.Reset();
        for (int epoch = 1; epoch <= settings.Epochs; epoch++)
        {
            model.Train();
            loader.StartEpoch();
            double lossSum = 0;
            group.Barrier();
            var clock = Stopwatch.StartNew();
            for (int step = 0; step < stepsPerEpoch && loader.Next() is { } batch; step++)
            {
                model.Forward(batch.Samples, logits);
                lossSum += loss.Compute(logits, batch.Labels, grad);
                model.ZeroGrad();
                model.Backward(grad);
                ddp.AverageGradients();
                optimizer.Step();
                schedule.Step();
                images += batch.Count;
                steps++;
                startedEarly += ddp.BucketsStartedDuringBackward;
            }

            trainSeconds += clock.Elapsed.TotalSeconds;
            double accuracy = Evaluate(group, model, test);
            Span<double> meanLoss = [lossSum / stepsPerEpoch];
            group.AllReduceSum(meanLoss);
            if (group.IsRoot)
            {
                Console.WriteLine($"epoch {epoch}: train loss {meanLoss[0] / group.Size:0.0000}, test accuracy {accuracy:P2}");
            }
        }

        Report(group, images, trainSeconds, steps == 0 ? 0 : startedEarly / (double)steps);
        return 0;
    }

    private static double Evaluate(ProcessGroup group, FashionNet model, IdxDataset test)
    {
        model.Eval();
        var sampler = new DistributedSampler(test.Count, group.Rank, group.Size, shuffle: false, dropLast: false);
        using var loader = new DataLoader(test, Normalization.FashionMnist, 500, sampler: sampler);
        var logits = new float[500 * 10];
        loader.StartEpoch();
        Span<double> counts = [0, 0];
        while (loader.Next() is { } batch)
        {
            Span<float> output = logits.AsSpan(0, batch.Count * 10);
            model.Forward(batch.Samples, output);
            counts[0] += Accuracy.CountCorrect(output, batch.Labels);
            counts[1] += batch.Count;
        }

        // Without drop_last the shards are padded to equal size (a few test images count twice, as in PyTorch).
        group.AllReduceSum(counts);
        return counts[0] / counts[1];
    }

    private static void Report(ProcessGroup group, long images, double seconds, double bucketsStartedEarly)
    {
        CommunicationStats c = group.Communication;
        double exposed = c.TrainingSeconds, inFlight = c.TrainingInFlightSeconds;
        Console.WriteLine(
            $"rank {group.Rank}: {images / seconds:0} images/s; communication exposed {exposed:0.00} s of {seconds:0.00} s ({exposed / seconds:P1}), " +
            $"in flight {inFlight:0.00} s ({inFlight / seconds:P1}); gradients exposed {c.Seconds(CommunicationKind.Gradients):0.00} s / in flight " +
            $"{c.InFlightSeconds(CommunicationKind.Gradients):0.00} s ({c.Calls(CommunicationKind.Gradients)} allreduces, {bucketsStartedEarly:0.0} per step started " +
            $"during Backward), BatchNorm {c.Seconds(CommunicationKind.BatchNorm):0.00} s ({c.Calls(CommunicationKind.BatchNorm)} collectives)");
        Span<double> total = [images / seconds];
        group.AllReduceSum(total);
        if (group.IsRoot)
        {
            Console.WriteLine($"total: {total[0]:0} images/s over {group.Size} rank(s)");
        }
    }
}
