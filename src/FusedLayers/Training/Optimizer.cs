using System;
using System.Collections.Generic;
using System.Globalization;

namespace FusedLayers.Training;

/// <summary>
/// Base of the optimizers, modelled on <c>torch.optim.Optimizer</c> with one parameter group: the
/// parameters, the learning rate a scheduler may change between steps, <see cref="Step"/> and
/// <see cref="ZeroGrad"/>. State (momentum, moments) is allocated once, at construction; a step
/// allocates nothing.
/// </summary>
public abstract partial class Optimizer
{
    private readonly Parameter[] parameters;
    private double learningRate;

    /// <summary>Checks the parameter list and the learning rate.</summary>
    /// <param name="parameters">The parameters to update (for example <c>model.Parameters</c>); not empty, no duplicates.</param>
    /// <param name="learningRate">Learning rate, at least 0.</param>
    /// <exception cref="ArgumentException">Empty list, a null or repeated parameter, or a negative or non-finite learning rate.</exception>
    protected Optimizer(IReadOnlyList<Parameter> parameters, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Count == 0)
        {
            throw new ArgumentException("optimizer got an empty parameter list.", nameof(parameters));
        }

        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        this.parameters = new Parameter[parameters.Count];
        for (int i = 0; i < parameters.Count; i++)
        {
            Parameter p = parameters[i] ?? throw new ArgumentException($"Parameter {i} is null.", nameof(parameters));
            if (!seen.Add(p))
            {
                throw new ArgumentException($"Parameter '{p.Name}' appears more than once in the parameter list.", nameof(parameters));
            }

            this.parameters[i] = p;
        }

        LearningRate = learningRate;
    }

    /// <summary>The parameters, in the order given.</summary>
    public IReadOnlyList<Parameter> Parameters => parameters;

    /// <summary>
    /// The learning rate of the next <see cref="Step"/> (PyTorch's <c>param_groups[0]['lr']</c>); a
    /// <see cref="LearningRateScheduler"/> sets it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative or not finite.</exception>
    public double LearningRate
    {
        get => learningRate;
        set
        {
            if (!(value >= 0.0) || double.IsInfinity(value))
            {
                throw new ArgumentOutOfRangeException(
                    nameof(value), value, string.Create(CultureInfo.InvariantCulture, $"Invalid learning rate: {value}"));
            }

            learningRate = value;
        }
    }

    /// <summary>
    /// PyTorch's <c>param_groups[0]['initial_lr']</c>: the learning rate when the first
    /// <see cref="LearningRateScheduler"/> was attached (its <c>setdefault</c>), null before; every schedule on
    /// this optimizer takes it as its base rate, so that schedules chained by <see cref="SequentialLR"/> share one.
    /// </summary>
    internal double? InitialLearningRate { get; set; }

    /// <summary>Number of <see cref="Step"/> calls so far (Adam's bias correction uses it).</summary>
    public long StepCount { get; private set; }

    /// <summary>Applies one update to every parameter from its accumulated gradient.</summary>
    public void Step()
    {
        StepCount++;
        for (int i = 0; i < parameters.Length; i++)
        {
            Update(i, parameters[i]);
        }
    }

    /// <summary>Sets every parameter's gradient to zero (PyTorch's <c>zero_grad</c>; the arrays are cleared, not dropped).</summary>
    public void ZeroGrad()
    {
        foreach (Parameter p in parameters)
        {
            p.ZeroGrad();
        }
    }

    /// <summary>Updates parameter number <paramref name="index"/> during step <see cref="StepCount"/>.</summary>
    /// <param name="index">Index in <see cref="Parameters"/> (for per-parameter state).</param>
    /// <param name="parameter">The parameter.</param>
    protected abstract void Update(int index, Parameter parameter);

    /// <summary>Throws unless <paramref name="value"/> is at least 0 and finite, with PyTorch's message.</summary>
    /// <param name="value">The value.</param>
    /// <param name="what">PyTorch's name for it, for example <c>momentum value</c>.</param>
    /// <param name="argument">Argument name.</param>
    /// <exception cref="ArgumentOutOfRangeException">Negative or not finite.</exception>
    protected static void RequireNonNegative(double value, string what, string argument)
    {
        if (!(value >= 0.0) || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(argument, value, string.Create(CultureInfo.InvariantCulture, $"Invalid {what}: {value}"));
        }
    }
}
