using System;

namespace FusedLayers.Training;

/// <summary>
/// PyTorch's <c>nn.L1Loss(reduction)</c>: the mean (or sum) of <c>|p_i - t_i|</c> over all elements, with
/// the gradient <c>dL/dp_i = sign(p_i - t_i) / n</c> (<c>n</c> the element count, 1 for the sum; the sign of
/// 0 is 0, and of NaN 0 as well, as PyTorch's <c>abs</c> backward gives on the CPU; the loss is then NaN).
/// </summary>
/// <remarks>The sum is float64; the returned loss is rounded to float32. Nothing is allocated.</remarks>
public sealed class L1Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">PyTorch's <c>reduction</c>: <see cref="Reduction.Mean"/> (default) or <see cref="Reduction.Sum"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a <see cref="Reduction"/> value.</exception>
    public L1Loss(Reduction reduction = Reduction.Mean) => Reduction = LossChecks.Checked(reduction, nameof(reduction));

    /// <summary>PyTorch's <c>reduction</c>.</summary>
    public Reduction Reduction { get; }

    /// <summary>The reduced absolute error.</summary>
    /// <param name="prediction">Predictions, any shape, flattened.</param>
    /// <param name="target">Targets, same length.</param>
    /// <returns>The loss.</returns>
    /// <exception cref="ArgumentException">Empty input or different lengths.</exception>
    public float Compute(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target) => Run(prediction, target, default, withGradient: false);

    /// <summary>The reduced absolute error and its gradient with respect to the prediction.</summary>
    /// <param name="prediction">Predictions, any shape, flattened.</param>
    /// <param name="target">Targets, same length.</param>
    /// <param name="gradPrediction">Receives <c>sign(p - t) / n</c>; may be the prediction's own memory.</param>
    /// <returns>The loss.</returns>
    /// <exception cref="ArgumentException">Empty input or different lengths.</exception>
    public float Compute(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradPrediction)
    {
        LossChecks.GradientLength(gradPrediction.Length, prediction.Length, nameof(gradPrediction));
        return Run(prediction, target, gradPrediction, withGradient: true);
    }

    private float Run(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> grad, bool withGradient)
    {
        LossChecks.SameLength(prediction.Length, target.Length, nameof(prediction), nameof(target));
        double scale = LossChecks.Scale(Reduction, prediction.Length);
        float step = (float)scale;
        double total = 0;
        for (int i = 0; i < prediction.Length; i++)
        {
            float d = prediction[i] - target[i];
            total += Math.Abs((double)d);
            if (withGradient)
            {
                grad[i] = Sign(d) * step;
            }
        }

        return (float)(total * scale);
    }

    /// <summary>PyTorch's <c>sign</c> on the CPU, <c>(0 &lt; x) - (x &lt; 0)</c>: -1, 0 or 1, and 0 for NaN.</summary>
    internal static float Sign(float value) => value > 0 ? 1f : value < 0 ? -1f : 0f;
}
