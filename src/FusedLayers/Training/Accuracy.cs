using System;

namespace FusedLayers.Training;

/// <summary>Classification accuracy from logits.</summary>
public static class Accuracy
{
    /// <summary>
    /// Counts the samples whose largest logit is at their label (ties go to the lowest class index,
    /// like <c>argmax</c>).
    /// </summary>
    /// <param name="logits">Logits <c>[N, C]</c>; C is <c>logits.Length / labels.Length</c>.</param>
    /// <param name="labels">Labels <c>[N]</c>.</param>
    /// <returns>The number of correct predictions.</returns>
    /// <exception cref="ArgumentException">Empty labels or lengths that do not divide.</exception>
    public static int CountCorrect(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels)
    {
        int batch = labels.Length;
        if (batch == 0 || logits.Length == 0 || logits.Length % batch != 0)
        {
            throw new ArgumentException($"Expected logits [N, C] with N = {batch} labels, got {logits.Length} logits.", nameof(logits));
        }

        int classes = logits.Length / batch;
        int correct = 0;
        for (int i = 0; i < batch; i++)
        {
            ReadOnlySpan<float> row = logits.Slice(i * classes, classes);
            int best = 0;
            for (int c = 1; c < classes; c++)
            {
                if (row[c] > row[best])
                {
                    best = c;
                }
            }

            if (best == labels[i])
            {
                correct++;
            }
        }

        return correct;
    }
}
