using System;
using System.Globalization;

namespace FusedLayers.Training;

/// <summary>
/// PyTorch's <c>nn.NLLLoss(ignore_index, reduction)</c> over log-probabilities <c>[N, C]</c> (for example
/// a log-softmax's output) and integer class labels <c>[N]</c>: <c>loss_i = -x_{i, y_i}</c>, samples whose
/// label is <c>ignore_index</c> left out.
/// </summary>
/// <remarks>
/// <para><see cref="Reduction.Mean"/> divides the sum by the number of samples not ignored (PyTorch's
/// unweighted mean); when every sample is ignored that is 0 / 0, NaN, as in PyTorch, and the gradient is
/// all zeros. <see cref="Reduction.Sum"/> returns the sum (0 when every sample is ignored).</para>
/// <para>Gradient: <c>dL/dx_{i,c} = -[c = y_i] / n</c> (<c>n</c> the count not ignored, 1 for the sum),
/// zero for ignored samples and every other class. The sum is float64. Nothing is allocated.</para>
/// <para>Per-class weights (PyTorch's <c>weight</c>) are not offered.</para>
/// </remarks>
public sealed class NLLLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="ignoreIndex">PyTorch's <c>ignore_index</c>: a label value whose samples are left out (default -100).</param>
    /// <param name="reduction">PyTorch's <c>reduction</c>: <see cref="Reduction.Mean"/> (default) or <see cref="Reduction.Sum"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a <see cref="Reduction"/> value.</exception>
    public NLLLoss(int ignoreIndex = -100, Reduction reduction = Reduction.Mean)
    {
        IgnoreIndex = ignoreIndex;
        Reduction = LossChecks.Checked(reduction, nameof(reduction));
    }

    /// <summary>PyTorch's <c>ignore_index</c>.</summary>
    public int IgnoreIndex { get; }

    /// <summary>PyTorch's <c>reduction</c>.</summary>
    public Reduction Reduction { get; }

    /// <summary>The reduced loss.</summary>
    /// <param name="logProbabilities">Log-probabilities <c>[N, C]</c>, row-major; C is <c>logProbabilities.Length / labels.Length</c>.</param>
    /// <param name="labels">Class indices <c>[N]</c>, each in <c>[0, C)</c> or equal to <see cref="IgnoreIndex"/>.</param>
    /// <returns>The loss.</returns>
    /// <exception cref="ArgumentException">Empty batch, lengths that do not divide, or a label out of range.</exception>
    public float Compute(ReadOnlySpan<float> logProbabilities, ReadOnlySpan<int> labels) => Run(logProbabilities, labels, default, withGradient: false);

    /// <summary>The reduced loss and its gradient with respect to the log-probabilities.</summary>
    /// <param name="logProbabilities">Log-probabilities <c>[N, C]</c>, row-major; C is <c>logProbabilities.Length / labels.Length</c>.</param>
    /// <param name="labels">Class indices <c>[N]</c>, each in <c>[0, C)</c> or equal to <see cref="IgnoreIndex"/>.</param>
    /// <param name="gradLogProbabilities">Receives <c>dLoss/dLogProbabilities</c>, same length; may be the input's own memory (then it is overwritten).</param>
    /// <returns>The loss.</returns>
    /// <exception cref="ArgumentException">Empty batch, lengths that do not divide or differ, or a label out of range.</exception>
    public float Compute(ReadOnlySpan<float> logProbabilities, ReadOnlySpan<int> labels, Span<float> gradLogProbabilities)
    {
        LossChecks.GradientLength(gradLogProbabilities.Length, logProbabilities.Length, nameof(gradLogProbabilities));
        return Run(logProbabilities, labels, gradLogProbabilities, withGradient: true);
    }

    private float Run(ReadOnlySpan<float> logProbabilities, ReadOnlySpan<int> labels, Span<float> grad, bool withGradient)
    {
        int batch = labels.Length;
        if (batch == 0 || logProbabilities.Length == 0 || logProbabilities.Length % batch != 0)
        {
            throw new ArgumentException(
                $"Expected log-probabilities [N, C] with N = {batch} labels and C >= 1, got {logProbabilities.Length} values.", nameof(logProbabilities));
        }

        int classes = logProbabilities.Length / batch;
        int counted = 0;
        for (int i = 0; i < batch; i++)
        {
            if (labels[i] == IgnoreIndex)
            {
                continue;
            }

            if ((uint)labels[i] >= (uint)classes)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"Target {labels[i]} is out of bounds: label {i} of {batch} must be in [0, {classes}) or {IgnoreIndex} (ignore_index)."),
                    nameof(labels));
            }

            counted++;
        }

        double total = 0;
        for (int i = 0; i < batch; i++)
        {
            if (labels[i] != IgnoreIndex)
            {
                total -= logProbabilities[(i * classes) + labels[i]];
            }
        }

        if (withGradient)
        {
            // Mean over zero samples: PyTorch's gradient is zero everywhere (no sample gets -1/0).
            float onTarget = Reduction == Reduction.Mean ? (counted == 0 ? 0f : (float)(-1.0 / counted)) : -1f;
            grad.Clear();
            for (int i = 0; i < batch; i++)
            {
                if (labels[i] != IgnoreIndex)
                {
                    grad[(i * classes) + labels[i]] = onTarget;
                }
            }
        }

        return Reduction == Reduction.Mean ? (float)(total / counted) : (float)total;
    }
}
