using System;
using System.Collections.Generic;
using System.Diagnostics;
using FusedLayers;
using FusedLayers.Data;
using FusedLayers.Training;

namespace BatchNormPaper;

/// <summary>Which of the two networks of Figure 1.</summary>
internal enum Network
{
    /// <summary><see cref="PlainSigmoidNet"/>.</summary>
    WithoutBatchNorm,

    /// <summary><see cref="BatchNormSigmoidNet"/>.</summary>
    WithBatchNorm,
}

/// <summary>What one run trains: a network, a learning rate, a number of steps, how often to evaluate, whether to probe.</summary>
internal sealed record RunSpec(Network Network, double Multiple, double LearningRate, int Steps, int EvaluateEvery, bool Probe, string Group)
{
    /// <summary>"without BN" or "with BN".</summary>
    public string NetworkName => Network == Network.WithBatchNorm ? "with BN" : "without BN";

    /// <summary>A label for the log, "curve, with BN, lr 0.1 (1x)".</summary>
    public string Label => $"{Group}, {NetworkName}, lr {LearningRate:G3} ({Multiple:G3}x)";
}

/// <summary>One evaluation: test accuracy and loss (inference mode), the mean training loss since the last one, the probe.</summary>
internal sealed record CurvePoint(int Step, double TestAccuracy, double TestLoss, double TrainLoss, ProbeValues? SigmoidInput);

/// <summary>A finished run.</summary>
internal sealed record RunResult(RunSpec Spec, IReadOnlyList<CurvePoint> Points, int? NonFiniteAtStep, double Seconds, double ProbeCheckBefore, double ProbeCheckAfter)
{
    /// <summary>Test accuracy reached at the last evaluation.</summary>
    public double FinalAccuracy => Points[^1].TestAccuracy;

    /// <summary>Whether the training loss became NaN or infinite (the run stops there).</summary>
    public bool NonFinite => NonFiniteAtStep is not null;

    /// <summary>The mean training loss over the last evaluation interval.</summary>
    public double LastTrainLoss => Points[^1].TrainLoss;

    /// <summary>
    /// Diverged: the loss became NaN or infinite, or the mean training loss of the last evaluation interval is
    /// above ln 10 = 2.303, the loss of a uniform guess (with sigmoids the activations stay bounded, so an
    /// overshooting run usually ends with large weights and a finite loss above chance rather than NaN).
    /// </summary>
    public bool Diverged => NonFinite || LastTrainLoss > ChanceLoss;

    /// <summary>Diverged, or at chance level (final test accuracy below 20%): the network did not learn at this rate.</summary>
    public bool Failed => Diverged || FinalAccuracy < 0.2;

    /// <summary>One phrase for the summary table.</summary>
    public string Status => NonFiniteAtStep is int step
        ? $"diverged (loss NaN/inf at step {step})"
        : LastTrainLoss > ChanceLoss
            ? $"diverged (train loss {LastTrainLoss:F2} > ln 10)"
            : FinalAccuracy < 0.2 ? "did not learn (chance level)" : "trained";

    /// <summary>Cross-entropy of a uniform guess over 10 classes, ln 10.</summary>
    private static double ChanceLoss => Math.Log(10);
}

/// <summary>The test images, normalised once, shared (read-only) by every run.</summary>
internal sealed record TestSet(float[] Images, int[] Labels)
{
    /// <summary>Number of test images.</summary>
    public int Count => Labels.Length;
}

/// <summary>
/// Trains one network with plain SGD (no momentum, no weight decay, constant learning rate) on mini-batches of
/// 60 with <see cref="CrossEntropyLoss"/> (softmax included), from the Gaussian initialisation, evaluating the
/// whole test set every <see cref="RunSpec.EvaluateEvery"/> steps. The model runs its kernels on one thread,
/// so that runs can train side by side on the cores; a run is bit-identical whatever runs beside it.
/// </summary>
internal static class NetworkRun
{
    private const int Classes = 10;
    private const int EvaluationBatch = 1000;
    private const int ProbeCheckImages = 256;

