using System;
using System.Collections.Generic;
using System.Globalization;

namespace FusedLayers.Training;

/// <summary>
/// PyTorch's <c>SequentialLR</c>: runs <c>schedulers[0]</c> until <c>milestones[0]</c>, then
/// <c>schedulers[1]</c> from its epoch 0, and so on (for example a <see cref="LinearLR"/> warm-up followed by
/// a <see cref="CosineAnnealingLR"/>).
/// </summary>
/// <remarks>
/// <para>As in PyTorch, every sub-schedule must drive the same optimizer and takes the optimizer's initial
/// rate as its base (see <see cref="LearningRateScheduler"/>); the constructor resets the rate to it, moves
/// every sub-schedule's epoch back by one (undoing the step their constructors took) and steps the first one.
/// Each <see cref="LearningRateScheduler.Step"/> then steps the sub-schedule in force; on a milestone the next
/// sub-schedule is started at its epoch 0 in its closed form (PyTorch's <c>step(0)</c>). Stepping a
/// sub-schedule directly as well is a mistake, as in PyTorch.</para>
/// <para>Unlike PyTorch, the milestones must be strictly increasing and at least 1.</para>
/// </remarks>
public sealed class SequentialLR : LearningRateScheduler
{
    private readonly LearningRateScheduler[] schedulers;
    private readonly int[] milestones;

    /// <summary>Creates the schedule.</summary>
    /// <param name="optimizer">The optimizer, the one every sub-schedule drives.</param>
    /// <param name="schedulers">The sub-schedules, at least one, in order.</param>
    /// <param name="milestones">The epochs at which the next sub-schedule takes over, one fewer than <paramref name="schedulers"/>, strictly increasing, each at least 1.</param>
    /// <exception cref="ArgumentNullException">An argument or a sub-schedule is null.</exception>
    /// <exception cref="ArgumentException">No sub-schedule, one bound to another optimizer, listed twice, or the wrong number of milestones or milestones not increasing from 1.</exception>
    public SequentialLR(Optimizer optimizer, IEnumerable<LearningRateScheduler> schedulers, IEnumerable<int> milestones)
        : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        ArgumentNullException.ThrowIfNull(milestones);
        LearningRateScheduler[] subs = [.. schedulers];
        int[] points = [.. milestones];
        if (subs.Length == 0)
        {
            throw new ArgumentException("SequentialLR expects at least one scheduler.", nameof(schedulers));
        }

        for (int i = 0; i < subs.Length; i++)
        {
            if (subs[i] is null)
            {
                throw new ArgumentNullException(nameof(schedulers), $"Scheduler {i} is null.");
            }

            if (!ReferenceEquals(subs[i].Optimizer, optimizer))
            {
                throw new ArgumentException(
                    $"SequentialLR expects all schedulers to belong to the same optimizer, but scheduler {i} has a different optimizer.", nameof(schedulers));
            }

            if (Array.IndexOf(subs, subs[i]) != i)
            {
                throw new ArgumentException($"Scheduler {i} is listed twice.", nameof(schedulers));
            }
        }

        if (points.Length != subs.Length - 1)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers {subs.Length} and the number of milestones to be equal to {points.Length}."),
                nameof(milestones));
        }

        for (int i = 0; i < points.Length; i++)
        {
            if (points[i] < 1 || (i > 0 && points[i] <= points[i - 1]))
            {
                throw new ArgumentException("The milestones must be strictly increasing, each at least 1.", nameof(milestones));
            }
        }

        this.schedulers = subs;
        this.milestones = points;

        // PyTorch: reset to the initial rate, undo the sub-schedules' initial steps, step the first one.
        for (int g = 0; g < BaseLearningRates.Count; g++)
        {
            optimizer.SetLearningRate(g, BaseLearningRates[g]);
        }

        foreach (LearningRateScheduler scheduler in subs)
        {
            scheduler.Rewind();
        }

        subs[0].Step();
    }

    /// <summary>The sub-schedules, in order.</summary>
    public IReadOnlyList<LearningRateScheduler> Schedulers => schedulers;

    /// <summary>The milestones.</summary>
    public IReadOnlyList<int> Milestones => milestones;

    /// <inheritdoc />
    public override double LearningRateAt(int epoch, int group)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        int index = Phase(epoch);
        return schedulers[index].LearningRateAt(index == 0 ? epoch : epoch - milestones[index - 1], group);
    }

    /// <inheritdoc />
    private protected override double[] NextLearningRates(int epoch)
    {
        int index = Phase(epoch);
        LearningRateScheduler scheduler = schedulers[index];
        if (index > 0 && milestones[index - 1] == epoch)
        {
            scheduler.StepTo(0);
        }
        else
        {
            scheduler.Step();
        }

        var rates = new double[BaseLearningRates.Count];
        for (int g = 0; g < rates.Length; g++)
        {
            rates[g] = Optimizer.GetLearningRate(g);
        }

        return rates;
    }

    /// <summary>PyTorch's <c>bisect_right(milestones, epoch)</c>: the index of the sub-schedule in force.</summary>
    private int Phase(int epoch)
    {
        int index = 0;
        while (index < milestones.Length && milestones[index] <= epoch)
        {
            index++;
        }

        return index;
    }
}
