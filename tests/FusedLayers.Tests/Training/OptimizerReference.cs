using System;

namespace FusedLayers.Tests.Training;

/// <summary>
/// torch.optim's SGD and Adam/AdamW algorithms (the pseudo-code of their documentation) in float64, one
/// parameter vector, written independently of the library's kernels.
/// </summary>
internal sealed class OptimizerReference
{
    private readonly double[] p;
    private double[]? buffer;
    private readonly double[] m;
    private readonly double[] v;
    private readonly double[] vMax;
    private int t;

    public OptimizerReference(float[] initial)
    {
        p = Array.ConvertAll(initial, x => (double)x);
        m = new double[p.Length];
        v = new double[p.Length];
        vMax = new double[p.Length];
    }

    public double[] Values => p;

    public void Sgd(float[] grad, double lr, double momentum, double dampening, double weightDecay, bool nesterov)
    {
        for (int i = 0; i < p.Length; i++)
        {
            double g = grad[i] + (weightDecay * p[i]);
            if (momentum != 0)
            {
                if (buffer is null)
                {
                    buffer = new double[p.Length];
                    Array.Fill(buffer, double.NaN);
                }

                double b = double.IsNaN(buffer[i]) ? g : (momentum * buffer[i]) + ((1 - dampening) * g);
                buffer[i] = b;
                g = nesterov ? g + (momentum * b) : b;
            }

            p[i] -= lr * g;
        }
    }

    public void Adam(float[] grad, double lr, double beta1, double beta2, double eps, double weightDecay, bool amsgrad, bool decoupled)
    {
        t++;
        for (int i = 0; i < p.Length; i++)
        {
            double g = grad[i];
            if (decoupled)
            {
                p[i] *= 1 - (lr * weightDecay);
            }
            else
            {
                g += weightDecay * p[i];
            }

            m[i] = (beta1 * m[i]) + ((1 - beta1) * g);
            v[i] = (beta2 * v[i]) + ((1 - beta2) * g * g);
            double mHat = m[i] / (1 - Math.Pow(beta1, t));
            vMax[i] = Math.Max(vMax[i], v[i]);
            double vHat = (amsgrad ? vMax[i] : v[i]) / (1 - Math.Pow(beta2, t));
            p[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
        }
    }
}
