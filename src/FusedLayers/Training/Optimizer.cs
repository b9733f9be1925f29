using System;
using System.Collections.Generic;
using System.Globalization;

namespace FusedLayers.Training;

/// <summary>
/// Base of the optimizers, modelled on <c>torch.optim.Optimizer</c>: the parameters, in one group or in
/// several <see cref="ParameterGroup"/>s each with its own learning rate (and optional hyperparameter
/// overrides), the learning rates a scheduler may change between steps, <see cref="Step"/> and
/// <see cref="ZeroGrad"/>. State (momentum, moments) is allocated once, at construction; a step
/// allocates nothing.
/// </summary>
public abstract partial class Optimizer
{
    private readonly Parameter[] parameters;
    private readonly ParameterGroup[] groups;
    private readonly int[] groupOf;
    private readonly double[] learningRates;
    private readonly double?[] initialLearningRates;

    /// <summary>Checks the parameter list and the learning rate (one parameter group).</summary>
    /// <param name="parameters">The parameters to update (for example <c>model.Parameters</c>); not empty, no duplicates.</param>
    /// <param name="learningRate">Learning rate, at least 0.</param>
    /// <exception cref="ArgumentException">Empty list, a null or repeated parameter, or a negative or non-finite learning rate.</exception>
    [System.Runtime.CompilerServices.OverloadResolutionPriority(1)]
    protected Optimizer(IReadOnlyList<Parameter> parameters, double learningRate)
        : this([new ParameterGroup(parameters ?? throw new ArgumentNullException(nameof(parameters)))], learningRate)
    {
    }

    /// <summary>Checks the parameter groups and the default learning rate (PyTorch's list of param-group dicts).</summary>
    /// <param name="groups">The groups, at least one; together not empty, no parameter twice.</param>
    /// <param name="learningRate">Learning rate of the groups that do not set their own, at least 0.</param>
    /// <exception cref="ArgumentException">No group or no parameter at all, a null or repeated parameter, or a negative or non-finite learning rate.</exception>
    protected Optimizer(IReadOnlyList<ParameterGroup> groups, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (groups.Count == 0)
        {
            throw new ArgumentException("optimizer got an empty parameter list.", nameof(groups));
        }

        RequireRate(learningRate, nameof(learningRate));
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        var all = new List<Parameter>();
        var owners = new List<int>();
        this.groups = new ParameterGroup[groups.Count];
        learningRates = new double[groups.Count];
        initialLearningRates = new double?[groups.Count];
        for (int g = 0; g < groups.Count; g++)
        {
            ParameterGroup group = groups[g] ?? throw new ArgumentException($"Parameter group {g} is null.", nameof(groups));
            this.groups[g] = group;
            double rate = group.Lr ?? learningRate;
            RequireRate(rate, nameof(groups));
            learningRates[g] = rate;
            foreach (Parameter p in group.Parameters)
            {
                if (p is null)
                {
                    throw new ArgumentException($"Parameter {all.Count} is null.", groups.Count == 1 ? "parameters" : nameof(groups));
                }

                if (!seen.Add(p))
                {
                    throw new ArgumentException(
                        groups.Count == 1
                            ? $"Parameter '{p.Name}' appears more than once in the parameter list."
                            : $"Parameter '{p.Name}' appears more than once in the parameter groups (some parameters appear in more than one parameter group).",
                        groups.Count == 1 ? "parameters" : nameof(groups));
                }

                all.Add(p);
                owners.Add(g);
            }
        }

        if (all.Count == 0)
        {
            throw new ArgumentException("optimizer got an empty parameter list.", groups.Count == 1 ? "parameters" : nameof(groups));
        }

        parameters = [.. all];
        groupOf = [.. owners];
    }

    /// <summary>The parameters, in the order given (group by group).</summary>
    public IReadOnlyList<Parameter> Parameters => parameters;

    /// <summary>The parameter groups as given (one group holding every parameter for the single-list constructors).</summary>
    public IReadOnlyList<ParameterGroup> ParamGroups => groups;

    /// <summary>
    /// The learning rate of the next <see cref="Step"/> for group 0 (PyTorch's <c>param_groups[0]['lr']</c>);
    /// a <see cref="LearningRateScheduler"/> sets it. Setting it with one group sets that group's rate; with
    /// several, every group's rate is scaled by the same factor (new / old rate of group 0; all set to the value
    /// when group 0's rate was 0). Per group: <see cref="GetLearningRate"/> / <see cref="SetLearningRate"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative or not finite.</exception>
    public double LearningRate
    {
        get => learningRates[0];
        set
        {
            RequireRate(value, nameof(value));
            double old = learningRates[0];
            for (int g = 0; g < learningRates.Length; g++)
            {
                learningRates[g] = g == 0 || old == 0 ? value : learningRates[g] * (value / old);
            }
        }
    }

    /// <summary>The learning rate of group <paramref name="group"/> (PyTorch's <c>param_groups[group]['lr']</c>).</summary>
    /// <param name="group">Index in <see cref="ParamGroups"/>.</param>
    /// <returns>The rate of the next step.</returns>
    public double GetLearningRate(int group) => learningRates[group];

    /// <summary>Sets the learning rate of group <paramref name="group"/> only.</summary>
    /// <param name="group">Index in <see cref="ParamGroups"/>.</param>
    /// <param name="value">The rate, at least 0 and finite.</param>
    /// <exception cref="ArgumentOutOfRangeException">Negative or not finite.</exception>
    public void SetLearningRate(int group, double value)
    {
        RequireRate(value, nameof(value));
        learningRates[group] = value;
    }

    /// <summary>
    /// PyTorch's <c>param_groups[g]['initial_lr']</c>, one per group: the learning rate when the first
    /// <see cref="LearningRateScheduler"/> was attached (its <c>setdefault</c>), null before; every schedule on
    /// this optimizer takes it as its base rate, so that schedules chained by <see cref="SequentialLR"/> share one.
    /// </summary>
    internal double?[] InitialLearningRates => initialLearningRates;

    /// <summary>Number of <see cref="Step"/> calls so far (Adam's bias correction uses it).</summary>
    public long StepCount { get; private set; }

    /// <summary>
    /// Applies one update to every parameter from its accumulated gradient. A frozen parameter
    /// (<see cref="Parameter.RequiresGrad"/> = false) is skipped: no weight decay, no momentum, no change, as PyTorch
    /// skips a parameter without a gradient. (The step count is shared by all parameters, so a parameter unfrozen in
    /// the middle of training continues with that count where PyTorch would keep one per parameter.)
    /// </summary>
    public void Step()
    {
        StepCount++;
        for (int i = 0; i < parameters.Length; i++)
        {
            if (parameters[i].RequiresGrad)
            {
                Update(i, parameters[i]);
            }
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

    /// <summary>The index of the group parameter number <paramref name="index"/> belongs to.</summary>
    /// <param name="index">Index in <see cref="Parameters"/>.</param>
    /// <returns>Index in <see cref="ParamGroups"/>.</returns>
    protected int GroupOf(int index) => groupOf[index];

    /// <summary>The learning rate of the group of parameter <paramref name="index"/>.</summary>
    /// <param name="index">Index in <see cref="Parameters"/>.</param>
    /// <returns>The rate.</returns>
    protected double LearningRateOf(int index) => learningRates[groupOf[index]];

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

    private static void RequireRate(double value, string argument)
    {
        if (!(value >= 0.0) || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(
                argument, value, string.Create(CultureInfo.InvariantCulture, $"Invalid learning rate: {value}"));
        }
    }
}
