using System;

namespace FusedLayers.Training;

/// <summary>
/// Base of the learning-rate schedules, modelled on <c>torch.optim.lr_scheduler.LRScheduler</c>: the
/// constructor records the optimizer's learning rate as the base rate and sets epoch 0 (its rate is the
/// schedule's value at 0); each <see cref="Step"/> advances one epoch and writes the schedule's value into
/// <see cref="Optimizer.LearningRate"/>: the closed form <see cref="LearningRateAt"/>, or, for the schedules
/// PyTorch steps in its chainable form (<see cref="MultiStepLR"/>, <see cref="ExponentialLR"/>,
/// <see cref="LinearLR"/>), the optimizer's current rate times the epoch's factor, as PyTorch does.
/// Call it after <see cref="Optimizer.Step"/>, as in PyTorch.
/// </summary>
/// <remarks>
/// As PyTorch's <c>initial_lr</c>, the base rate is the optimizer's rate when its first schedule was
/// attached; a later schedule on the same optimizer (for <see cref="SequentialLR"/>) starts from that rate too.
/// </remarks>
public abstract class LearningRateScheduler
{
    /// <summary>Attaches the schedule to <paramref name="optimizer"/>.</summary>
    /// <param name="optimizer">The optimizer whose learning rate is scheduled.</param>
    protected LearningRateScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        optimizer.InitialLearningRate ??= optimizer.LearningRate;
        BaseLearningRate = optimizer.InitialLearningRate.Value;
    }

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The learning rate at epoch 0 (PyTorch's <c>base_lrs[0]</c>).</summary>
    public double BaseLearningRate { get; }

    /// <summary>The current epoch (PyTorch's <c>last_epoch</c>): 0 after construction, +1 per <see cref="Step"/>.</summary>
    public int LastEpoch { get; private set; }

    /// <summary>The learning rate in force (PyTorch's <c>get_last_lr()[0]</c>).</summary>
    public double LearningRate => Optimizer.LearningRate;

    /// <summary>Advances one epoch and sets the optimizer's learning rate.</summary>
    /// <exception cref="InvalidOperationException">The schedule has ended (<see cref="OneCycleLR"/> past <c>total_steps</c>); nothing is changed.</exception>
    public void Step()
    {
        double next = NextLearningRate(LastEpoch + 1);
        Optimizer.LearningRate = next;
        LastEpoch++;
    }

    /// <summary>The schedule's closed form: the learning rate at <paramref name="epoch"/>.</summary>
    /// <param name="epoch">Epoch, 0 or more.</param>
    /// <returns>The learning rate.</returns>
    public abstract double LearningRateAt(int epoch);

    /// <summary>Sets the optimizer's rate to the schedule's value at epoch 0; derived constructors call it last.</summary>
    protected void Initialise() => Optimizer.LearningRate = LearningRateAt(0);

    /// <summary>
    /// The rate <see cref="Step"/> sets for <paramref name="epoch"/> (<see cref="LastEpoch"/> + 1): the closed
    /// form unless a schedule steps in PyTorch's chainable form (PyTorch's <c>get_lr</c>).
    /// </summary>
    /// <param name="epoch">The epoch being entered.</param>
    /// <returns>The learning rate.</returns>
    private protected virtual double NextLearningRate(int epoch) => LearningRateAt(epoch);

    /// <summary>PyTorch's <c>step(epoch)</c>: jumps to <paramref name="epoch"/> and sets the closed-form rate.</summary>
    /// <param name="epoch">Epoch, 0 or more.</param>
    internal void StepTo(int epoch)
    {
        Optimizer.LearningRate = LearningRateAt(epoch);
        LastEpoch = epoch;
    }

    /// <summary>Moves the epoch counter back by one without touching the rate (<see cref="SequentialLR"/>'s "undo").</summary>
    internal void Rewind() => LastEpoch--;
}
