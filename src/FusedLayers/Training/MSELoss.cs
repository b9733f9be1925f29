using System;
using System.Numerics;

namespace FusedLayers.Training;

/// <summary>
/// PyTorch's <c>nn.MSELoss(reduction='mean')</c>: <c>L = (1/n) Σ (p_i - t_i)^2</c> over all n elements,
/// with the gradient <c>dL/dp_i = 2 (p_i - t_i) / n</c>.
/// </summary>
/// <remarks>
/// The sum of squares is accumulated in float64 lanes (float32 differences widened), vectorised; the
/// returned loss is rounded to float32 like PyTorch's. Nothing is allocated.
/// </remarks>
public sealed class MSELoss
{
    /// <summary>The mean squared error.</summary>
    /// <param name="prediction">Predictions, any shape, flattened.</param>
    /// <param name="target">Targets, same length.</param>
    /// <returns>The mean loss.</returns>
    /// <exception cref="ArgumentException">Empty input or different lengths.</exception>
    public float Compute(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
    {
        Check(prediction, target);
        return (float)(SumOfSquares(prediction, target) / prediction.Length);
    }

    /// <summary>The mean squared error and its gradient with respect to the prediction.</summary>
    /// <param name="prediction">Predictions, any shape, flattened.</param>
    /// <param name="target">Targets, same length.</param>
    /// <param name="gradPrediction">Receives <c>2 (p - t) / n</c>; may be the prediction's own memory.</param>
    /// <returns>The mean loss.</returns>
    /// <exception cref="ArgumentException">Empty input or different lengths.</exception>
    public float Compute(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradPrediction)
    {
        Check(prediction, target);
        if (gradPrediction.Length != prediction.Length)
        {
            throw new ArgumentException(
                $"gradPrediction has length {gradPrediction.Length}, expected {prediction.Length}.", nameof(gradPrediction));
        }

        double loss = SumOfSquares(prediction, target) / prediction.Length;
        float scale = 2f / prediction.Length;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var s = new Vector<float>(scale);
            for (; i <= prediction.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                ((new Vector<float>(prediction[i..]) - new Vector<float>(target[i..])) * s).CopyTo(gradPrediction[i..]);
            }
        }

        for (; i < prediction.Length; i++)
        {
            gradPrediction[i] = (prediction[i] - target[i]) * scale;
        }

        return (float)loss;
    }

    private static void Check(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
    {
        if (prediction.Length == 0 || prediction.Length != target.Length)
        {
            throw new ArgumentException(
                $"Expected a non-empty prediction and a target of the same length, got {prediction.Length} and {target.Length}.",
                nameof(target));
        }
    }

    private static double SumOfSquares(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
    {
        int i = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated)
        {
            Vector<double> acc = Vector<double>.Zero;
            for (; i <= prediction.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector<float> d = new Vector<float>(prediction[i..]) - new Vector<float>(target[i..]);
                Vector.Widen(d, out Vector<double> low, out Vector<double> high);
                acc += (low * low) + (high * high);
            }

            sum = Vector.Sum(acc);
        }

        for (; i < prediction.Length; i++)
        {
            double d = prediction[i] - target[i];
            sum += d * d;
        }

        return sum;
    }
}
