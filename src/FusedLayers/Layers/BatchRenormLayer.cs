using System;
using System.Collections.Generic;

namespace FusedLayers;

/// <summary>
/// State of a <see cref="BatchRenorm1dAttribute"/> or <see cref="BatchRenorm2dAttribute"/> layer: optional
/// affine <c>weight</c> (gamma, ones) and <c>bias</c> (beta, zeros), the moving averages <c>running_mean</c>
/// (<c>mu</c>, zeros) and <c>running_std</c> (<c>sigma</c>, ones; a standard deviation, not a variance), and
/// <c>num_batches_tracked</c>. <see cref="RMax"/> and <see cref="DMax"/> may be changed between training steps
/// (the paper relaxes them from 1 and 0 to 3 and 5); the next training forward reads them.
/// </summary>
public sealed class BatchRenormLayer
{
    private readonly long[] numBatchesTracked = new long[1];
    private double rMax;
    private double dMax;

    /// <summary>Creates the layer.</summary>
    /// <param name="name">Layer name, the prefix of the state-dict keys.</param>
    /// <param name="numFeatures">Channels.</param>
    /// <param name="eps">Added to the batch variance.</param>
    /// <param name="momentum">Moving-average update rate (the paper's alpha).</param>
    /// <param name="affine">Whether gamma and beta exist.</param>
    /// <param name="rMax">Initial <c>r_max</c>, at least 1.</param>
    /// <param name="dMax">Initial <c>d_max</c>, at least 0.</param>
    public BatchRenormLayer(string name, int numFeatures, double eps, double momentum, bool affine, double rMax, double dMax)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numFeatures);
        Name = name;
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        RMax = rMax;
        DMax = dMax;
        Weight = affine ? new Parameter(name + ".weight", numFeatures) : null;
        Bias = affine ? new Parameter(name + ".bias", numFeatures) : null;
        RunningMean = new float[numFeatures];
        RunningStd = new float[numFeatures];
        ResetParameters();
        ResetRunningStats();
    }

    /// <summary>Layer name.</summary>
    public string Name { get; }

    /// <summary>Channels.</summary>
    public int NumFeatures { get; }

    /// <summary>Added to the batch variance.</summary>
    public double Eps { get; }

    /// <summary>Moving-average update rate (the paper's alpha).</summary>
    public double Momentum { get; }

    /// <summary><c>r_max</c>: r is clipped to <c>[1 / r_max, r_max]</c>. At least 1 and finite.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1 or not finite.</exception>
    public double RMax
    {
        get => rMax;
        set
        {
            if (!(value >= 1.0) || double.IsInfinity(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"{Name}: r_max must be a finite value of at least 1.");
            }

            rMax = value;
        }
    }

    /// <summary><c>d_max</c>: d is clipped to <c>[-d_max, d_max]</c>. At least 0 and finite.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or not finite.</exception>
    public double DMax
    {
        get => dMax;
        set
        {
            if (!(value >= 0.0) || double.IsInfinity(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"{Name}: d_max must be a finite value of at least 0.");
            }

            dMax = value;
        }
    }

    /// <summary>Whether gamma and beta exist.</summary>
    public bool Affine => Weight is not null;

    /// <summary>Gamma, <c>[C]</c>, or null when not affine.</summary>
    public Parameter? Weight { get; }

    /// <summary>Beta, <c>[C]</c>, or null when not affine.</summary>
    public Parameter? Bias { get; }

    /// <summary>Moving average of the batch means, <c>mu</c>, <c>[C]</c>.</summary>
    public float[] RunningMean { get; }

    /// <summary>Moving average of the batch standard deviations <c>sqrt(var_B + eps)</c>, <c>sigma</c>, <c>[C]</c>.</summary>
    public float[] RunningStd { get; }

    /// <summary>Number of training batches seen.</summary>
    public long NumBatchesTracked
    {
        get => numBatchesTracked[0];
        set => numBatchesTracked[0] = value;
    }

    /// <summary>Gamma and beta, in state-dict order.</summary>
    public IEnumerable<Parameter> Parameters()
    {
        if (Weight is not null && Bias is not null)
        {
            yield return Weight;
            yield return Bias;
        }
    }

    /// <summary><c>running_mean</c>, <c>running_std</c> and <c>num_batches_tracked</c>.</summary>
    public IEnumerable<Buffer> Buffers()
    {
        yield return Buffer.Float32(Name + ".running_mean", RunningMean);
        yield return Buffer.Float32(Name + ".running_std", RunningStd);
        yield return Buffer.Int64Scalar(Name + ".num_batches_tracked", numBatchesTracked);
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

    /// <summary>Running mean to zeros, running standard deviation to ones, <c>num_batches_tracked</c> to 0.</summary>
    public void ResetRunningStats()
    {
        Array.Clear(RunningMean);
        Array.Fill(RunningStd, 1f);
        numBatchesTracked[0] = 0;
    }
}
