using System;
using System.Collections.Generic;
using System.Globalization;

namespace FusedLayers.Reference;

/// <summary>
/// Naive batch renormalisation (Ioffe 2017, "Batch Renormalization: Towards Reducing Minibatch
/// Dependence in Batch-Normalized Models", Algorithm 1), over <c>[N, C]</c> or <c>[N, C, *]</c> with
/// statistics per channel over <c>m = N * spatial</c> values, as BatchNorm. PyTorch has no such layer.
/// <para>
/// Training: batch <c>mu_B</c> and <c>sigma_B = sqrt(var_B + eps)</c> (biased variance),
/// <c>r = clip(sigma_B / sigma, 1 / r_max, r_max)</c>, <c>d = clip((mu_B - mu) / sigma, -d_max, d_max)</c>
/// from the moving averages <c>mu</c> and <c>sigma</c> before this step's update,
/// <c>xhat = (x - mu_B) / sigma_B * r + d</c> and <c>y = gamma * xhat + beta</c>. <c>r</c> and <c>d</c> are
/// constants for back-propagation (stop-gradient), so with <c>xhat_bn = (x - mu_B) / sigma_B</c>:
/// <c>dx = gamma * r / sigma_B * (dy - mean(dy) - xhat_bn * mean(dy * xhat_bn))</c>,
/// <c>dgamma = sum dy * xhat</c>, <c>dbeta = sum dy</c>. Then <c>mu += momentum * (mu_B - mu)</c>,
/// <c>sigma += momentum * (sigma_B - sigma)</c> and <c>NumBatchesTracked += 1</c>.
/// With <c>r_max = 1</c> and <c>d_max = 0</c> (the defaults, where the paper starts) this is exactly
/// training-mode BatchNorm.
/// </para>
/// <para>Inference: <c>y = gamma * (x - mu) / sigma + beta</c> (eps is already inside <c>sigma</c>).</para>
/// <para>
/// Buffers: <c>name.running_mean</c> (<c>mu</c>, zeros), <c>name.running_std</c> (<c>sigma</c>, ones; a
/// standard deviation, not a variance) and <c>name.num_batches_tracked</c>.
/// </para>
/// </summary>
public sealed class ReferenceBatchRenorm : IReferenceLayer
{
    private readonly ReferenceParameter[] parameters;
    private double rMax = 1.0;
    private double dMax;

    // Test hook: r and d to use instead of the computed ones (finite differences with r and d held fixed).
    private double[]? frozenR;
    private double[]? frozenD;

    // Saved by Forward for Backward.
    private int[]? inputShape;
    private double[]? savedXHatBn;    // (x - mu_B) / sigma_B, or (x - mu) / sigma in inference
    private double[]? savedInvSigma;  // 1 / sigma_B per channel (1 / sigma in inference)
    private double[]? savedR;         // r per channel (ones in inference)
    private double[]? savedD;         // d per channel (zeros in inference)
    private double[]? savedGamma;
    private bool usedBatchStatistics;

