using System;
using System.Globalization;
using System.Numerics;

namespace FusedLayers.Training;

/// <summary>
/// PyTorch's <c>nn.CrossEntropyLoss(reduction='mean', label_smoothing=ε)</c> over logits <c>[N, C]</c> and
/// integer class labels <c>[N]</c>: a fused log-softmax and negative log-likelihood, with the gradient
/// with respect to the logits written in the same pass over each row.
/// </summary>
/// <remarks>
/// <para>Per sample <c>i</c> with label <c>y</c>: <c>lse = log Σ_c exp(x_c)</c> (computed as
/// <c>m + log Σ exp(x_c - m)</c> with <c>m = max_c x_c</c>), <c>nll = lse - x_y</c>,
/// <c>smooth = lse - mean_c x_c</c> (that is <c>-(1/C) Σ_c log p_c</c>), and
/// <c>loss_i = (1 - ε) nll + ε smooth</c>, PyTorch's definition of label smoothing (the target is the
/// mixture <c>(1 - ε) onehot(y) + ε / C</c>). The loss is the mean over the N samples.</para>
/// <para>Gradient: <c>dL/dx_c = (softmax(x)_c - (1 - ε)[c = y] - ε / C) / N</c>.</para>
/// <para>The loss is accumulated in float64 across samples; each row's exponentials are float32,
/// vectorised. Nothing is allocated.</para>
/// </remarks>
public sealed class CrossEntropyLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="labelSmoothing">ε in [0, 1], PyTorch's <c>label_smoothing</c> (default 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">ε is outside [0, 1].</exception>
    public CrossEntropyLoss(double labelSmoothing = 0.0)
    {
        if (!(labelSmoothing >= 0.0 && labelSmoothing <= 1.0))
        {
            throw new ArgumentOutOfRangeException(
                nameof(labelSmoothing), labelSmoothing, "label_smoothing must be between 0.0 and 1.0.");
        }

        LabelSmoothing = labelSmoothing;
    }

    /// <summary>ε, PyTorch's <c>label_smoothing</c>.</summary>
    public double LabelSmoothing { get; }

    /// <summary>The mean loss over the batch.</summary>
    /// <param name="logits">Logits <c>[N, C]</c>, row-major; C is <c>logits.Length / labels.Length</c>.</param>
    /// <param name="labels">Class indices <c>[N]</c>, each in <c>[0, C)</c>.</param>
    /// <returns>The mean loss.</returns>
    /// <exception cref="ArgumentException">Empty batch, lengths that do not divide, or a label out of range.</exception>
    public float Compute(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels) => Run(logits, labels, default, withGradient: false);

    /// <summary>The mean loss over the batch, and its gradient with respect to the logits.</summary>
    /// <param name="logits">Logits <c>[N, C]</c>, row-major; C is <c>logits.Length / labels.Length</c>.</param>
    /// <param name="labels">Class indices <c>[N]</c>, each in <c>[0, C)</c>.</param>
    /// <param name="gradLogits">Receives <c>dLoss/dLogits</c>, same length as <paramref name="logits"/>; may be the logits' own memory (then they are overwritten).</param>
    /// <returns>The mean loss.</returns>
    /// <exception cref="ArgumentException">Empty batch, lengths that do not divide or differ, or a label out of range.</exception>
    public float Compute(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, Span<float> gradLogits)
    {
        if (gradLogits.Length != logits.Length)
        {
            throw new ArgumentException(
                $"gradLogits has length {gradLogits.Length}, expected {logits.Length} (the logits' length).", nameof(gradLogits));
        }

        return Run(logits, labels, gradLogits, withGradient: true);
    }

    private float Run(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, Span<float> grad, bool withGradient)
    {
        int batch = labels.Length;
        if (batch == 0 || logits.Length == 0 || logits.Length % batch != 0)
        {
            throw new ArgumentException(
                $"Expected logits [N, C] with N = {batch} labels and C >= 1, got {logits.Length} logits.", nameof(logits));
        }

        int classes = logits.Length / batch;
        for (int i = 0; i < batch; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"Target {labels[i]} is out of bounds: label {i} of {batch} must be in [0, {classes})."),
                    nameof(labels));
            }
        }

        double epsilon = LabelSmoothing;
        double total = 0;
        float invBatch = 1f / batch;
        float onTarget = (float)((1.0 - epsilon) / batch);
        float uniform = (float)(epsilon / classes / batch);
        for (int i = 0; i < batch; i++)
        {
            ReadOnlySpan<float> row = logits.Slice(i * classes, classes);
            int label = labels[i];
            float target = row[label];
            float max = Max(row);
            double rowSum = epsilon > 0 ? Sum(row) : 0.0;

            // Σ exp(x - max), the exponentials stored in the gradient row when one is asked for.
            float expSum = withGradient ? ExpShiftedInto(row, max, grad.Slice(i * classes, classes)) : ExpShiftedSum(row, max);
            double lse = max + Math.Log(expSum);
            double nll = lse - target;
            double loss = epsilon > 0 ? ((1.0 - epsilon) * nll) + (epsilon * (lse - (rowSum / classes))) : nll;
            total += loss;

            if (withGradient)
            {
                Span<float> g = grad.Slice(i * classes, classes);
                ScaleShift(g, invBatch / expSum, -uniform);
                g[label] -= onTarget;
            }
        }

        return (float)(total / batch);
    }

    private static float Max(ReadOnlySpan<float> row)
    {
        int i = 0;
        float max = float.NegativeInfinity;
        if (Vector.IsHardwareAccelerated && row.Length >= Vector<float>.Count)
        {
            var best = new Vector<float>(row);
            for (i = Vector<float>.Count; i <= row.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                best = Vector.Max(best, new Vector<float>(row[i..]));
            }

            for (int lane = 0; lane < Vector<float>.Count; lane++)
            {
                max = MathF.Max(max, best[lane]);
            }
        }

        for (; i < row.Length; i++)
        {
            max = MathF.Max(max, row[i]);
        }

        return max;
    }

    private static double Sum(ReadOnlySpan<float> row)
    {
        double sum = 0;
        for (int i = 0; i < row.Length; i++)
        {
            sum += row[i];
        }

        return sum;
    }

    private static float ExpShiftedSum(ReadOnlySpan<float> row, float max)
    {
        int i = 0;
        float sum = 0;
        if (Vector.IsHardwareAccelerated && row.Length >= Vector<float>.Count)
        {
            var shift = new Vector<float>(max);
            Vector<float> acc = Vector<float>.Zero;
            for (; i <= row.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                acc += Vector.Exp(new Vector<float>(row[i..]) - shift);
            }

            sum = Vector.Sum(acc);
        }

        for (; i < row.Length; i++)
        {
            sum += MathF.Exp(row[i] - max);
        }

        return sum;
    }

    private static float ExpShiftedInto(ReadOnlySpan<float> row, float max, Span<float> exps)
    {
        int i = 0;
        float sum = 0;
        if (Vector.IsHardwareAccelerated && row.Length >= Vector<float>.Count)
        {
            var shift = new Vector<float>(max);
            Vector<float> acc = Vector<float>.Zero;
            for (; i <= row.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector<float> e = Vector.Exp(new Vector<float>(row[i..]) - shift);
                e.CopyTo(exps[i..]);
                acc += e;
            }

            sum = Vector.Sum(acc);
        }

        for (; i < row.Length; i++)
        {
            float e = MathF.Exp(row[i] - max);
            exps[i] = e;
            sum += e;
        }

        return sum;
    }

    private static void ScaleShift(Span<float> values, float scale, float shift)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var s = new Vector<float>(scale);
            var b = new Vector<float>(shift);
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                ((new Vector<float>(values[i..]) * s) + b).CopyTo(values[i..]);
            }
        }

        for (; i < values.Length; i++)
        {
            values[i] = (values[i] * scale) + shift;
        }
    }
}
