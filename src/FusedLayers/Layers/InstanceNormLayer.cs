using System;
using System.Collections.Generic;

namespace FusedLayers;

/// <summary>
/// State of an instance-normalisation layer: optional affine <c>weight</c> (ones) and <c>bias</c> (zeros), and
/// when tracking, the buffers <c>running_mean</c> (zeros), <c>running_var</c> (ones) and
/// <c>num_batches_tracked</c> (0; InstanceNorm never advances it, as in PyTorch).
/// </summary>
public abstract class InstanceNormLayer
{
    private readonly long[] numBatchesTracked = new long[1];

    /// <summary>Creates the layer.</summary>
    /// <param name="name">Layer name, the prefix of the state-dict keys.</param>
    /// <param name="numFeatures">Channels.</param>
    /// <param name="eps">Variance epsilon.</param>
    /// <param name="momentum">Running-average momentum (used only when tracking).</param>
    /// <param name="affine">Whether weight and bias exist.</param>
    /// <param name="trackRunningStats">Whether running statistics exist (and are used in inference).</param>
    protected InstanceNormLayer(string name, int numFeatures, double eps, double momentum, bool affine, bool trackRunningStats)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numFeatures);
        Name = name;
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        Weight = affine ? new Parameter(name + ".weight", numFeatures) : null;
        Bias = affine ? new Parameter(name + ".bias", numFeatures) : null;
        RunningMean = trackRunningStats ? new float[numFeatures] : null;
        RunningVar = trackRunningStats ? new float[numFeatures] : null;
        ResetParameters();
        ResetRunningStats();
    }

    /// <summary>Layer name.</summary>
    public string Name { get; }

    /// <summary>Channels.</summary>
    public int NumFeatures { get; }

    /// <summary>Variance epsilon.</summary>
    public double Eps { get; }

    /// <summary>Running-average momentum.</summary>
    public double Momentum { get; }

    /// <summary>Whether weight and bias exist.</summary>
    public bool Affine => Weight is not null;

    /// <summary>Whether running statistics are tracked.</summary>
    public bool TrackRunningStats => RunningMean is not null;

    /// <summary>Weight, <c>[C]</c>, or null when not affine.</summary>
    public Parameter? Weight { get; }

    /// <summary>Bias, <c>[C]</c>, or null when not affine.</summary>
    public Parameter? Bias { get; }

    /// <summary>Running mean, <c>[C]</c>, or null when not tracking.</summary>
    public float[]? RunningMean { get; }

    /// <summary>Running (unbiased) variance, <c>[C]</c>, or null when not tracking.</summary>
    public float[]? RunningVar { get; }

    /// <summary><c>num_batches_tracked</c>: kept for state-dict compatibility; training does not advance it (PyTorch).</summary>
    public long NumBatchesTracked
    {
        get => numBatchesTracked[0];
        set => numBatchesTracked[0] = value;
    }

    /// <summary>Weight and bias, in state-dict order.</summary>
    public IEnumerable<Parameter> Parameters()
    {
        if (Weight is not null && Bias is not null)
        {
            yield return Weight;
            yield return Bias;
        }
    }

    /// <summary>Running statistics, in state-dict order.</summary>
    public IEnumerable<Buffer> Buffers()
    {
        if (RunningMean is not null && RunningVar is not null)
        {
            yield return Buffer.Float32(Name + ".running_mean", RunningMean);
            yield return Buffer.Float32(Name + ".running_var", RunningVar);
            yield return Buffer.Int64Scalar(Name + ".num_batches_tracked", numBatchesTracked);
        }
    }

    /// <summary>Weight to ones and bias to zeros.</summary>
    public void ResetParameters()
    {
        if (Weight is not null && Bias is not null)
        {
            Array.Fill(Weight.Data, 1f);
            Array.Clear(Bias.Data);
        }
    }

    /// <summary>Running mean to zeros, running variance to ones, <c>num_batches_tracked</c> to 0.</summary>
    public void ResetRunningStats()
    {
        if (RunningMean is not null && RunningVar is not null)
        {
            Array.Clear(RunningMean);
            Array.Fill(RunningVar, 1f);
        }

        numBatchesTracked[0] = 0;
    }
}

/// <summary>State of an <see cref="InstanceNorm1dAttribute"/> layer.</summary>
public sealed class InstanceNorm1dLayer : InstanceNormLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="name">Layer name.</param>
    /// <param name="numFeatures">Channels.</param>
    /// <param name="eps">Variance epsilon.</param>
    /// <param name="momentum">Running-average momentum.</param>
    /// <param name="affine">Whether weight and bias exist.</param>
    /// <param name="trackRunningStats">Whether running statistics exist.</param>
    public InstanceNorm1dLayer(string name, int numFeatures, double eps, double momentum, bool affine, bool trackRunningStats)
        : base(name, numFeatures, eps, momentum, affine, trackRunningStats)
    {
    }
}

/// <summary>State of an <see cref="InstanceNorm2dAttribute"/> layer.</summary>
public sealed class InstanceNorm2dLayer : InstanceNormLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="name">Layer name.</param>
    /// <param name="numFeatures">Channels.</param>
    /// <param name="eps">Variance epsilon.</param>
    /// <param name="momentum">Running-average momentum.</param>
    /// <param name="affine">Whether weight and bias exist.</param>
    /// <param name="trackRunningStats">Whether running statistics exist.</param>
    public InstanceNorm2dLayer(string name, int numFeatures, double eps, double momentum, bool affine, bool trackRunningStats)
        : base(name, numFeatures, eps, momentum, affine, trackRunningStats)
    {
    }
}
