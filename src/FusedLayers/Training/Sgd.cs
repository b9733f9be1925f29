using System;
using System.Collections.Generic;

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

    /// <summary>Creates the optimizer; PyTorch's defaults.</summary>
    /// <param name="parameters">Parameters to update.</param>
    /// <param name="lr">Learning rate (PyTorch's <c>lr</c>) (PyTorch's default 1e-3).</param>
    /// <param name="momentum">Momentum factor, at least 0.</param>
    /// <param name="dampening">Dampening of the momentum.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient, at least 0.</param>
    /// <param name="nesterov">Nesterov momentum; needs momentum &gt; 0 and zero dampening.</param>
    /// <exception cref="ArgumentException">An argument PyTorch rejects.</exception>
    public Sgd(
        IReadOnlyList<Parameter> parameters,
        double lr = 1e-3,
        double momentum = 0.0,
        double dampening = 0.0,
        double weightDecay = 0.0,
        bool nesterov = false)
        : base(parameters, lr)
    {
        RequireNonNegative(momentum, "momentum value", nameof(momentum));
        RequireNonNegative(weightDecay, "weight_decay value", nameof(weightDecay));
        if (!double.IsFinite(dampening))
        {
            throw new ArgumentOutOfRangeException(nameof(dampening), dampening, "Invalid dampening value.");
        }

        if (nesterov && (momentum <= 0 || dampening != 0))
        {
            throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening.", nameof(nesterov));
        }

        Momentum = momentum;
        Dampening = dampening;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
        momentumBuffers = new float[Parameters.Count][];
        for (int i = 0; i < momentumBuffers.Length; i++)
        {
            momentumBuffers[i] = momentum != 0 ? new float[Parameters[i].Length] : [];
        }
    }

    /// <summary>Momentum factor.</summary>
    public double Momentum { get; }

    /// <summary>Dampening of the momentum.</summary>
    public double Dampening { get; }

    /// <summary>L2 penalty.</summary>
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
        Momentum != 0 ? [new("momentum_buffer", momentumBuffers[index])] : [];

    /// <inheritdoc />
    protected override IEnumerable<KeyValuePair<string, double>> Hyperparameters() =>
        [new("momentum", Momentum), new("dampening", Dampening), new("weight_decay", WeightDecay), new("nesterov", Nesterov ? 1 : 0)];

    /// <inheritdoc />
    protected override void Update(int index, Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        var step = new OptimizerKernels.SgdStep(
            (float)LearningRate,
            (float)Momentum,
            (float)(1.0 - Dampening),
            (float)WeightDecay,
            Nesterov,
            FirstStep: StepCount == 1);
        OptimizerKernels.Sgd(step, parameter.Data, parameter.Grad, momentumBuffers[index]);
    }
}
