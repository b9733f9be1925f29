using System;
using System.Collections.Generic;

namespace FusedLayers.Reference;

/// <summary>
/// Naive batch normalisation with PyTorch's semantics (<c>nn.BatchNorm1d</c> and <c>nn.BatchNorm2d</c>):
/// input <c>[N, C]</c> or <c>[N, C, ...spatial]</c>, statistics per channel over the batch and all
/// spatial positions (<c>m = N * spatial</c> values per channel).
/// <para>
/// Batch statistics are used when <c>Training || !TrackRunningStats</c>: <c>mean = (1/m) sum x</c> and the
/// biased <c>var = (1/m) sum (x - mean)^2</c> (two passes). Otherwise the running statistics are used.
/// Then <c>xhat = (x - mean) / sqrt(var + eps)</c> and <c>y = gamma * xhat + beta</c>.
/// </para>
/// <para>
/// In training with tracking, <c>NumBatchesTracked += 1</c>, <c>f = momentum ?? 1 / NumBatchesTracked</c>,
/// <c>running_mean = (1 - f) running_mean + f mean</c> and
/// <c>running_var = (1 - f) running_var + f var * m / (m - 1)</c> (unbiased).
/// </para>
/// </summary>
public sealed class ReferenceBatchNorm : IReferenceLayer
{
    private readonly ReferenceParameter[] parameters;

    // Saved by Forward for Backward.
    private int[]? inputShape;
    private double[]? savedXHat;       // xhat, same layout as the input
    private double[]? savedInvStd;     // 1 / sqrt(var + eps) per channel
    private double[]? savedGamma;      // gamma per channel as used (ones when not affine)
    private bool usedBatchStatistics;

    /// <summary>Creates the layer: gamma ones, beta zeros, running mean zeros, running variance ones.</summary>
    /// <param name="name">Layer name, the prefix of the state-dict keys.</param>
    /// <param name="numFeatures">Channels <c>C</c>.</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <param name="momentum">Running-average factor, or null for a cumulative moving average.</param>
    /// <param name="affine">Whether the layer has learnable gamma and beta.</param>
    /// <param name="trackRunningStats">Whether running statistics are kept (and used in inference).</param>
    public ReferenceBatchNorm(string name, int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numFeatures);
        Name = name;
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        if (affine)
        {
            Weight = new ReferenceParameter(name + ".weight", numFeatures);
            Bias = new ReferenceParameter(name + ".bias", numFeatures);
            Array.Fill(Weight.Data, 1.0);
            parameters = [Weight, Bias];
        }
        else
        {
            parameters = [];
        }

        if (trackRunningStats)
        {
            RunningMean = new double[numFeatures];
            RunningVar = new double[numFeatures];
            Array.Fill(RunningVar, 1.0);
        }
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public bool Training { get; set; } = true;

