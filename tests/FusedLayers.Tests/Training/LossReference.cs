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
