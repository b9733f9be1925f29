using System;

namespace FusedLayers.Training;

/// <summary>
/// PyTorch's <c>nn.SmoothL1Loss(reduction, beta)</c>: per element, with <c>d = p - t</c>,
/// <c>0.5 d² / β</c> where <c>|d| &lt; β</c> and <c>|d| - 0.5 β</c> elsewhere; reduced by the mean (or sum).
/// </summary>
/// <remarks>
/// <para>Gradient: <c>d / β</c> where <c>|d| &lt; β</c>, <c>sign(d)</c> elsewhere, divided by the element count
/// for <see cref="Reduction.Mean"/>. With <c>β = 0</c> it is <see cref="L1Loss"/>, as PyTorch's <c>F.smooth_l1_loss</c> makes it
/// (gradient 0 where <c>d = 0</c>; libtorch's C++ kernel, called directly, would give -1 there).
/// It equals <see cref="HuberLoss"/> with <c>δ = β</c>, divided by β.</para>
/// <para>The sum is float64; the returned loss is rounded to float32. Nothing is allocated.</para>
/// </remarks>
public sealed class SmoothL1Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">PyTorch's <c>reduction</c>: <see cref="Reduction.Mean"/> (default) or <see cref="Reduction.Sum"/>.</param>
    /// <param name="beta">PyTorch's <c>beta</c>, the threshold between the squared and the absolute part (default 1), finite and at least 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="beta"/> is negative or not finite, or <paramref name="reduction"/> is not a <see cref="Reduction"/> value.</exception>
    public SmoothL1Loss(Reduction reduction = Reduction.Mean, double beta = 1.0)
    {
        if (!(beta >= 0) || double.IsInfinity(beta))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "smooth_l1_loss does not support negative values for beta; beta must be finite.");
        }

        Reduction = LossChecks.Checked(reduction, nameof(reduction));
        Beta = beta;
    }

    /// <summary>PyTorch's <c>reduction</c>.</summary>
    public Reduction Reduction { get; }

    /// <summary>PyTorch's <c>beta</c>.</summary>
    public double Beta { get; }

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
        double beta = Beta;
        double total = 0;
        for (int i = 0; i < prediction.Length; i++)
        {
            float d = prediction[i] - target[i];
            double absolute = Math.Abs((double)d);
            if (beta == 0)
            {
                // PyTorch's F.smooth_l1_loss: l1_loss.
                total += absolute;
                if (withGradient)
                {
                    grad[i] = (float)(L1Loss.Sign(d) * scale);
                }

                continue;
            }

            total += absolute < beta ? 0.5 * d * d / beta : absolute - (0.5 * beta);
            if (withGradient)
            {
                // PyTorch's kernel: x <= -β ? -1 : (x >= β ? 1 : x / β), which keeps NaN.
                grad[i] = (float)((d <= -beta ? -1.0 : d >= beta ? 1.0 : d / beta) * scale);
            }
        }

        return (float)(total * scale);
    }
}
