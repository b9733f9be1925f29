using System;

namespace FusedLayers.Training;

/// <summary>
/// PyTorch's <c>nn.HuberLoss(reduction, delta)</c>: per element, with <c>d = p - t</c>,
/// <c>0.5 d²</c> where <c>|d| &lt; δ</c> and <c>δ (|d| - 0.5 δ)</c> elsewhere; reduced by the mean (or sum).
/// </summary>
/// <remarks>
/// <para>Gradient: <c>d</c> clamped to <c>[-δ, δ]</c>, divided by the element count for
/// <see cref="Reduction.Mean"/>. It equals <see cref="SmoothL1Loss"/> with <c>β = δ</c>, times δ.</para>
/// <para>The sum is float64; the returned loss is rounded to float32. Nothing is allocated.</para>
/// </remarks>
public sealed class HuberLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">PyTorch's <c>reduction</c>: <see cref="Reduction.Mean"/> (default) or <see cref="Reduction.Sum"/>.</param>
    /// <param name="delta">PyTorch's <c>delta</c>, the threshold between the squared and the absolute part (default 1), finite and greater than 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delta"/> is not positive or not finite, or <paramref name="reduction"/> is not a <see cref="Reduction"/> value.</exception>
    public HuberLoss(Reduction reduction = Reduction.Mean, double delta = 1.0)
    {
        if (!(delta > 0) || double.IsInfinity(delta))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "huber_loss does not support non-positive values for delta; delta must be finite.");
        }

        Reduction = LossChecks.Checked(reduction, nameof(reduction));
        Delta = delta;
    }

    /// <summary>PyTorch's <c>reduction</c>.</summary>
    public Reduction Reduction { get; }

    /// <summary>PyTorch's <c>delta</c>.</summary>
    public double Delta { get; }

    /// <summary>The reduced loss.</summary>
    /// <param name="prediction">Predictions, any shape, flattened.</param>
    /// <param name="target">Targets, same length.</param>
    /// <returns>The loss.</returns>
    /// <exception cref="ArgumentException">Empty input or different lengths.</exception>
    public float Compute(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target) => Run(prediction, target, default, withGradient: false);

    /// <summary>The reduced loss and its gradient with respect to the prediction.</summary>
    /// <param name="prediction">Predictions, any shape, flattened.</param>
    /// <param name="target">Targets, same length.</param>
    /// <param name="gradPrediction">Receives <c>dLoss/dPrediction</c>; may be the prediction's own memory.</param>
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
        double delta = Delta;
        double total = 0;
        for (int i = 0; i < prediction.Length; i++)
        {
            double d = prediction[i] - target[i];
            double absolute = Math.Abs(d);
            total += absolute < delta ? 0.5 * d * d : delta * (absolute - (0.5 * delta));
            if (withGradient)
            {
                // PyTorch: x < -δ ? -δ : (x > δ ? δ : x), which keeps NaN.
                double g = d < -delta ? -delta : d > delta ? delta : d;
                grad[i] = (float)(g * scale);
            }
        }

        return (float)(total * scale);
    }
}