    /// <summary>Creates the layer: gamma ones, beta zeros, running mean zeros, running std ones, r_max 1, d_max 0.</summary>
    /// <param name="name">Layer name, the prefix of the state-dict keys.</param>
    /// <param name="numFeatures">Channels <c>C</c>.</param>
    /// <param name="eps">Added to the batch variance before the square root.</param>
    /// <param name="momentum">Moving-average update rate (the paper's alpha), in <c>[0, 1]</c>.</param>
    /// <param name="affine">Whether the layer has learnable gamma and beta.</param>
    public ReferenceBatchRenorm(string name, int numFeatures, double eps = 1e-5, double momentum = 0.01, bool affine = true)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numFeatures);
        ArgumentOutOfRangeException.ThrowIfNegative(momentum);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(momentum, 1.0);
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

        RunningMean = new double[numFeatures];
        RunningStd = new double[numFeatures];
        Array.Fill(RunningStd, 1.0);
        LastR = new double[numFeatures];
        LastD = new double[numFeatures];
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public bool Training { get; set; } = true;

    /// <summary>Channels <c>C</c>.</summary>
    public int NumFeatures { get; }

    /// <summary>Added to the batch variance before the square root.</summary>
    public double Eps { get; }

    /// <summary>Moving-average update rate (the paper's alpha).</summary>
    public double Momentum { get; }

    /// <summary>
    /// <c>r_max</c>, at least 1 (default 1: r is always 1). May be changed between steps; the paper relaxes
    /// it from 1 to 3 during training.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1 or not finite.</exception>
    public double RMax
    {
        get => rMax;
        set
        {
            if (!(value >= 1.0) || double.IsInfinity(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "r_max must be a finite value of at least 1.");
            }

            rMax = value;
        }
    }

    /// <summary>
    /// <c>d_max</c>, at least 0 (default 0: d is always 0). May be changed between steps; the paper relaxes
    /// it from 0 to 5 during training.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or not finite.</exception>
    public double DMax
    {
        get => dMax;
        set
        {
            if (!(value >= 0.0) || double.IsInfinity(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "d_max must be a finite value of at least 0.");
            }

            dMax = value;
        }
    }

    /// <summary>Whether the layer has learnable gamma and beta.</summary>
    public bool Affine => Weight is not null;

    /// <summary>Gamma, <c>[C]</c>, initialised to ones (<c>name.weight</c>); null when not affine.</summary>
    public ReferenceParameter? Weight { get; }

    /// <summary>Beta, <c>[C]</c>, initialised to zeros (<c>name.bias</c>); null when not affine.</summary>
    public ReferenceParameter? Bias { get; }

    /// <summary>Moving average of the batch means, <c>mu</c>, <c>[C]</c>, initialised to zeros (<c>name.running_mean</c>).</summary>
    public double[] RunningMean { get; }

    /// <summary>Moving average of the batch standard deviations <c>sigma_B</c>, <c>[C]</c>, initialised to ones (<c>name.running_std</c>).</summary>
    public double[] RunningStd { get; }

    /// <summary>Training batches seen so far (<c>name.num_batches_tracked</c>).</summary>
    public long NumBatchesTracked { get; set; }

    /// <summary>The <c>r</c> of the last training forward pass, per channel (do not modify).</summary>
    public double[] LastR { get; }

    /// <summary>The <c>d</c> of the last training forward pass, per channel (do not modify).</summary>
    public double[] LastD { get; }

    /// <inheritdoc />
    public IReadOnlyList<ReferenceParameter> Parameters => parameters;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">
    /// The input is not <c>[N, C, ...]</c>, or this is training and there is at most one value per channel
    /// (the layer's state is then left unchanged).
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

        int channels = NumFeatures, batch = shape[0];
        int spatial = ReferenceShape.TrailingLength(shape, 2);
        int m = batch * spatial;
        if (Training && m <= 1)
        {
            throw new ArgumentException(
                $"Expected more than 1 value per channel when training, got input size {ReferenceShape.Format(shape)}", nameof(input));
        }

        double[] x = input.Data;
        var center = new double[channels];   // mu_B in training, mu in inference
        var invSigma = new double[channels]; // 1 / sigma_B in training, 1 / sigma in inference
        var r = new double[channels];
        var d = new double[channels];
        var sigmaB = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            if (!Training)
            {
                center[c] = RunningMean[c];
                invSigma[c] = 1.0 / RunningStd[c];
                r[c] = 1.0;
                continue;
            }

            // mu_B = (1/m) sum x;  var_B = (1/m) sum (x - mu_B)^2 (two passes, as ReferenceBatchNorm).
            double sum = 0.0;
            for (int n = 0; n < batch; n++)
            {
                for (int s = 0; s < spatial; s++)
                {
                    sum += x[Index(n, c, s, channels, spatial)];
                }
            }

            center[c] = sum / m;
            double squares = 0.0;
            for (int n = 0; n < batch; n++)
            {
                for (int s = 0; s < spatial; s++)
                {
                    double dev = x[Index(n, c, s, channels, spatial)] - center[c];
                    squares += dev * dev;
                }
            }

            double variance = squares / m;
            invSigma[c] = 1.0 / Math.Sqrt(variance + Eps);
            sigmaB[c] = Math.Sqrt(variance + Eps);

            // r = clip(sigma_B / sigma, 1/r_max, r_max);  d = clip((mu_B - mu) / sigma, -d_max, d_max)
            r[c] = frozenR?[c] ?? Math.Clamp(sigmaB[c] / RunningStd[c], 1.0 / RMax, RMax);
            d[c] = frozenD?[c] ?? Math.Clamp((center[c] - RunningMean[c]) / RunningStd[c], -DMax, DMax);
        }

        var output = new ReferenceTensor(shape);
        var xhatBn = new double[input.Length];
        var gamma = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            gamma[c] = Weight is null ? 1.0 : Weight.Data[c];
            double beta = Bias is null ? 0.0 : Bias.Data[c];
            for (int n = 0; n < batch; n++)
            {
                for (int s = 0; s < spatial; s++)
                {
                    // xhat = (x - mu_B) / sigma_B * r + d;  y = gamma * xhat + beta
                    int i = Index(n, c, s, channels, spatial);
                    xhatBn[i] = (x[i] - center[c]) * invSigma[c];
                    double xhat = (xhatBn[i] * r[c]) + d[c];
                    output.Data[i] = (gamma[c] * xhat) + beta;
                }
            }
        }

        if (Training)
        {
            NumBatchesTracked += 1;
            for (int c = 0; c < channels; c++)
            {
                RunningMean[c] += Momentum * (center[c] - RunningMean[c]);
                RunningStd[c] += Momentum * (sigmaB[c] - RunningStd[c]);
            }

            Array.Copy(r, LastR, channels);
            Array.Copy(d, LastD, channels);
        }

        inputShape = (int[])shape.Clone();
        savedXHatBn = xhatBn;
        savedInvSigma = invSigma;
        savedR = r;
        savedD = d;
        savedGamma = gamma;
        usedBatchStatistics = Training;
        return output;
    }

    /// <inheritdoc />
    public ReferenceTensor Backward(ReferenceTensor gradOutput)
    {
        ReferenceShape.CheckGradOutput(Name, inputShape, gradOutput);
        int channels = NumFeatures, batch = inputShape![0];
        int spatial = ReferenceShape.TrailingLength(inputShape, 2);
        int m = batch * spatial;
        double[] dy = gradOutput.Data, xhatBn = savedXHatBn!;
        var gradInput = new ReferenceTensor(inputShape);
        double[] dx = gradInput.Data;
        for (int c = 0; c < channels; c++)
        {
            // Per-channel reductions: sum(dy) and sum(dy * xhat_bn).
            double sumDy = 0.0, sumDyXHatBn = 0.0;
            for (int n = 0; n < batch; n++)
            {
                for (int s = 0; s < spatial; s++)
                {
                    int i = Index(n, c, s, channels, spatial);
                    sumDy += dy[i];
                    sumDyXHatBn += dy[i] * xhatBn[i];
                }
            }

            double r = savedR![c], d = savedD![c];

            // dgamma += sum(dy * xhat) = r * sum(dy * xhat_bn) + d * sum(dy);  dbeta += sum(dy)
            if (Weight is not null)
            {
                Weight.Grad[c] += (r * sumDyXHatBn) + (d * sumDy);
                Bias!.Grad[c] += sumDy;
            }

            double k = savedGamma![c] * r * savedInvSigma![c];
            for (int n = 0; n < batch; n++)
            {
                for (int s = 0; s < spatial; s++)
                {
                    int i = Index(n, c, s, channels, spatial);
                    dx[i] = usedBatchStatistics
                        // r, d constant: dx = gamma * r / sigma_B / m * (m * dy - sum(dy) - xhat_bn * sum(dy * xhat_bn))
                        ? k / m * ((m * dy[i]) - sumDy - (xhatBn[i] * sumDyXHatBn))
                        // inference: mu and sigma are constants, dx = dy * gamma / sigma
                        : dy[i] * k;
                }
            }
        }

        return gradInput;
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{Name}: ReferenceBatchRenorm({NumFeatures}, eps={Eps}, momentum={Momentum}, affine={Affine}, r_max={RMax}, d_max={DMax})");

    /// <summary>
    /// Test hook: makes training forward passes use these <c>r</c> and <c>d</c> (per channel) instead of
    /// computing them, so that a finite-difference check sees them as the constants back-propagation assumes.
    /// </summary>
    internal void FreezeCorrection(double[] r, double[] d)
    {
        frozenR = (double[])r.Clone();
        frozenD = (double[])d.Clone();
    }

    /// <summary>Undoes <see cref="FreezeCorrection"/>.</summary>
    internal void ReleaseCorrection()
    {
        frozenR = null;
        frozenD = null;
    }

    /// <summary>Offset of element <c>(n, c, s)</c> where <c>s</c> is the flat spatial position.</summary>
    private static int Index(int n, int c, int s, int channels, int spatial) => (((n * channels) + c) * spatial) + s;
}
