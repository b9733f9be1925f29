using System;
using System.Collections.Generic;
using System.Globalization;

namespace FusedLayers.Reference;

/// <summary>
/// Naive instance normalisation with PyTorch's semantics (<c>nn.InstanceNorm1d</c> over <c>[N, C, L]</c>,
/// <c>nn.InstanceNorm2d</c> over <c>[N, C, H, W]</c>, <c>nn.InstanceNorm3d</c> over <c>[N, C, D, H, W]</c>):
/// every (sample, channel) plane of <c>S</c> spatial values is normalised on its own.
/// <para>
/// Instance statistics are used when <c>Training || !TrackRunningStats</c>: per plane <c>mean</c> and the
/// biased <c>var</c>, <c>xhat = (x - mean) / sqrt(var + eps)</c>; otherwise the running statistics of the
/// channel. Then <c>y = weight[c] * xhat + bias[c]</c> when affine.
/// </para>
/// <para>
/// In training with tracking (PyTorch runs <c>batch_norm</c> on the input viewed as <c>[1, N * C, *]</c>
/// with the running statistics repeated <c>N</c> times, then averages them back over <c>N</c>):
/// <c>running_mean = (1 - f) running_mean + f * mean_n(mean[n, c])</c> and
/// <c>running_var = (1 - f) running_var + f * mean_n(var[n, c] * S / (S - 1))</c> (per-instance unbiased
/// variances), with <c>f = momentum</c>, and <c>f = 0</c> when momentum is null (PyTorch passes
/// <c>momentum if momentum is not None else 0.0</c>, so the running statistics then never move).
/// Unlike BatchNorm, InstanceNorm never advances <c>num_batches_tracked</c>: the buffer exists when
/// tracking and stays 0.
/// </para>
/// </summary>
public sealed class ReferenceInstanceNorm : IReferenceLayer
{
    private readonly ReferenceParameter[] parameters;

    // Saved by Forward for Backward.
    private int[]? inputShape;
    private double[]? savedXHat;
    private double[]? savedInvStd; // per plane (n, c)
    private double[]? savedGamma;
    private bool usedInstanceStatistics;

