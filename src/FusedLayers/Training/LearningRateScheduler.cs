using System;

namespace FusedLayers.Training;

/// <summary>
/// Base of the learning-rate schedules, modelled on <c>torch.optim.lr_scheduler.LRScheduler</c>: the
/// constructor records the optimizer's learning rate as the base rate and sets epoch 0 (its rate is the
/// schedule's value at 0); each <see cref="Step"/> advances one epoch and writes the schedule's closed-form
/// value into <see cref="Optimizer.LearningRate"/>. Call it after <see cref="Optimizer.Step"/>, as in PyTorch.
/// </summary>
public abstract class LearningRateScheduler
{
    /// <summary>Attaches the schedule to <paramref name="optimizer"/>.</summary>
    /// <param name="optimizer">The optimizer whose learning rate is scheduled.</param>
    protected LearningRateScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        BaseLearningRate = optimizer.LearningRate;
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
    public void Step()
    {
        LastEpoch++;
        Optimizer.LearningRate = LearningRateAt(LastEpoch);
    }

    /// <summary>The schedule's closed form: the learning rate at <paramref name="epoch"/>.</summary>
    /// <param name="epoch">Epoch, 0 or more.</param>
    /// <returns>The learning rate.</returns>
    public abstract double LearningRateAt(int epoch);

    /// <summary>Sets the optimizer's rate to the schedule's value at epoch 0; derived constructors call it last.</summary>
    protected void Initialise() => Optimizer.LearningRate = LearningRateAt(0);
}
