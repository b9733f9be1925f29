using System;
using System.Collections.Generic;

namespace FusedLayers.Training;

/// <summary>
/// Base of the learning-rate schedules, modelled on <c>torch.optim.lr_scheduler.LRScheduler</c>: the
/// constructor records the optimizer's learning rate as the base rate and sets epoch 0 (its rate is the
/// schedule's value at 0); each <see cref="Step"/> advances one epoch and writes the schedule's value into
/// <see cref="Optimizer.LearningRate"/>: the closed form <see cref="LearningRateAt(int)"/>, or, for the schedules
/// PyTorch steps in its chainable form (<see cref="MultiStepLR"/>, <see cref="ExponentialLR"/>,
/// <see cref="LinearLR"/>), the optimizer's current rate times the epoch's factor, as PyTorch does.
/// Call it after <see cref="Optimizer.Step"/>, as in PyTorch. With several parameter groups every group is
/// scheduled from its own base rate (its <c>initial_lr</c>), as PyTorch does.
/// </summary>
/// <remarks>
/// As PyTorch's <c>initial_lr</c>, the base rate is the optimizer's rate when its first schedule was
/// attached; a later schedule on the same optimizer (for <see cref="SequentialLR"/>) starts from that rate too.
/// </remarks>
public abstract class LearningRateScheduler
{
    private readonly double[] baseLearningRates;

    /// <summary>Attaches the schedule to <paramref name="optimizer"/>.</summary>
    /// <param name="optimizer">The optimizer whose learning rate is scheduled.</param>
    protected LearningRateScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        double?[] initial = optimizer.InitialLearningRates;
        baseLearningRates = new double[initial.Length];
        for (int g = 0; g < initial.Length; g++)
        {
            initial[g] ??= optimizer.GetLearningRate(g);
            baseLearningRates[g] = initial[g]!.Value;
        }
    }

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The learning rate at epoch 0 of group 0 (PyTorch's <c>base_lrs[0]</c>).</summary>
    public double BaseLearningRate => baseLearningRates[0];

    /// <summary>Every parameter group's base rate (PyTorch's <c>base_lrs</c>, each group's <c>initial_lr</c>).</summary>
    public IReadOnlyList<double> BaseLearningRates => baseLearningRates;

    /// <summary>The current epoch (PyTorch's <c>last_epoch</c>): 0 after construction, +1 per <see cref="Step"/>.</summary>
    public int LastEpoch { get; private set; }

    /// <summary>The learning rate in force for group 0 (PyTorch's <c>get_last_lr()[0]</c>).</summary>
    public double LearningRate => Optimizer.LearningRate;

    /// <summary>Advances one epoch and sets the optimizer's learning rates, every group from its own base rate.</summary>
    /// <exception cref="InvalidOperationException">The schedule has ended (<see cref="OneCycleLR"/> past <c>total_steps</c>); nothing is changed.</exception>
    public void Step()
    {
        double[] next = NextLearningRates(LastEpoch + 1);
        Apply(next);
        LastEpoch++;
    }

    /// <summary>The schedule's closed form for group 0: the learning rate at <paramref name="epoch"/>.</summary>
    /// <param name="epoch">Epoch, 0 or more.</param>
    /// <returns>The learning rate.</returns>
    public double LearningRateAt(int epoch) => LearningRateAt(epoch, 0);

    /// <summary>The schedule's closed form for parameter group <paramref name="group"/>: its rate at <paramref name="epoch"/>, from its base rate.</summary>
    /// <param name="epoch">Epoch, 0 or more.</param>
    /// <param name="group">Index in the optimizer's <see cref="Optimizer.ParamGroups"/>.</param>
    /// <returns>The learning rate.</returns>
    public abstract double LearningRateAt(int epoch, int group);

    /// <summary>Sets the optimizer's rates to the schedule's values at epoch 0; derived constructors call it last.</summary>
    protected void Initialise() => Apply(ClosedForm(0));

    /// <summary>
    /// The rates <see cref="Step"/> sets for <paramref name="epoch"/> (<see cref="LastEpoch"/> + 1), one per group.
    /// </summary>
    /// <param name="epoch">The epoch being entered.</param>
    /// <returns>The learning rates.</returns>
    private protected virtual double[] NextLearningRates(int epoch)
    {
        var rates = new double[baseLearningRates.Length];
        for (int g = 0; g < rates.Length; g++)
        {
            rates[g] = NextLearningRate(epoch, g);
        }

        return rates;
    }

    /// <summary>
    /// The rate <see cref="Step"/> sets for <paramref name="group"/> at <paramref name="epoch"/>: the closed
    /// form unless a schedule steps in PyTorch's chainable form (PyTorch's <c>get_lr</c>).
    /// </summary>
    /// <param name="epoch">The epoch being entered.</param>
    /// <param name="group">The parameter group.</param>
    /// <returns>The learning rate.</returns>
    private protected virtual double NextLearningRate(int epoch, int group) => LearningRateAt(epoch, group);

    /// <summary>PyTorch's <c>step(epoch)</c>: jumps to <paramref name="epoch"/> and sets the closed-form rates.</summary>
    /// <param name="epoch">Epoch, 0 or more.</param>
    internal void StepTo(int epoch)
    {
        Apply(ClosedForm(epoch));
        LastEpoch = epoch;
    }

    /// <summary>Moves the epoch counter back by one without touching the rate (<see cref="SequentialLR"/>'s "undo").</summary>
    internal void Rewind() => LastEpoch--;

    private double[] ClosedForm(int epoch)
    {
        var rates = new double[baseLearningRates.Length];
        for (int g = 0; g < rates.Length; g++)
        {
            rates[g] = LearningRateAt(epoch, g);
        }

        return rates;
    }

    private void Apply(double[] rates)
    {
        for (int g = 0; g < rates.Length; g++)
        {
            Optimizer.SetLearningRate(g, rates[g]);
        }
    }
}
