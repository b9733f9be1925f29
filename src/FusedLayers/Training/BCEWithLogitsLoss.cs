using System;

namespace FusedLayers.Training;

/// <summary>
/// PyTorch's <c>nn.BCEWithLogitsLoss(reduction, pos_weight)</c>: a sigmoid and binary cross-entropy in
/// one numerically stable expression, over logits <c>x</c> and targets <c>y</c> in [0, 1] of the same
/// shape, with the gradient with respect to the logits written in the same pass.
/// </summary>
/// <remarks>
/// <para>Per element, with <c>l = 1 + (p_c - 1) y</c> (<c>p_c</c> the positive weight of the element's
/// class c, the last dimension; <c>l = 1</c> without <c>pos_weight</c>):
/// <c>loss = (1 - y) x + l (log(1 + exp(-|x|)) + max(-x, 0))</c>, which equals
/// <c>-(p_c y log σ(x) + (1 - y) log(1 - σ(x)))</c> without overflowing for large <c>|x|</c>
/// (PyTorch's log-sum-exp form).</para>
/// <para>Gradient: <c>dloss/dx = (1 - y) - l σ(-x) = l σ(x) - p_c y</c>, divided by the element count
/// for <see cref="Reduction.Mean"/>.</para>
/// <para>Each element is evaluated in float64 and the loss summed in float64; the returned loss and the
/// gradient are rounded to float32. Nothing is allocated after construction.</para>
/// </remarks>
public sealed class BCEWithLogitsLoss
{
    private readonly float[]? posWeight;

    /// <summary>Creates the loss.</summary>
    /// <param name="posWeight">
    /// PyTorch's <c>pos_weight</c>: one weight per class, broadcast along the last dimension of the logits
    /// (the logits' length must then be a multiple of its length); null (the default) for none. Copied.
    /// </param>
    /// <param name="reduction">PyTorch's <c>reduction</c>: <see cref="Reduction.Mean"/> (default) or <see cref="Reduction.Sum"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="posWeight"/> is empty or holds a value that is not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a <see cref="Reduction"/> value.</exception>
    public BCEWithLogitsLoss(float[]? posWeight = null, Reduction reduction = Reduction.Mean)
    {
        if (posWeight is not null)
        {
            if (posWeight.Length == 0 || Array.Exists(posWeight, w => !float.IsFinite(w)))
            {
                throw new ArgumentException("pos_weight must hold at least one value, all finite.", nameof(posWeight));
            }

            this.posWeight = (float[])posWeight.Clone();
        }

        Reduction = LossChecks.Checked(reduction, nameof(reduction));
    }

    /// <summary>PyTorch's <c>pos_weight</c> (a copy), or null.</summary>
    public ReadOnlySpan<float> PosWeight => posWeight;

    /// <summary>True when a <c>pos_weight</c> was given.</summary>
    public bool HasPosWeight => posWeight is not null;

    /// <summary>PyTorch's <c>reduction</c>.</summary>
    public Reduction Reduction { get; }

    /// <summary>The reduced loss.</summary>
    /// <param name="logits">Logits, any shape, flattened row-major (with <c>pos_weight</c>: <c>[..., C]</c>).</param>
    /// <param name="target">Targets (probabilities in [0, 1]), same length.</param>
    /// <returns>The loss.</returns>
    /// <exception cref="ArgumentException">Empty input, different lengths, or a length that is not a multiple of <c>pos_weight</c>'s.</exception>
    public float Compute(ReadOnlySpan<float> logits, ReadOnlySpan<float> target) => Run(logits, target, default, withGradient: false);

    /// <summary>The reduced loss and its gradient with respect to the logits.</summary>
    /// <param name="logits">Logits, any shape, flattened row-major (with <c>pos_weight</c>: <c>[..., C]</c>).</param>
    /// <param name="target">Targets (probabilities in [0, 1]), same length.</param>
    /// <param name="gradLogits">Receives <c>dLoss/dLogits</c>, same length; may be the logits' own memory (then they are overwritten).</param>
    /// <returns>The loss.</returns>
    /// <exception cref="ArgumentException">Empty input, different lengths, or a length that is not a multiple of <c>pos_weight</c>'s.</exception>
    public float Compute(ReadOnlySpan<float> logits, ReadOnlySpan<float> target, Span<float> gradLogits)
    {
        LossChecks.GradientLength(gradLogits.Length, logits.Length, nameof(gradLogits));
        return Run(logits, target, gradLogits, withGradient: true);
    }

    private float Run(ReadOnlySpan<float> logits, ReadOnlySpan<float> target, Span<float> grad, bool withGradient)
    {
        LossChecks.SameLength(logits.Length, target.Length, nameof(logits), nameof(target));
        int classes = posWeight?.Length ?? 1;
        if (logits.Length % classes != 0)
        {
            throw new ArgumentException(
                $"pos_weight has {classes} values, which does not divide the {logits.Length} logits (expected [..., {classes}]).",
                nameof(logits));
        }

        double scale = LossChecks.Scale(Reduction, logits.Length);
        double total = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            double x = logits[i];
            double y = target[i];
            double weight = posWeight is null ? 1.0 : 1.0 + ((posWeight[i % classes] - 1.0) * y);

            // softplus(-x) = -log σ(x), as log(1 + exp(-|x|)) + max(-x, 0).
            double softplus = Math.Log(1.0 + Math.Exp(-Math.Abs(x))) + Math.Max(-x, 0.0);
            total += ((1.0 - y) * x) + (weight * softplus);
            if (withGradient)
            {
                grad[i] = (float)(((1.0 - y) - (weight * SigmoidOfNegative(x))) * scale);
            }
        }

        return (float)(total * scale);
    }

    /// <summary>σ(-x) without overflow.</summary>
    private static double SigmoidOfNegative(double x)
    {
        if (x >= 0)
        {
            double e = Math.Exp(-x);
            return e / (1.0 + e);
        }

        return 1.0 / (1.0 + Math.Exp(x));
    }
}
