using System;

namespace FusedLayers.Reference;

/// <summary>
/// The arithmetic shared by the per-sample normalisation references (LayerNorm, GroupNorm, InstanceNorm):
/// the data is a list of <c>rows</c> contiguous rows of <c>rowLength</c> values each, and every row is
/// normalised with its own statistics. Plain float64 loops, two passes for the variance.
/// </summary>
internal static class ReferenceRowNormalization
{
    /// <summary>
    /// Per row: <c>mean = (1/L) sum x</c>, biased <c>var = (1/L) sum (x - mean)^2</c>,
    /// <c>invStd = 1/sqrt(var + eps)</c> and <c>xhat = (x - mean) * invStd</c>.
    /// </summary>
    /// <param name="x">Input, <c>rows * rowLength</c> values.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="rowLength">Values per row, <c>L</c>.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <param name="mean">Receives the mean per row.</param>
    /// <param name="variance">Receives the biased variance per row.</param>
    /// <param name="invStd">Receives <c>1/sqrt(var + eps)</c> per row.</param>
    /// <param name="xhat">Receives the normalised values, laid out as <paramref name="x"/>.</param>
    public static void Normalize(
        double[] x, int rows, int rowLength, double eps, double[] mean, double[] variance, double[] invStd, double[] xhat)
    {
        for (int r = 0; r < rows; r++)
        {
            int start = r * rowLength;
            double sum = 0.0;
            for (int k = 0; k < rowLength; k++)
            {
                sum += x[start + k];
            }

            mean[r] = sum / rowLength;
            double squares = 0.0;
            for (int k = 0; k < rowLength; k++)
            {
                double d = x[start + k] - mean[r];
                squares += d * d;
            }

            variance[r] = squares / rowLength;
            invStd[r] = 1.0 / Math.Sqrt(variance[r] + eps);
            for (int k = 0; k < rowLength; k++)
            {
                xhat[start + k] = (x[start + k] - mean[r]) * invStd[r];
            }
        }
    }

    /// <summary>
    /// Back-propagates through <c>xhat = (x - mean(x)) / sqrt(var(x) + eps)</c> row by row, with the
    /// statistics depending on <c>x</c>: <c>dx = invStd * (g - mean(g) - xhat * mean(g * xhat))</c>, where
    /// <c>g = dL/dxhat</c> and the means are over the row.
    /// </summary>
    /// <param name="gradXHat">Gradient with respect to <c>xhat</c>.</param>
    /// <param name="xhat">The normalised values of the forward pass.</param>
    /// <param name="invStd">The forward pass's <c>1/sqrt(var + eps)</c> per row.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="rowLength">Values per row.</param>
    /// <param name="gradInput">Receives the gradient with respect to <c>x</c>.</param>
    public static void Backward(double[] gradXHat, double[] xhat, double[] invStd, int rows, int rowLength, double[] gradInput)
    {
        for (int r = 0; r < rows; r++)
        {
            int start = r * rowLength;
            double sumG = 0.0, sumGXHat = 0.0;
            for (int k = 0; k < rowLength; k++)
            {
                sumG += gradXHat[start + k];
                sumGXHat += gradXHat[start + k] * xhat[start + k];
            }

            double meanG = sumG / rowLength, meanGXHat = sumGXHat / rowLength;
            for (int k = 0; k < rowLength; k++)
            {
                gradInput[start + k] = invStd[r] * (gradXHat[start + k] - meanG - (xhat[start + k] * meanGXHat));
            }
        }
    }
}
