using System;

namespace FusedLayers.Training;

/// <summary>
/// PyTorch's <c>LinearLR</c> (a warm-up, or a linear decay): the learning rate's factor moves linearly from
/// <c>start_factor</c> at epoch 0 to <c>end_factor</c> at <c>total_iters</c> and stays there. Closed form:
/// <c>lr = base_lr * (start + (end - start) * min(total_iters, epoch) / total_iters)</c>;
/// <see cref="LearningRateScheduler.Step"/> uses PyTorch's chainable form, the optimizer's current rate times
/// <c>1 + (end - start) / (total_iters * start + (epoch - 1) * (end - start))</c> up to <c>total_iters</c>,
/// unchanged after it.
/// </summary>
public sealed class LinearLR : LearningRateScheduler
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="startFactor">PyTorch's <c>start_factor</c>, in (0, 1] (default 1/3).</param>
    /// <param name="endFactor">PyTorch's <c>end_factor</c>, in [0, 1] (default 1).</param>
    /// <param name="totalIters">PyTorch's <c>total_iters</c>, epochs of the linear part, at least 1 (default 5).</param>
    /// <exception cref="ArgumentOutOfRangeException">A factor is outside its range or <paramref name="totalIters"/> is less than 1.</exception>
    public LinearLR(Optimizer optimizer, double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5)
        : base(optimizer)
    {
        if (!(startFactor > 0 && startFactor <= 1))
        {
            throw new ArgumentOutOfRangeException(
                nameof(startFactor), startFactor, "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.");
        }

        if (!(endFactor >= 0 && endFactor <= 1))
        {
            throw new ArgumentOutOfRangeException(
                nameof(endFactor), endFactor, "Ending multiplicative factor expected to be between 0 and 1.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(totalIters);
        StartFactor = startFactor;
        EndFactor = endFactor;
        TotalIters = totalIters;
        Initialise();
    }

    /// <summary>PyTorch's <c>start_factor</c>.</summary>
    public double StartFactor { get; }

    /// <summary>PyTorch's <c>end_factor</c>.</summary>
    public double EndFactor { get; }

    /// <summary>PyTorch's <c>total_iters</c>.</summary>
    public int TotalIters { get; }

    /// <inheritdoc />
    public override double LearningRateAt(int epoch, int group)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        return BaseLearningRates[group] * (StartFactor + ((EndFactor - StartFactor) * Math.Min(TotalIters, epoch) / TotalIters));
    }

    /// <inheritdoc />
    private protected override double NextLearningRate(int epoch, int group)
    {
        double lr = Optimizer.GetLearningRate(group);
        if (epoch == 0)
        {
            return lr * StartFactor;
        }

        if (epoch > TotalIters)
        {
            return lr;
        }

        double change = EndFactor - StartFactor;
        return lr * (1.0 + (change / ((TotalIters * StartFactor) + ((epoch - 1) * change))));
    }
}