    /// <summary>Channels <c>C</c>.</summary>
    public int NumFeatures { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public double Eps { get; }

    /// <summary>Running-average factor; null means a cumulative moving average (PyTorch's <c>momentum=None</c>).</summary>
    public double? Momentum { get; }

    /// <summary>Whether the layer has learnable gamma and beta.</summary>
    public bool Affine => Weight is not null;

    /// <summary>Whether running statistics are kept.</summary>
    public bool TrackRunningStats => RunningMean is not null;

    /// <summary>Gamma, <c>[C]</c>, initialised to ones, named <c>name.weight</c>; null when not affine.</summary>
    public ReferenceParameter? Weight { get; }

    /// <summary>Beta, <c>[C]</c>, initialised to zeros, named <c>name.bias</c>; null when not affine.</summary>
    public ReferenceParameter? Bias { get; }

    /// <summary>Running mean, <c>[C]</c>, initialised to zeros (<c>name.running_mean</c>); null when not tracking.</summary>
    public double[]? RunningMean { get; }

    /// <summary>Running (unbiased) variance, <c>[C]</c>, initialised to ones (<c>name.running_var</c>); null when not tracking.</summary>
    public double[]? RunningVar { get; }

    /// <summary>Training batches seen so far (<c>name.num_batches_tracked</c>); advances only when tracking.</summary>
    public long NumBatchesTracked { get; set; }

    /// <inheritdoc />
    public IReadOnlyList<ReferenceParameter> Parameters => parameters;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">
    /// The input is not <c>[N, C, ...]</c>, or batch statistics are needed and there is at most one value
    /// per channel (the layer's state is then left unchanged).
    /// </exception>
    public ReferenceTensor Forward(ReferenceTensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int[] shape = input.Shape;
        if (shape.Length < 2 || shape[1] != NumFeatures)
        {
            throw new ArgumentException(
                $"{Name}: expected input [N, {NumFeatures}] or [N, {NumFeatures}, ...], got {ReferenceShape.Format(shape)}.", nameof(input));
        }

        int channels = NumFeatures;
        int batch = shape[0];
        int spatial = ReferenceShape.TrailingLength(shape, 2);
        int m = batch * spatial; // values per channel
        bool useBatchStatistics = Training || !TrackRunningStats;
        if (useBatchStatistics && m <= 1)
        {
            // PyTorch's message (torch.nn.functional._verify_batch_size).
            throw new ArgumentException(
                $"Expected more than 1 value per channel when training, got input size {ReferenceShape.Format(shape)}", nameof(input));
        }

        double[] x = input.Data;
        var mean = new double[channels];
        var variance = new double[channels]; // biased when computed from the batch
        if (useBatchStatistics)
        {
            for (int c = 0; c < channels; c++)
            {
                // First pass: mean = (1/m) sum x.
                double sum = 0.0;
                for (int n = 0; n < batch; n++)
                {
                    for (int s = 0; s < spatial; s++)
                    {
                        sum += x[Index(n, c, s, channels, spatial)];
                    }
                }

                mean[c] = sum / m;

                // Second pass: var = (1/m) sum (x - mean)^2.
                double squares = 0.0;
                for (int n = 0; n < batch; n++)
                {
                    for (int s = 0; s < spatial; s++)
                    {
                        double d = x[Index(n, c, s, channels, spatial)] - mean[c];
                        squares += d * d;
                    }
                }

                variance[c] = squares / m;
            }
        }
        else
        {
            Array.Copy(RunningMean!, mean, channels);
            Array.Copy(RunningVar!, variance, channels);
        }

        var invStd = new double[channels];
        var gamma = new double[channels];
        var output = new ReferenceTensor(shape);
        var xhat = new double[input.Length];
        for (int c = 0; c < channels; c++)
        {
            invStd[c] = 1.0 / Math.Sqrt(variance[c] + Eps);
            gamma[c] = Weight is null ? 1.0 : Weight.Data[c];
            double beta = Bias is null ? 0.0 : Bias.Data[c];
            for (int n = 0; n < batch; n++)
            {
                for (int s = 0; s < spatial; s++)
                {
                    // xhat = (x - mean) / sqrt(var + eps);  y = gamma * xhat + beta
                    int i = Index(n, c, s, channels, spatial);
                    xhat[i] = (x[i] - mean[c]) * invStd[c];
                    output.Data[i] = (gamma[c] * xhat[i]) + beta;
                }
            }
        }

        if (Training && TrackRunningStats)
        {
            NumBatchesTracked += 1;
            double factor = Momentum ?? (1.0 / NumBatchesTracked);
            for (int c = 0; c < channels; c++)
            {
                double unbiased = variance[c] * m / (m - 1);
                RunningMean![c] = ((1.0 - factor) * RunningMean[c]) + (factor * mean[c]);
                RunningVar![c] = ((1.0 - factor) * RunningVar[c]) + (factor * unbiased);
            }
        }

        inputShape = (int[])shape.Clone();
        savedXHat = xhat;
        savedInvStd = invStd;
        savedGamma = gamma;
        usedBatchStatistics = useBatchStatistics;
        return output;
    }

    /// <inheritdoc />
    public ReferenceTensor Backward(ReferenceTensor gradOutput)
    {
        ReferenceShape.CheckGradOutput(Name, inputShape, gradOutput);
        int channels = NumFeatures;
        int batch = inputShape![0];
        int spatial = ReferenceShape.TrailingLength(inputShape, 2);
        int m = batch * spatial;
        double[] dy = gradOutput.Data, xhat = savedXHat!;
        var gradInput = new ReferenceTensor(inputShape);
        double[] dx = gradInput.Data;

        for (int c = 0; c < channels; c++)
        {
            // Per-channel reductions: sum(dy) and sum(dy * xhat).
            double sumDy = 0.0, sumDyXHat = 0.0;
            for (int n = 0; n < batch; n++)
            {
                for (int s = 0; s < spatial; s++)
                {
                    int i = Index(n, c, s, channels, spatial);
                    sumDy += dy[i];
                    sumDyXHat += dy[i] * xhat[i];
                }
            }

            // dgamma += sum(dy * xhat);  dbeta += sum(dy)
            if (Weight is not null)
            {
                Weight.Grad[c] += sumDyXHat;
                Bias!.Grad[c] += sumDy;
            }

            double gamma = savedGamma![c], invStd = savedInvStd![c];
            for (int n = 0; n < batch; n++)
            {
                for (int s = 0; s < spatial; s++)
                {
                    int i = Index(n, c, s, channels, spatial);
                    dx[i] = usedBatchStatistics
                        // mean and var depend on x: dx = gamma * invstd / m * (m * dy - sum(dy) - xhat * sum(dy * xhat))
                        ? gamma * invStd / m * ((m * dy[i]) - sumDy - (xhat[i] * sumDyXHat))
                        // running statistics are constants: dx = dy * gamma * invstd
                        : dy[i] * gamma * invStd;
                }
            }
        }

        return gradInput;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name}: ReferenceBatchNorm({NumFeatures}, eps={Eps}, momentum={Momentum?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "None"}, affine={Affine}, track_running_stats={TrackRunningStats})";

    /// <summary>Offset of element <c>(n, c, s)</c> where <c>s</c> is the flat spatial position.</summary>
    private static int Index(int n, int c, int s, int channels, int spatial) => (((n * channels) + c) * spatial) + s;
}
