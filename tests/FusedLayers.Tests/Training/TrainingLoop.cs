using System;
using System.Collections.Generic;
using FusedLayers.Data;
using FusedLayers.Training;

namespace FusedLayers.Tests.Training;

/// <summary>The training loop the end-to-end tests share: batches, forward, cross-entropy, backward, optimizer, schedule.</summary>
internal static class TrainingLoop
{
    /// <summary>Trains for <paramref name="steps"/> mini-batches and returns the loss of each.</summary>
    public static List<float> Train(IFusedModel model, MiniBatchIterator batches, Optimizer optimizer, LearningRateScheduler? schedule, int steps, double labelSmoothing = 0.0)
    {
        var loss = new CrossEntropyLoss(labelSmoothing);
        var images = new float[batches.BatchSize * batches.SampleLength];
        var labels = new int[batches.BatchSize];
        var logits = new float[batches.BatchSize * model.OutputLength];
        var losses = new List<float>(steps);
        model.Train();
        batches.StartEpoch();
        while (losses.Count < steps)
        {
            int n = batches.NextBatch(images, labels);
            if (n < 2)
            {
                // End of the epoch (a batch of one cannot train BatchNorm): next epoch, or step the schedule.
                batches.StartEpoch();
                schedule?.Step();
                continue;
            }

            Span<float> y = logits.AsSpan(0, n * model.OutputLength);
            model.Forward(images.AsSpan(0, n * batches.SampleLength), y);
            losses.Add(loss.Compute(y, labels.AsSpan(0, n), y));
            optimizer.ZeroGrad();
            model.Backward(y);
            optimizer.Step();
        }

        return losses;
    }

    /// <summary>Accuracy in inference mode over a whole data set.</summary>
    public static double Evaluate(IFusedModel model, IdxDataset data, Normalization normalization)
    {
        model.Eval();
        var batches = new MiniBatchIterator(data, 100, normalization, shuffle: false);
        var images = new float[100 * batches.SampleLength];
        var labels = new int[100];
        var logits = new float[100 * model.OutputLength];
        int correct = 0;
        batches.StartEpoch();
        int n;
        while ((n = batches.NextBatch(images, labels)) > 0)
        {
            Span<float> y = logits.AsSpan(0, n * model.OutputLength);
            model.Forward(images.AsSpan(0, n * batches.SampleLength), y);
            correct += Accuracy.CountCorrect(y, labels.AsSpan(0, n));
        }

        model.Train();
        return (double)correct / data.Count;
    }

    /// <summary>Mean of a range of losses.</summary>
    public static double Mean(List<float> values, int start, int count)
    {
        double sum = 0;
        for (int i = start; i < start + count; i++)
        {
            sum += values[i];
        }

        return sum / count;
    }
}
