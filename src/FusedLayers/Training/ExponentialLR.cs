using System;

namespace FusedLayers.Training;

/// <summary>
/// PyTorch's <c>ExponentialLR</c>: the learning rate is multiplied by <c>gamma</c> every epoch. Closed form:
/// <c>lr = base_lr * gamma^epoch</c>; <see cref="LearningRateScheduler.Step"/> uses PyTorch's chainable form,
/// the optimizer's current rate times <c>gamma</c>.
/// </summary>
public sealed class ExponentialLR : LearningRateScheduler
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="gamma">Decay factor per epoch.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gamma"/> is negative or not finite.</exception>
    public ExponentialLR(Optimizer optimizer, double gamma)
        : base(optimizer)
    {
        if (!(gamma >= 0) || double.IsInfinity(gamma))
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be a finite number, at least 0.");
        }

        Gamma = gamma;
        Initialise();
    }

    /// <summary>Decay factor per epoch.</summary>
    public double Gamma { get; }

    /// <inheritdoc />
    public override double LearningRateAt(int epoch, int group)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        return BaseLearningRates[group] * Math.Pow(Gamma, epoch);
    }

    /// <inheritdoc />
    private protected override double NextLearningRate(int epoch, int group) => epoch == 0 ? Optimizer.GetLearningRate(group) : Optimizer.GetLearningRate(group) * Gamma;
}
