using System;

namespace FusedLayers.Training;

/// <summary>
/// PyTorch's <c>StepLR</c>: the learning rate decays by <c>gamma</c> every <c>step_size</c> epochs,
/// <c>lr = base_lr * gamma^floor(epoch / step_size)</c> (the closed form).
/// </summary>
public sealed class StepLR : LearningRateScheduler
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="stepSize">Epochs between decays, at least 1.</param>
    /// <param name="gamma">Decay factor (default 0.1).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stepSize"/> is less than 1, or <paramref name="gamma"/> is negative or not finite.</exception>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1)
        : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepSize);
        if (!(gamma >= 0) || double.IsInfinity(gamma))
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be a finite number, at least 0.");
        }

        StepSize = stepSize;
        Gamma = gamma;
        Initialise();
    }

    /// <summary>Epochs between decays.</summary>
    public int StepSize { get; }

    /// <summary>Decay factor.</summary>
    public double Gamma { get; }

    /// <inheritdoc />
    public override double LearningRateAt(int epoch, int group)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        return BaseLearningRates[group] * Math.Pow(Gamma, epoch / StepSize);
    }
}
