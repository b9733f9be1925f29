using System;
using System.Collections.Generic;
using System.IO;
using FusedLayers.Data;
using FusedLayers.Tests.Data;
using FusedLayers.Training;

namespace FusedLayers.Tests.Training;

/// <summary>
/// End to end on synthetic data written as gzip IDX files: read, normalise, batch, train a Conv-BN-ReLU
/// network with cross-entropy, an optimizer and a schedule for 300 steps, then evaluate in inference mode.
/// The data: 10 classes of 12 x 12 images, class k a bar (a row for k &lt; 5, a column for k &gt;= 5) at one
/// of two positions of its own, 100 brighter than uniform noise in [0, 200) (800 training, 500 test images).
/// Stated targets: the mean loss of the last 50 steps is below a quarter of the first step's (about ln 10;
/// label smoothing 0.05 puts a floor near 0.28 under the SGD run), and held-out accuracy is at least 95%
/// (observed: 99.0% and 99.6%). Seeded: two runs give identical losses.
/// </summary>
public class TrainingRunTests
{
    private const int Steps = 300;
    private const int Noise = 200; // pixel noise uniform in [0, 200)
    private const int Bar = 100;   // added on the class's bar

    [Fact]
    public void Sgd_with_cosine_schedule_learns_the_synthetic_classes()
    {
        (IdxDataset train, IdxDataset test) = SyntheticData();
        var model = new TinyImageNet(seed: 1);
        var sgd = new Sgd(model.Parameters, lr: 0.05, momentum: 0.9, weightDecay: 1e-4, nesterov: true);
        var schedule = new CosineAnnealingLR(sgd, tMax: 12);
        var batches = new MiniBatchIterator(train, 32, Normalization.Estimate(train.Images.Pixels), seed: 5);
        List<float> losses = TrainingLoop.Train(model, batches, sgd, schedule, Steps, labelSmoothing: 0.05);

        AssertLearned(losses, TrainingLoop.Evaluate(model, test, batches.Normalization));
    }

    [Fact]
    public void AdamW_with_step_schedule_learns_and_runs_reproducibly()
    {
        (IdxDataset train, IdxDataset test) = SyntheticData();
        List<float> Run(out double accuracy)
        {
            var model = new TinyImageNet(seed: 2);
            var adamW = new AdamW(model.Parameters, lr: 3e-3);
            var schedule = new StepLR(adamW, stepSize: 5, gamma: 0.5);
            var batches = new MiniBatchIterator(train, 32, Normalization.Estimate(train.Images.Pixels), seed: 6);
            List<float> losses = TrainingLoop.Train(model, batches, adamW, schedule, Steps);
            accuracy = TrainingLoop.Evaluate(model, test, batches.Normalization);
            return losses;
        }

        List<float> first = Run(out double accuracy);
        AssertLearned(first, accuracy);
        Assert.Equal(first, Run(out double again));
        Assert.Equal(accuracy, again);
    }

    private static void AssertLearned(List<float> losses, double accuracy)
    {
        double start = losses[0];
        double end = TrainingLoop.Mean(losses, Steps - 50, 50);
        Assert.InRange(start, 2.0, 2.8); // about ln 10 = 2.30 for an untrained 10-way classifier
        Assert.True(end < start / 4, $"loss went from {start:F3} to {end:F3}, expected below a quarter");
        Assert.True(accuracy >= 0.95, $"held-out accuracy {accuracy:P1}, expected at least 95%");
    }

    /// <summary>800 training and 500 test images, through gzip IDX bytes and the reader.</summary>
    private static (IdxDataset Train, IdxDataset Test) SyntheticData()
    {
        var random = new SeededRandom(2024);
        IdxDataset Make(int count)
        {
            var pixels = new byte[count * 144];
            var labels = new byte[count];
            for (int i = 0; i < count; i++)
            {
                int label = random.NextInt(10);
                labels[i] = (byte)label;
                int line = ((label % 5) * 2) + 1 + random.NextInt(2); // rows / columns 1..10, two per class
                for (int r = 0; r < 12; r++)
                {
                    for (int c = 0; c < 12; c++)
                    {
                        bool bar = label < 5 ? r == line : c == line;
                        int noise = random.NextInt(Noise);
                        pixels[(i * 144) + (r * 12) + c] = (byte)Math.Min(255, noise + (bar ? Bar : 0));
                    }
                }
            }

            byte[] imageFile = IdxTestFiles.Gzip([.. IdxTestFiles.Images(count, 12, 12).AsSpan(0, 16), .. pixels]);
            byte[] labelFile = IdxTestFiles.Gzip(IdxTestFiles.Labels(labels));
            IdxImages images = IdxReader.ReadImages(new MemoryStream(imageFile), "synthetic-images.gz");
            byte[] read = IdxReader.ReadLabels(new MemoryStream(labelFile), "synthetic-labels.gz");
            return new IdxDataset(images, Array.ConvertAll(read, b => (int)b));
        }

        return (Make(800), Make(500));
    }
}
