using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;

namespace FusedLayers.Training;

/// <summary>
/// Stochastic gradient descent with PyTorch's <c>torch.optim.SGD</c> update, element by element in float32:
/// <code>
/// g = grad + weight_decay * p                     (when weight_decay != 0)
/// b = g                                           (first step: the buffer is a copy of g, no dampening)
/// b = momentum * b + (1 - dampening) * g          (later steps)
/// g = nesterov ? g + momentum * b : b             (when momentum != 0)
/// p = p - lr * g
/// </code>
/// </summary>
public sealed class Sgd : Optimizer
{
    private readonly float[][] momentumBuffers;
    private readonly double[] momentumOf;
    private readonly double[] weightDecayOf;

    /// <summary>Creates the optimizer; PyTorch's defaults.</summary>
    /// <param name="parameters">Parameters to update.</param>
    /// <param name="lr">Learning rate (PyTorch's <c>lr</c>) (PyTorch's default 1e-3).</param>
    /// <param name="momentum">Momentum factor, at least 0.</param>
    /// <param name="dampening">Dampening of the momentum.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient, at least 0.</param>
    /// <param name="nesterov">Nesterov momentum; needs momentum &gt; 0 and zero dampening.</param>
    /// <exception cref="ArgumentException">An argument PyTorch rejects.</exception>
    [OverloadResolutionPriority(1)]
    public Sgd(
        IReadOnlyList<Parameter> parameters,
        double lr = 1e-3,
        double momentum = 0.0,
        double dampening = 0.0,
        double weightDecay = 0.0,
        bool nesterov = false)
        : base(parameters, lr)
    {
        (Momentum, Dampening, WeightDecay, Nesterov) = (momentum, dampening, weightDecay, nesterov);
        (momentumOf, weightDecayOf, momentumBuffers) = Initialise();
    }

    /// <summary>
    /// Creates the optimizer from parameter groups (PyTorch's <c>SGD([{"params": ..., "lr": ...}, ...], ...)</c>): a
    /// group's <see cref="ParameterGroup.Lr"/>, <see cref="ParameterGroup.WeightDecay"/> and
    /// <see cref="ParameterGroup.Momentum"/> override the arguments here, which are the defaults.
    /// </summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="lr">Default learning rate.</param>
    /// <param name="momentum">Default momentum factor, at least 0.</param>
    /// <param name="dampening">Dampening of the momentum (all groups).</param>
    /// <param name="weightDecay">Default L2 penalty, at least 0.</param>
    /// <param name="nesterov">Nesterov momentum (all groups); needs every group's momentum &gt; 0 and zero dampening.</param>
    /// <exception cref="ArgumentException">An argument or a group's override PyTorch rejects.</exception>
    public Sgd(
        IReadOnlyList<ParameterGroup> groups,
        double lr = 1e-3,
        double momentum = 0.0,
        double dampening = 0.0,
        double weightDecay = 0.0,
        bool nesterov = false)
        : base(groups, lr)
    {
        (Momentum, Dampening, WeightDecay, Nesterov) = (momentum, dampening, weightDecay, nesterov);
        (momentumOf, weightDecayOf, momentumBuffers) = Initialise();
    }

    /// <summary>Momentum factor (the default of the groups that do not set their own).</summary>
    public double Momentum { get; }

    /// <summary>Dampening of the momentum.</summary>
    public double Dampening { get; }

    /// <summary>L2 penalty (the default of the groups that do not set their own).</summary>
    public double WeightDecay { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    /// <summary>
    /// The momentum buffer of parameter <paramref name="index"/>, PyTorch's <c>state[p]['momentum_buffer']</c>:
    /// empty without momentum, zeros before the first step (where PyTorch has none yet).
    /// </summary>
    /// <param name="index">Index in <see cref="Optimizer.Parameters"/>.</param>
    public ReadOnlySpan<float> MomentumBuffer(int index) => momentumBuffers[index];

    /// <inheritdoc />
    protected override IEnumerable<KeyValuePair<string, float[]>> StateBuffers(int index) =>
        momentumOf[index] != 0 ? [new("momentum_buffer", momentumBuffers[index])] : [];

    /// <inheritdoc />
    protected override IEnumerable<KeyValuePair<string, double>> Hyperparameters(int group) =>
    [
        new("momentum", ParamGroups[group].Momentum ?? Momentum),
        new("dampening", Dampening),
        new("weight_decay", ParamGroups[group].WeightDecay ?? WeightDecay),
        new("nesterov", Nesterov ? 1 : 0),
    ];

    /// <inheritdoc />
    protected override void Update(int index, Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        var step = new OptimizerKernels.SgdStep(
            (float)LearningRateOf(index),
            (float)momentumOf[index],
            (float)(1.0 - Dampening),
            (float)weightDecayOf[index],
            Nesterov,
            FirstStep: StepCount == 1);
        OptimizerKernels.Sgd(step, parameter.Data, parameter.Grad, momentumBuffers[index]);
    }

    private (double[] Momentum, double[] WeightDecay, float[][] Buffers) Initialise()
    {
        var groupMomentum = new double[ParamGroups.Count];
        var groupDecay = new double[ParamGroups.Count];
        for (int g = 0; g < ParamGroups.Count; g++)
        {
            groupMomentum[g] = ParamGroups[g].Momentum ?? Momentum;
            groupDecay[g] = ParamGroups[g].WeightDecay ?? WeightDecay;
            string where = ParamGroups[g].Momentum is null ? "momentum" : "groups";
            RequireNonNegative(groupMomentum[g], "momentum value", where);
            RequireNonNegative(groupDecay[g], "weight_decay value", ParamGroups[g].WeightDecay is null ? "weightDecay" : "groups");
        }

        if (!double.IsFinite(Dampening))
        {
            throw new ArgumentOutOfRangeException("dampening", Dampening, "Invalid dampening value.");
        }

        for (int g = 0; g < ParamGroups.Count; g++)
        {
            if (Nesterov && (groupMomentum[g] <= 0 || Dampening != 0))
            {
                throw new ArgumentException(
                    ParamGroups.Count == 1 ? "Nesterov momentum requires a momentum and zero dampening." : $"Nesterov momentum requires a momentum and zero dampening (parameter group {g}).",
                    "nesterov");
            }
        }

        var momentum = new double[Parameters.Count];
        var decay = new double[Parameters.Count];
        var buffers = new float[Parameters.Count][];
        for (int i = 0; i < buffers.Length; i++)
        {
            momentum[i] = groupMomentum[GroupOf(i)];
            decay[i] = groupDecay[GroupOf(i)];
            buffers[i] = momentum[i] != 0 ? new float[Parameters[i].Length] : [];
        }

        return (momentum, decay, buffers);
    }
}
