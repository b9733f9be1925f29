using System;
using System.Collections.Generic;

namespace FusedLayers.Training;

/// <summary>
/// One parameter group of an optimizer, PyTorch's param-group dict
/// (<c>{"params": [...], "lr": ..., "weight_decay": ...}</c>): its parameters and optional overrides of the
/// optimizer's defaults. A null override takes the optimizer's constructor argument, as PyTorch's defaults do.
/// </summary>
/// <example>
/// <code>
/// var adamW = new AdamW(ParameterGroup.SplitWeightDecay(model.Parameters, weightDecay: 0.05), lr: 1e-3);
/// var sgd = new Sgd([new ParameterGroup(backbone, lr: 0.01), new ParameterGroup(head)], lr: 0.1, momentum: 0.9);
/// </code>
/// </example>
public sealed class ParameterGroup
{
    private readonly Parameter[] parameters;

    /// <summary>Creates a group.</summary>
    /// <param name="parameters">The group's parameters (copied; the optimizer checks them).</param>
    /// <param name="lr">PyTorch's <c>lr</c> for this group, or null for the optimizer's.</param>
    /// <param name="weightDecay">PyTorch's <c>weight_decay</c> for this group, or null for the optimizer's.</param>
    /// <param name="momentum">PyTorch's <c>momentum</c> for this group (SGD only), or null for the optimizer's.</param>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> is null.</exception>
    public ParameterGroup(IEnumerable<Parameter> parameters, double? lr = null, double? weightDecay = null, double? momentum = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        this.parameters = [.. parameters];
        Lr = lr;
        WeightDecay = weightDecay;
        Momentum = momentum;
    }

    /// <summary>The group's parameters.</summary>
    public IReadOnlyList<Parameter> Parameters => parameters;

    /// <summary>The group's initial learning rate, or null for the optimizer's <c>lr</c> argument.</summary>
    public double? Lr { get; }

    /// <summary>The group's weight decay, or null for the optimizer's.</summary>
    public double? WeightDecay { get; }

    /// <summary>The group's momentum (SGD), or null for the optimizer's.</summary>
    public double? Momentum { get; }

    /// <summary>
    /// Splits parameters into two groups, the usual recipe for weight decay: group 0 decays with
    /// <paramref name="weightDecay"/>, group 1 has weight decay 0. By default a parameter goes to the no-decay
    /// group when it has at most one dimension: every bias and the weights and biases of BatchNorm, LayerNorm,
    /// GroupNorm and InstanceNorm; convolution and linear weights decay. Pass <paramref name="noDecay"/> to
    /// decide by name instead (for example <c>p =&gt; p.Name.EndsWith(".bias", StringComparison.Ordinal)</c>).
    /// Order within each group is the order given. Either group may be empty.
    /// </summary>
    /// <param name="parameters">The parameters, for example <c>model.Parameters</c>.</param>
    /// <param name="weightDecay">Weight decay of the decaying group.</param>
    /// <param name="noDecay">True for a parameter that must not decay; default: one dimension or fewer.</param>
    /// <returns>[decay group, no-decay group].</returns>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> or one of them is null.</exception>
    public static ParameterGroup[] SplitWeightDecay(IEnumerable<Parameter> parameters, double weightDecay, Func<Parameter, bool>? noDecay = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        noDecay ??= static p => p.Shape.Length <= 1;
        var decay = new List<Parameter>();
        var none = new List<Parameter>();
        foreach (Parameter p in parameters)
        {
            ArgumentNullException.ThrowIfNull(p, nameof(parameters));
            (noDecay(p) ? none : decay).Add(p);
        }

        return [new ParameterGroup(decay, weightDecay: weightDecay), new ParameterGroup(none, weightDecay: 0.0)];
    }
}
