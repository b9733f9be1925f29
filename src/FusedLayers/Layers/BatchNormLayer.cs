using System;
using System.Collections.Generic;

namespace FusedLayers;

/// <summary>
/// State of a batch-normalisation layer: optional affine <c>weight</c> (gamma, ones) and <c>bias</c>
/// (beta, zeros), and when tracking, the buffers <c>running_mean</c> (zeros), <c>running_var</c> (ones)
/// and <c>num_batches_tracked</c> (0), as PyTorch initialises them.
/// </summary>
public abstract class BatchNormLayer
{
    private readonly long[] numBatchesTracked = new long[1];

    /// <summary>Creates the layer.</summary>
    /// <param name="name">Layer name, the prefix of the state-dict keys.</param>
    /// <param name="numFeatures">Channels.</param>
    /// <param name="eps">Variance epsilon.</param>
    /// <param name="momentum">Running-average momentum, or null for a cumulative average.</param>
    /// <param name="affine">Whether gamma and beta exist.</param>
    /// <param name="trackRunningStats">Whether running statistics exist.</param>
    protected BatchNormLayer(string name, int numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats)
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

    /// <summary>Running-average momentum; null means a cumulative average (PyTorch's <c>momentum=None</c>).</summary>
    public double? Momentum { get; }

    /// <summary>Whether gamma and beta exist.</summary>
    public bool Affine => Weight is not null;

    /// <summary>Whether running statistics are tracked.</summary>
    public bool TrackRunningStats => RunningMean is not null;

    /// <summary>Gamma, <c>[C]</c>, or null when not affine.</summary>
    public Parameter? Weight { get; }

    /// <summary>Beta, <c>[C]</c>, or null when not affine.</summary>
    public Parameter? Bias { get; }

    /// <summary>Running mean, <c>[C]</c>, or null when not tracking.</summary>
    public float[]? RunningMean { get; }

    /// <summary>Running (unbiased) variance, <c>[C]</c>, or null when not tracking.</summary>
    public float[]? RunningVar { get; }

    /// <summary>Number of training batches seen; 0 when not tracking.</summary>
    public long NumBatchesTracked
    {
        get => numBatchesTracked[0];
        set => numBatchesTracked[0] = value;
    }

    /// <summary>
    /// The layer's own mode, like a PyTorch module's <c>training</c> flag: true (batch statistics, running averages
    /// updated) unless the layer was put in eval mode. The model's <c>Train()</c> / <c>Eval()</c> set it on every
    /// BatchNorm, as <c>module.train(mode)</c> does on its children; set it afterwards for a frozen BatchNorm
    /// (torchvision / Detectron fine-tuning): in a training-mode Forward the layer then normalises with its running
    /// statistics, leaves them (and <c>num_batches_tracked</c>) unchanged, and Backward treats them as constants
    /// (gamma and beta still get gradients). A layer without running statistics always uses the batch's, as in
    /// PyTorch. An inference-mode Forward (<c>model.Eval()</c>) uses the running statistics of every layer whatever
    /// its flag.
    /// </summary>
    public bool Training { get; set; } = true;

    /// <summary>Sets <see cref="Training"/>, like <c>module.train(mode)</c>.</summary>
    /// <param name="mode">True for batch statistics.</param>
    public void Train(bool mode = true) => Training = mode;

    /// <summary>Puts the layer in eval mode (<see cref="Training"/> = false), like <c>module.eval()</c>: frozen BatchNorm.</summary>
    public void Eval() => Training = false;

    /// <summary>Gamma and beta, in state-dict order.</summary>
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

    /// <summary>Gamma to ones and beta to zeros.</summary>
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

/// <summary>State of a <see cref="BatchNorm1dAttribute"/> layer.</summary>
public sealed class BatchNorm1dLayer : BatchNormLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="name">Layer name.</param>
    /// <param name="numFeatures">Channels.</param>
    /// <param name="eps">Variance epsilon.</param>
    /// <param name="momentum">Momentum, or null for a cumulative average.</param>
    /// <param name="affine">Whether gamma and beta exist.</param>
    /// <param name="trackRunningStats">Whether running statistics exist.</param>
    public BatchNorm1dLayer(string name, int numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats)
        : base(name, numFeatures, eps, momentum, affine, trackRunningStats)
    {
    }
}

/// <summary>State of a <see cref="BatchNorm2dAttribute"/> layer.</summary>
public sealed class BatchNorm2dLayer : BatchNormLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="name">Layer name.</param>
    /// <param name="numFeatures">Channels.</param>
    /// <param name="eps">Variance epsilon.</param>
    /// <param name="momentum">Momentum, or null for a cumulative average.</param>
    /// <param name="affine">Whether gamma and beta exist.</param>
    /// <param name="trackRunningStats">Whether running statistics exist.</param>
    public BatchNorm2dLayer(string name, int numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats)
        : base(name, numFeatures, eps, momentum, affine, trackRunningStats)
    {
    }
}
