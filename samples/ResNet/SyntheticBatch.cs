using System;

namespace ResNet;

/// <summary>
/// One batch of synthetic data: images uniform in [-1, 1) (about the range of normalised ImageNet pixels)
/// and labels drawn uniformly from the 10 classes, both from a seeded <see cref="Random"/>. The labels
/// carry no signal, so the training steps show the network fitting (memorising) this batch.
/// </summary>
internal sealed class SyntheticBatch
{
    /// <summary>Draws the batch.</summary>
    public SyntheticBatch(int batchSize, int sampleLength, int classes, int seed)
    {
        var random = new Random(seed);
        Images = new float[batchSize * sampleLength];
        for (int i = 0; i < Images.Length; i++)
        {
            Images[i] = (float)((random.NextDouble() * 2) - 1);
        }

        Labels = new int[batchSize];
        for (int i = 0; i < Labels.Length; i++)
        {
            Labels[i] = random.Next(classes);
        }
    }

    /// <summary>Images, <c>[N, 3, 224, 224]</c> flattened.</summary>
    public float[] Images { get; }

    /// <summary>Class indices, <c>[N]</c>.</summary>
    public int[] Labels { get; }

    /// <summary>Images per batch.</summary>
    public int Count => Labels.Length;
}
