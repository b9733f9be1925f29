using System;
using System.Collections.Generic;

namespace FusedLayers.Training;

/// <summary>
/// PyTorch's <c>MultiStepLR</c>: the learning rate is multiplied by <c>gamma</c> each time the epoch reaches
/// one of the milestones. Closed form: <c>lr = base_lr * gamma^(number of milestones &lt;= epoch)</c>;
/// <see cref="LearningRateScheduler.Step"/> uses PyTorch's chainable form, the optimizer's current rate times
/// <c>gamma^(times epoch is listed)</c> on a milestone and unchanged otherwise. A milestone listed twice
/// counts twice, as PyTorch's <c>Counter</c> does.
/// </summary>
public sealed class MultiStepLR : LearningRateScheduler
{
    private readonly int[] milestones;

    /// <summary>Creates the schedule.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="milestones">Epochs at which the rate decays, each at least 0 (copied and sorted).</param>
    /// <param name="gamma">Decay factor (default 0.1).</param>
    /// <exception cref="ArgumentNullException"><paramref name="milestones"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A milestone is negative, or <paramref name="gamma"/> is negative or not finite.</exception>
    public MultiStepLR(Optimizer optimizer, IEnumerable<int> milestones, double gamma = 0.1)
        : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(milestones);
        int[] sorted = [.. milestones];
        foreach (int milestone in sorted)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(milestone, nameof(milestones));
        }

        if (!(gamma >= 0) || double.IsInfinity(gamma))
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be a finite number, at least 0.");
        }

        Array.Sort(sorted);
        this.milestones = sorted;
        Gamma = gamma;
        Initialise();
    }

    /// <summary>The milestones, sorted (duplicates kept).</summary>
    public IReadOnlyList<int> Milestones => milestones;

    /// <summary>Decay factor.</summary>
    public double Gamma { get; }

    /// <inheritdoc />
    public override double LearningRateAt(int epoch, int group)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        int passed = 0;
        while (passed < milestones.Length && milestones[passed] <= epoch)
        {
            passed++;
        }

        return BaseLearningRates[group] * Math.Pow(Gamma, passed);
    }

    /// <inheritdoc />
    private protected override double NextLearningRate(int epoch, int group)
    {
        int hits = 0;
        foreach (int milestone in milestones)
        {
            hits += milestone == epoch ? 1 : 0;
        }

        return hits == 0 ? Optimizer.GetLearningRate(group) : Optimizer.GetLearningRate(group) * Math.Pow(Gamma, hits);
    }
}