    /// <summary>Trains <paramref name="spec"/>; <paramref name="log"/> receives about ten progress lines.</summary>
    public static RunResult Train(RunSpec spec, IdxDataset train, TestSet test, Options options, Action<string> log)
    {
        IFusedModel model = spec.Network == Network.WithBatchNorm ? new BatchNormSigmoidNet(options.Seed) : new PlainSigmoidNet(options.Seed);
        model.Execution.MaxDegreeOfParallelism = 1;
        GaussianInitialization.Apply(model, options.InitStd, options.Seed);
        model.Train();
        var optimizer = new Sgd(model.Parameters, spec.LearningRate);
        var loss = new CrossEntropyLoss();
        var batches = new MiniBatchIterator(train, Options.BatchSize, Normalization.None, shuffle: true, seed: (ulong)options.Seed, dropLast: true);
        SigmoidInputProbe? probe = spec.Probe ? new SigmoidInputProbe(model, test.Images, Math.Min(options.ProbeImages, test.Count), options.ProbeUnit) : null;
        double checkBefore = probe?.MaxLogitDifference(ProbeCheckImages) ?? 0;

        var images = new float[Options.BatchSize * train.SampleLength];
        var labels = new int[Options.BatchSize];
        var logits = new float[Options.BatchSize * Classes];
        var gradLogits = new float[Options.BatchSize * Classes];
        var evaluation = new float[EvaluationBatch * Classes];
        var points = new List<CurvePoint> { Evaluate(model, test, evaluation, loss, step: 0, trainLoss: double.NaN, probe) };
        int? nonFiniteAt = null;
        double lossSum = 0;
        int lossCount = 0;
        int logEvery = Math.Max(spec.EvaluateEvery, (spec.Steps / 10) / spec.EvaluateEvery * spec.EvaluateEvery);
        var clock = Stopwatch.StartNew();
        batches.StartEpoch();
        for (int step = 1; step <= spec.Steps; step++)
        {
            if (batches.NextBatch(images, labels) == 0)
            {
                batches.StartEpoch();
                batches.NextBatch(images, labels);
            }

            if (options.BinaryInput)
            {
                InputEncoding.Binarize(images);
            }

            model.Forward(images, logits);
            float batchLoss = loss.Compute(logits, labels, gradLogits);
            if (!float.IsFinite(batchLoss))
            {
                nonFiniteAt = step;
                log($"{spec.Label}: the training loss is {batchLoss} at step {step}: diverged, stopping this run");
                break;
            }

            model.ZeroGrad();
            model.Backward(gradLogits);
            optimizer.Step();
            lossSum += batchLoss;
            lossCount++;
            if (step % spec.EvaluateEvery == 0 || step == spec.Steps)
            {
                CurvePoint point = Evaluate(model, test, evaluation, loss, step, lossSum / lossCount, probe);
                points.Add(point);
                lossSum = 0;
                lossCount = 0;
                if (step % logEvery == 0 || step == spec.Steps)
                {
                    string sigmoid = point.SigmoidInput?.Inference is { } p ? $", sigmoid input p15/p50/p85 {p.P15:F2}/{p.P50:F2}/{p.P85:F2}" : string.Empty;
                    log($"{spec.Label}: step {step}/{spec.Steps}, train loss {point.TrainLoss:F4}, test accuracy {Program.Pct(point.TestAccuracy)}{sigmoid} ({clock.Elapsed.TotalSeconds:F0} s)");
                }
            }
        }

        double checkAfter = probe?.MaxLogitDifference(ProbeCheckImages) ?? 0;
        return new RunResult(spec, points, nonFiniteAt, clock.Elapsed.TotalSeconds, checkBefore, checkAfter);
    }

    /// <summary>Test accuracy and mean loss over the whole test set in inference mode, and the probe.</summary>
    private static CurvePoint Evaluate(IFusedModel model, TestSet test, float[] logits, CrossEntropyLoss loss, int step, double trainLoss, SigmoidInputProbe? probe)
    {
        model.Eval();
        int correct = 0;
        double lossSum = 0;
        int length = model.InputLength;
        for (int start = 0; start < test.Count; start += EvaluationBatch)
        {
            int count = Math.Min(EvaluationBatch, test.Count - start);
            Span<float> output = logits.AsSpan(0, count * Classes);
            ReadOnlySpan<int> labels = test.Labels.AsSpan(start, count);
            model.Forward(test.Images.AsSpan(start * length, count * length), output);
            correct += Accuracy.CountCorrect(output, labels);
            lossSum += (double)loss.Compute(output, labels) * count;
        }

        model.Train();
        return new CurvePoint(step, (double)correct / test.Count, lossSum / test.Count, trainLoss, probe?.Measure());
    }
}