    /// <summary>Creates the layer: weight ones, bias zeros, running mean zeros, running variance ones.</summary>
    /// <param name="name">Layer name, the prefix of the state-dict keys.</param>
    /// <param name="numFeatures">Channels <c>C</c>.</param>
    /// <param name="spatialDimensions">1 for <c>InstanceNorm1d</c>, 2 for <c>InstanceNorm2d</c>, 3 for <c>InstanceNorm3d</c>.</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <param name="momentum">Running-average factor; null leaves the running statistics unchanged (PyTorch).</param>
    /// <param name="affine">Whether the layer has a learnable per-channel weight and bias.</param>
    /// <param name="trackRunningStats">Whether running statistics are kept (and used in inference).</param>
    public ReferenceInstanceNorm(
        string name, int numFeatures, int spatialDimensions, double eps = 1e-5, double? momentum = 0.1, bool affine = false, bool trackRunningStats = false)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numFeatures);
        ArgumentOutOfRangeException.ThrowIfLessThan(spatialDimensions, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(spatialDimensions, 3);
        Name = name;
        NumFeatures = numFeatures;
        SpatialDimensions = spatialDimensions;
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

    /// <summary>Spatial dimensions of the input after <c>[N, C]</c>: 1, 2 or 3.</summary>
    public int SpatialDimensions { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public double Eps { get; }

    /// <summary>Running-average factor; null means the running statistics are not updated (PyTorch passes 0).</summary>
    public double? Momentum { get; }

    /// <summary>Whether the layer has a learnable weight and bias.</summary>
    public bool Affine => Weight is not null;

    /// <summary>Whether running statistics are kept.</summary>
    public bool TrackRunningStats => RunningMean is not null;

    /// <summary>Weight, <c>[C]</c>, initialised to ones (<c>name.weight</c>); null when not affine.</summary>
    public ReferenceParameter? Weight { get; }

    /// <summary>Bias, <c>[C]</c>, initialised to zeros (<c>name.bias</c>); null when not affine.</summary>
    public ReferenceParameter? Bias { get; }

    /// <summary>Running mean, <c>[C]</c>, initialised to zeros (<c>name.running_mean</c>); null when not tracking.</summary>
    public double[]? RunningMean { get; }

    /// <summary>Running (unbiased) variance, <c>[C]</c>, initialised to ones (<c>name.running_var</c>); null when not tracking.</summary>
    public double[]? RunningVar { get; }

    /// <summary>
    /// <c>name.num_batches_tracked</c>: present (when tracking) for state-dict compatibility; InstanceNorm never
    /// advances it, as in PyTorch.
    /// </summary>
    public long NumBatchesTracked { get; set; }

    /// <inheritdoc />
    public IReadOnlyList<ReferenceParameter> Parameters => parameters;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">
    /// The input is not <c>[N, C, *]</c> with <see cref="SpatialDimensions"/> spatial dimensions, or instance
    /// statistics are needed and a plane has at most one value (the layer's state is then left unchanged).
    /// </exception>
    public ReferenceTensor Forward(ReferenceTensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int[] shape = input.Shape;
        if (shape.Length != 2 + SpatialDimensions || shape[1] != NumFeatures)
        {
            throw new ArgumentException(
                $"{Name}: expected a {2 + SpatialDimensions}D input [N, {NumFeatures}, ...{SpatialDimensions} spatial], got {ReferenceShape.Format(shape)}.",
                nameof(input));
        }

        int batch = shape[0], channels = NumFeatures;
        int spatial = ReferenceShape.TrailingLength(shape, 2);
        int planes = batch * channels;
        bool useInstanceStatistics = Training || !TrackRunningStats;
        if (useInstanceStatistics && spatial <= 1)
        {
            // PyTorch's message (torch.nn.functional._verify_spatial_size).
            throw new ArgumentException(
                $"Expected more than 1 spatial element when training, got input size {ReferenceShape.Format(shape)}", nameof(input));
        }

        var invStd = new double[planes];
        var xhat = new double[input.Length];
        if (useInstanceStatistics)
        {
            var mean = new double[planes];
            var variance = new double[planes];
            ReferenceRowNormalization.Normalize(input.Data, planes, spatial, Eps, mean, variance, invStd, xhat);
            if (Training && TrackRunningStats)
            {
                UpdateRunningStatistics(batch, spatial, mean, variance);
            }
        }
        else
        {
            for (int p = 0; p < planes; p++)
            {
                int c = p % channels;
                invStd[p] = 1.0 / Math.Sqrt(RunningVar![c] + Eps);
                for (int s = 0; s < spatial; s++)
                {
                    int i = (p * spatial) + s;
                    xhat[i] = (input.Data[i] - RunningMean![c]) * invStd[p];
                }
            }
        }

        var output = new ReferenceTensor(shape);
        for (int i = 0; i < input.Length; i++)
        {
            // y = weight[c] * xhat + bias[c]
            int c = i / spatial % channels;
            double gamma = Weight is null ? 1.0 : Weight.Data[c];
            double beta = Bias is null ? 0.0 : Bias.Data[c];
            output.Data[i] = (gamma * xhat[i]) + beta;
        }

        inputShape = (int[])shape.Clone();
        savedXHat = xhat;
        savedInvStd = invStd;
        savedGamma = (double[]?)Weight?.Data.Clone();
        usedInstanceStatistics = useInstanceStatistics;
        return output;
    }

    /// <inheritdoc />
    public ReferenceTensor Backward(ReferenceTensor gradOutput)
    {
        ReferenceShape.CheckGradOutput(Name, inputShape, gradOutput);
        int channels = NumFeatures;
        int spatial = ReferenceShape.TrailingLength(inputShape!, 2);
        int planes = inputShape![0] * channels;
        double[] dy = gradOutput.Data, xhat = savedXHat!;
        var gradXHat = new double[dy.Length];
        for (int i = 0; i < dy.Length; i++)
        {
            // dweight[c] += sum dy * xhat;  dbias[c] += sum dy;  dxhat = dy * weight[c]
            int c = i / spatial % channels;
            if (Weight is not null)
            {
                Weight.Grad[c] += dy[i] * xhat[i];
                Bias!.Grad[c] += dy[i];
            }

            gradXHat[i] = dy[i] * (savedGamma is null ? 1.0 : savedGamma[c]);
        }

        var gradInput = new ReferenceTensor(inputShape);
        if (usedInstanceStatistics)
        {
            ReferenceRowNormalization.Backward(gradXHat, xhat, savedInvStd!, planes, spatial, gradInput.Data);
        }
        else
        {
            // Running statistics are constants: dx = dxhat * invstd.
            for (int i = 0; i < dy.Length; i++)
            {
                gradInput.Data[i] = gradXHat[i] * savedInvStd![i / spatial];
            }
        }

        return gradInput;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name}: ReferenceInstanceNorm{SpatialDimensions}d({NumFeatures}, eps={Eps}, momentum={Momentum?.ToString(CultureInfo.InvariantCulture) ?? "None"}, affine={Affine}, track_running_stats={TrackRunningStats})";

    private void UpdateRunningStatistics(int batch, int spatial, double[] mean, double[] variance)
    {
        double factor = Momentum ?? 0.0;
        for (int c = 0; c < NumFeatures; c++)
        {
            // Each of the N repeated copies is updated with its own instance, then the copies are averaged.
            double updatedMean = 0.0, updatedVar = 0.0;
            for (int n = 0; n < batch; n++)
            {
                int p = (n * NumFeatures) + c;
                double unbiased = variance[p] * spatial / (spatial - 1);
                updatedMean += ((1.0 - factor) * RunningMean![c]) + (factor * mean[p]);
                updatedVar += ((1.0 - factor) * RunningVar![c]) + (factor * unbiased);
            }

            RunningMean![c] = updatedMean / batch;
            RunningVar![c] = updatedVar / batch;
        }
    }
}
