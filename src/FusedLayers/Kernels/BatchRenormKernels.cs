using System;

namespace FusedLayers.Kernels;

/// <summary>
/// Batch renormalisation (Ioffe 2017) as per-channel helpers around <see cref="BatchNormKernels"/>, over
/// <c>[N, C, S]</c>. The element-wise passes are BatchNorm's, on every ISA path; only the per-channel
/// constants differ. A training step:
/// <list type="number">
/// <item><see cref="BatchNormKernels.Statistics"/>: batch <c>mu_B</c> and biased <c>var_B</c>.</item>
/// <item><see cref="TrainingScaleShift"/>: <c>1 / sigma_B</c>, <c>r</c>, <c>d</c> and the scale and shift, then
/// <see cref="UpdateRunningStatistics"/> (after: r and d use the moving averages from before the step).</item>
/// <item><see cref="BatchNormKernels.Apply"/> with that scale and shift: <c>y = gamma * ((x - mu_B) / sigma_B * r + d) + beta</c>.</item>
/// <item>Backward, r and d constant: <see cref="BatchNormKernels.BackwardReduce"/> with <c>mu_B</c> and
/// <c>1 / sigma_B</c> gives <c>sum dy</c> and <c>sum dy * xhat_bn</c>; <see cref="AccumulateParameterGradients"/>;
/// <see cref="BatchNormKernels.BackwardInput"/> with gamma replaced by <see cref="EffectiveGamma"/>
/// (<c>gamma * r</c>), i.e. <c>dx = gamma r / sigma_B * (dy - mean(dy) - xhat_bn * mean(dy * xhat_bn))</c>.</item>
/// </list>
/// Inference: <see cref="InferenceScaleShift"/> and <see cref="BatchNormKernels.Apply"/>. All helpers compute
/// in float64 and allocate nothing; empty gamma/beta mean a non-affine layer.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // for generated code; out of IntelliSense
public static class BatchRenormKernels
{
    /// <summary>
    /// The training-mode constants per channel: <c>sigma_B = sqrt(var_B + eps)</c>,
    /// <c>r = clip(sigma_B / sigma, 1 / rMax, rMax)</c>, <c>d = clip((mu_B - mu) / sigma, -dMax, dMax)</c>,
    /// <c>scale = gamma * r / sigma_B</c> and <c>shift = beta + gamma * d - mu_B * scale</c>.
    /// </summary>
    /// <param name="mean">Batch mean <c>mu_B</c>.</param>
    /// <param name="variance">Biased batch variance <c>var_B</c>.</param>
    /// <param name="runningMean">Moving average <c>mu</c> (before this step's update).</param>
    /// <param name="runningStd">Moving average <c>sigma</c> (before this step's update).</param>
    /// <param name="gamma">Gamma, or empty.</param>
    /// <param name="beta">Beta, or empty.</param>
    /// <param name="eps">Added to the batch variance.</param>
    /// <param name="rMax">Clipping bound of r, at least 1.</param>
    /// <param name="dMax">Clipping bound of d, at least 0.</param>
    /// <param name="invStd">Receives <c>1 / sigma_B</c> (for the backward pass).</param>
    /// <param name="r">Receives r.</param>
    /// <param name="d">Receives d.</param>
    /// <param name="scale">Receives the scale for <see cref="BatchNormKernels.Apply"/>.</param>
    /// <param name="shift">Receives the shift for <see cref="BatchNormKernels.Apply"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rMax"/> is below 1 or <paramref name="dMax"/> below 0.</exception>
    public static void TrainingScaleShift(
        ReadOnlySpan<float> mean,
        ReadOnlySpan<float> variance,
        ReadOnlySpan<float> runningMean,
        ReadOnlySpan<float> runningStd,
        ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta,
        double eps,
        double rMax,
        double dMax,
        Span<float> invStd,
        Span<float> r,
        Span<float> d,
        Span<float> scale,
        Span<float> shift)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rMax, 1.0);
        ArgumentOutOfRangeException.ThrowIfNegative(dMax);
        for (int c = 0; c < mean.Length; c++)
        {
            double sigmaB = Math.Sqrt(variance[c] + eps);
            double inv = 1.0 / sigmaB;
            double rc = Math.Clamp(sigmaB / runningStd[c], 1.0 / rMax, rMax);
            double dc = Math.Clamp((mean[c] - runningMean[c]) / runningStd[c], -dMax, dMax);
            double g = gamma.IsEmpty ? 1.0 : gamma[c];
            double s = g * rc * inv;
            invStd[c] = (float)inv;
            r[c] = (float)rc;
            d[c] = (float)dc;
            scale[c] = (float)s;
            shift[c] = (float)((beta.IsEmpty ? 0.0 : beta[c]) + (g * dc) - (mean[c] * s));
        }
    }

    /// <summary>Inference constants: <c>scale = gamma / sigma</c>, <c>shift = beta - mu * scale</c>.</summary>
    /// <param name="runningMean">Moving average <c>mu</c>.</param>
    /// <param name="runningStd">Moving average <c>sigma</c>.</param>
    /// <param name="gamma">Gamma, or empty.</param>
    /// <param name="beta">Beta, or empty.</param>
    /// <param name="scale">Receives the scale.</param>
    /// <param name="shift">Receives the shift.</param>
    public static void InferenceScaleShift(
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningStd, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> scale, Span<float> shift)
    {
        for (int c = 0; c < runningMean.Length; c++)
        {
            double s = (gamma.IsEmpty ? 1.0 : gamma[c]) / runningStd[c];
            scale[c] = (float)s;
            shift[c] = (float)((beta.IsEmpty ? 0.0 : beta[c]) - (runningMean[c] * s));
        }
    }

    /// <summary>
    /// The moving averages: <c>mu += momentum * (mu_B - mu)</c>, <c>sigma += momentum * (sqrt(var_B + eps) - sigma)</c>.
    /// </summary>
    /// <param name="mean">Batch mean.</param>
    /// <param name="variance">Biased batch variance.</param>
    /// <param name="eps">Added to the batch variance.</param>
    /// <param name="momentum">Update rate (the paper's alpha).</param>
    /// <param name="runningMean">Moving average of the mean, updated.</param>
    /// <param name="runningStd">Moving average of the standard deviation, updated.</param>
    public static void UpdateRunningStatistics(
        ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, double eps, double momentum, Span<float> runningMean, Span<float> runningStd)
    {
        for (int c = 0; c < mean.Length; c++)
        {
            runningMean[c] = (float)(runningMean[c] + (momentum * (mean[c] - runningMean[c])));
            runningStd[c] = (float)(runningStd[c] + (momentum * (Math.Sqrt(variance[c] + eps) - runningStd[c])));
        }
    }

    /// <summary><c>gammaTimesR = gamma * r</c> (r alone when not affine): the gamma to give <see cref="BatchNormKernels.BackwardInput"/>.</summary>
    /// <param name="gamma">Gamma, or empty.</param>
    /// <param name="r">r per channel.</param>
    /// <param name="gammaTimesR">Receives <c>gamma * r</c>.</param>
    public static void EffectiveGamma(ReadOnlySpan<float> gamma, ReadOnlySpan<float> r, Span<float> gammaTimesR)
    {
        for (int c = 0; c < r.Length; c++)
        {
            gammaTimesR[c] = (float)((gamma.IsEmpty ? 1.0 : gamma[c]) * r[c]);
        }
    }

    /// <summary>
    /// With <c>xhat = xhat_bn * r + d</c>: <c>gradGamma += r * sum(dy * xhat_bn) + d * sum(dy)</c> and
    /// <c>gradBeta += sum(dy)</c>, from <see cref="BatchNormKernels.BackwardReduce"/>'s sums.
    /// </summary>
    /// <param name="r">r per channel.</param>
    /// <param name="d">d per channel.</param>
    /// <param name="sumDy"><c>sum dy</c> per channel.</param>
    /// <param name="sumDyXhatBn"><c>sum dy * (x - mu_B) / sigma_B</c> per channel.</param>
    /// <param name="gradGamma">Gamma gradient to accumulate into.</param>
    /// <param name="gradBeta">Beta gradient to accumulate into.</param>
    public static void AccumulateParameterGradients(
        ReadOnlySpan<float> r, ReadOnlySpan<float> d, ReadOnlySpan<float> sumDy, ReadOnlySpan<float> sumDyXhatBn, Span<float> gradGamma, Span<float> gradBeta)
    {
        // Either target may be empty (a frozen parameter, RequiresGrad = false).
        for (int c = 0; c < gradGamma.Length; c++)
        {
            gradGamma[c] = (float)(gradGamma[c] + ((double)r[c] * sumDyXhatBn[c]) + ((double)d[c] * sumDy[c]));
        }

        for (int c = 0; c < gradBeta.Length; c++)
        {
            gradBeta[c] += sumDy[c];
        }
    }
}
