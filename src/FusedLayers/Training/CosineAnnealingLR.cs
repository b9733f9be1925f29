using System;

namespace FusedLayers.Training;

/// <summary>
/// PyTorch's <c>CosineAnnealingLR</c> in its closed form:
/// <c>lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2</c>, from the base rate at
/// epoch 0 down to <c>eta_min</c> at <c>T_max</c> (and back up after it, periodically, as the closed form does).
/// </summary>
public sealed class CosineAnnealingLR : LearningRateScheduler
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="tMax">Epochs of the half period, at least 1.</param>
    /// <param name="etaMin">Smallest learning rate (default 0), at least 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tMax"/> is less than 1 or <paramref name="etaMin"/> is negative.</exception>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0.0)
        : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tMax);
        if (!(etaMin >= 0) || double.IsInfinity(etaMin))
        {
            throw new ArgumentOutOfRangeException(nameof(etaMin), etaMin, "eta_min must be a finite number, at least 0.");
        }

        TMax = tMax;
        EtaMin = etaMin;
        Initialise();
    }

    /// <summary>Epochs of the half period.</summary>
    public int TMax { get; }

    /// <summary>Smallest learning rate.</summary>
    public double EtaMin { get; }

    /// <inheritdoc />
    public override double LearningRateAt(int epoch, int group)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        return EtaMin + ((BaseLearningRates[group] - EtaMin) * (1.0 + Math.Cos(Math.PI * epoch / TMax)) / 2.0);
    }
}
