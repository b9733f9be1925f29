using System;

namespace FusedLayers.Tests.Training;

/// <summary>The losses written out naively in float64, straight from PyTorch's documentation.</summary>
internal static class LossReference
{
    /// <summary>Mean cross-entropy with label smoothing: <c>(1/N) Σ_i Σ_c -q_ic log softmax(x_i)_c</c>, <c>q = (1-ε) onehot + ε/C</c>.</summary>
    public static double CrossEntropy(double[] logits, int[] labels, double epsilon)
    {
        int n = labels.Length;
        int c = logits.Length / n;
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            double max = double.NegativeInfinity;
            for (int k = 0; k < c; k++)
            {
                max = Math.Max(max, logits[(i * c) + k]);
            }

            double sum = 0;
            for (int k = 0; k < c; k++)
            {
                sum += Math.Exp(logits[(i * c) + k] - max);
            }

            double lse = max + Math.Log(sum);
            for (int k = 0; k < c; k++)
            {
                double q = ((k == labels[i] ? 1.0 : 0.0) * (1 - epsilon)) + (epsilon / c);
                total -= q * (logits[(i * c) + k] - lse);
            }
        }

        return total / n;
    }

    /// <summary>The analytic gradient <c>(softmax - q) / N</c>.</summary>
    public static double[] CrossEntropyGradient(double[] logits, int[] labels, double epsilon)
    {
        int n = labels.Length;
        int c = logits.Length / n;
        var grad = new double[logits.Length];
        for (int i = 0; i < n; i++)
        {
            double max = double.NegativeInfinity;
            for (int k = 0; k < c; k++)
            {
                max = Math.Max(max, logits[(i * c) + k]);
            }

            double sum = 0;
            for (int k = 0; k < c; k++)
            {
                sum += Math.Exp(logits[(i * c) + k] - max);
            }

            for (int k = 0; k < c; k++)
            {
                double q = ((k == labels[i] ? 1.0 : 0.0) * (1 - epsilon)) + (epsilon / c);
                grad[(i * c) + k] = ((Math.Exp(logits[(i * c) + k] - max) / sum) - q) / n;
            }
        }

        return grad;
    }

    /// <summary>Mean squared error.</summary>
    public static double Mse(double[] prediction, double[] target)
    {
        double sum = 0;
        for (int i = 0; i < prediction.Length; i++)
        {
            double d = prediction[i] - target[i];
            sum += d * d;
        }

        return sum / prediction.Length;
    }

    /// <summary>
    /// Binary cross-entropy of σ(x), written as in PyTorch's documentation:
    /// <c>-(p_c y log σ(x) + (1 - y) log(1 - σ(x)))</c>, mean or sum.
    /// </summary>
    public static double BceWithLogits(double[] logits, double[] target, double[]? posWeight, bool mean)
    {
        double total = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            double sigmoid = 1.0 / (1.0 + Math.Exp(-logits[i]));
            double p = posWeight is null ? 1.0 : posWeight[i % posWeight.Length];
            total -= (p * target[i] * Math.Log(sigmoid)) + ((1 - target[i]) * Math.Log(1 - sigmoid));
        }

        return mean ? total / logits.Length : total;
    }

    /// <summary>The analytic gradient of <see cref="BceWithLogits"/>: <c>(1 + (p - 1) y) σ(x) - p y</c>, over n for the mean.</summary>
    public static double[] BceWithLogitsGradient(double[] logits, double[] target, double[]? posWeight, bool mean)
    {
        var grad = new double[logits.Length];
        for (int i = 0; i < logits.Length; i++)
        {
            double sigmoid = 1.0 / (1.0 + Math.Exp(-logits[i]));
            double p = posWeight is null ? 1.0 : posWeight[i % posWeight.Length];
            grad[i] = (((1 + ((p - 1) * target[i])) * sigmoid) - (p * target[i])) / (mean ? logits.Length : 1);
        }

        return grad;
    }

    /// <summary>Negative log-likelihood: <c>-Σ x[i, y_i]</c> over samples not ignored, mean over their count or sum.</summary>
    public static double Nll(double[] logProbabilities, int[] labels, int ignoreIndex, bool mean)
    {
        int c = logProbabilities.Length / labels.Length;
        double total = 0;
        int counted = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] != ignoreIndex)
            {
                total -= logProbabilities[(i * c) + labels[i]];
                counted++;
            }
        }

        return mean ? total / counted : total;
    }

    /// <summary>Element-wise loss <paramref name="f"/> of <c>d = p - t</c>, mean or sum.</summary>
    public static double Elementwise(double[] prediction, double[] target, Func<double, double> f, bool mean)
    {
        double total = 0;
        for (int i = 0; i < prediction.Length; i++)
        {
            total += f(prediction[i] - target[i]);
        }

        return mean ? total / prediction.Length : total;
    }

    /// <summary>PyTorch's smooth L1 of one difference: <c>0.5 d² / β</c> if <c>|d| &lt; β</c>, else <c>|d| - 0.5 β</c>.</summary>
    public static double SmoothL1(double d, double beta) => Math.Abs(d) < beta ? 0.5 * d * d / beta : Math.Abs(d) - (0.5 * beta);

    /// <summary>PyTorch's Huber loss of one difference: <c>0.5 d²</c> if <c>|d| &lt; δ</c>, else <c>δ (|d| - 0.5 δ)</c>.</summary>
    public static double Huber(double d, double delta) => Math.Abs(d) < delta ? 0.5 * d * d : delta * (Math.Abs(d) - (0.5 * delta));

    /// <summary>Central finite difference of <paramref name="f"/> at every coordinate of <paramref name="x"/>.</summary>
    public static double[] FiniteDifferences(Func<double[], double> f, double[] x, double h = 1e-5)
    {
        var grad = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double saved = x[i];
            x[i] = saved + h;
            double up = f(x);
            x[i] = saved - h;
            double down = f(x);
            x[i] = saved;
            grad[i] = (up - down) / (2 * h);
        }

        return grad;
    }

    /// <summary>Float32 values widened.</summary>
    public static double[] Widen(float[] values) => Array.ConvertAll(values, v => (double)v);
}
