using System;
using System.Collections.Generic;
using System.Globalization;

namespace FusedLayers.Training;

/// <summary>
/// Gradient clipping, PyTorch's <c>torch.nn.utils.clip_grad_norm_</c> and <c>clip_grad_value_</c>: call
/// between the backward pass and <see cref="Optimizer.Step"/>. The gradients are changed in place.
/// </summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales the gradients so that their total norm is at most <paramref name="maxNorm"/>, as
    /// <c>torch.nn.utils.clip_grad_norm_</c>: the norm of every gradient is taken, then the norm of those norms
    /// (for a finite positive <paramref name="normType"/> the norm of all gradients together, as if concatenated;
    /// <c>double.PositiveInfinity</c> gives the largest absolute value). When
    /// <c>scale = maxNorm / (total + 1e-6)</c> is below 1 (or NaN, as PyTorch's <c>clamp</c> keeps it) every
    /// gradient is multiplied by it in float32; otherwise nothing changes.
    /// </summary>
    /// <param name="parameters">The parameters whose gradients are clipped (for example <c>model.Parameters</c>).</param>
    /// <param name="maxNorm">PyTorch's <c>max_norm</c>, the largest norm allowed.</param>
    /// <param name="normType">PyTorch's <c>norm_type</c>, the p of the p-norm (default 2; infinity for the max norm).</param>
    /// <param name="errorIfNonfinite">PyTorch's <c>error_if_nonfinite</c>: throw, changing nothing, when the total norm is NaN or infinite.</param>
    /// <returns>The total norm of the gradients before clipping (PyTorch's <c>total_norm</c>), computed in float64.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> or one of them is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="normType"/> or <paramref name="maxNorm"/> is NaN.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="errorIfNonfinite"/> is set and the total norm is NaN or infinite; the gradients are unchanged.</exception>
    public static double ClipGradNorm(IEnumerable<Parameter> parameters, double maxNorm, double normType = 2.0, bool errorIfNonfinite = false)
    {
        List<Parameter> list = Collect(parameters);
        if (double.IsNaN(normType))
        {
            throw new ArgumentOutOfRangeException(nameof(normType), normType, "norm_type must not be NaN.");
        }

        if (double.IsNaN(maxNorm))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "max_norm must not be NaN.");
        }

        if (list.Count == 0)
        {
            return 0.0; // PyTorch: torch.tensor(0.0)
        }

        var norms = new double[list.Count];
        for (int i = 0; i < norms.Length; i++)
        {
            norms[i] = VectorNorm(list[i].Grad, normType);
        }

        double total = VectorNorm(norms, normType);
        if (errorIfNonfinite && !double.IsFinite(total))
        {
            throw new InvalidOperationException(string.Create(
                CultureInfo.InvariantCulture,
                $"The total norm of order {normType} for gradients from `parameters` is non-finite ({total}), so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set errorIfNonfinite: false."));
        }

        double scale = maxNorm / (total + 1e-6);
        if (!(scale >= 1.0))
        {
            float factor = (float)scale;
            foreach (Parameter p in list)
            {
                Span<float> g = p.Grad;
                for (int i = 0; i < g.Length; i++)
                {
                    g[i] *= factor;
                }
            }
        }

        return total;
    }

    /// <summary>
    /// Clamps every gradient element into <c>[-clipValue, clipValue]</c> (in float32), as
    /// <c>torch.nn.utils.clip_grad_value_</c>; NaN stays NaN. As PyTorch's <c>clamp</c>, a negative
    /// <paramref name="clipValue"/> sets every element to <c>clipValue</c>.
    /// </summary>
    /// <param name="parameters">The parameters whose gradients are clipped.</param>
    /// <param name="clipValue">PyTorch's <c>clip_value</c>, the largest absolute value allowed.</param>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> or one of them is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="clipValue"/> is NaN.</exception>
    public static void ClipGradValue(IEnumerable<Parameter> parameters, double clipValue)
    {
        List<Parameter> list = Collect(parameters);
        if (double.IsNaN(clipValue))
        {
            throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, "clip_value must not be NaN.");
        }

        float hi = (float)clipValue;
        float lo = -hi;
        foreach (Parameter p in list)
        {
            Span<float> g = p.Grad;
            for (int i = 0; i < g.Length; i++)
            {
                // clamp(x, lo, hi) = min(max(x, lo), hi); Math.Max / Min propagate NaN.
                g[i] = MathF.Min(MathF.Max(g[i], lo), hi);
            }
        }
    }

    private static List<Parameter> Collect(IEnumerable<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var list = new List<Parameter>();
        foreach (Parameter p in parameters)
        {
            list.Add(p ?? throw new ArgumentNullException(nameof(parameters), $"Parameter {list.Count} is null."));
        }

        return list;
    }

    /// <summary><c>torch.linalg.vector_norm(x, ord)</c> in float64.</summary>
    private static double VectorNorm(ReadOnlySpan<float> x, double ord)
    {
        var values = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            values[i] = x[i];
        }

        return VectorNorm(values, ord);
    }

    private static double VectorNorm(ReadOnlySpan<double> x, double ord)
    {
        if (double.IsPositiveInfinity(ord) || double.IsNegativeInfinity(ord))
        {
            bool max = double.IsPositiveInfinity(ord);
            if (x.Length == 0)
            {
                return max ? 0.0 : double.PositiveInfinity;
            }

            double result = Math.Abs(x[0]);
            foreach (double v in x)
            {
                double a = Math.Abs(v);
                if (double.IsNaN(a))
                {
                    return double.NaN;
                }

                result = max ? Math.Max(result, a) : Math.Min(result, a);
            }

            return result;
        }

        if (ord == 0)
        {
            double count = 0;
            foreach (double v in x)
            {
                count += v != 0 ? 1 : 0; // NaN != 0 counts, as in PyTorch
            }

            return count;
        }

        double sum = 0;
        if (ord == 2)
        {
            foreach (double v in x)
            {
                sum += v * v;
            }

            return Math.Sqrt(sum);
        }

        if (ord == 1)
        {
            foreach (double v in x)
            {
                sum += Math.Abs(v);
            }

            return sum;
        }

        foreach (double v in x)
        {
            sum += Math.Pow(Math.Abs(v), ord);
        }

        return Math.Pow(sum, 1.0 / ord);
    }
}
