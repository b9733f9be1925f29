using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace FusedLayers.Training;

/// <summary>
/// Adam with PyTorch's <c>torch.optim.Adam</c> update (single-tensor CPU path), element by element in
/// float32, at step <c>t</c> (1, 2, ...):
/// <code>
/// g = grad + weight_decay * p                     (Adam; AdamW instead: p = p * (1 - lr * weight_decay))
/// m = lerp(m, g, 1 - beta1)                       (m + (1 - beta1) * (g - m))
/// v = beta2 * v + (1 - beta2) * g * g
/// vmax = max(vmax, v); use vmax for v            (amsgrad only)
/// denom = sqrt(v) / sqrt(1 - beta2^t) + eps
/// p = p - (lr / (1 - beta1^t)) * m / denom
/// </code>
/// The bias corrections are computed in float64 from the step count, as torch.optim does in Python; the
/// step count is the optimizer's (<see cref="Optimizer.StepCount"/>), PyTorch's per-parameter <c>step</c>
/// when every parameter takes part in every step, as here.
/// </summary>
public class Adam : Optimizer
{
    private readonly double[] weightDecayOf;
    private readonly float[][] expAvg;
    private readonly float[][] expAvgSq;
    private readonly float[][] maxExpAvgSq;

    /// <summary>Creates Adam; PyTorch's defaults.</summary>
    /// <param name="parameters">Parameters to update.</param>
    /// <param name="lr">Learning rate (PyTorch's <c>lr</c>) (default 1e-3).</param>
    /// <param name="beta1">Decay of the first moment (default 0.9), in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment (default 0.999), in [0, 1).</param>
    /// <param name="eps">Added to the denominator (default 1e-8), at least 0.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient (default 0).</param>
    /// <param name="amsgrad">Use the running maximum of the second moment (AMSGrad).</param>
    /// <exception cref="ArgumentException">An argument PyTorch rejects.</exception>
    [OverloadResolutionPriority(1)]
    public Adam(
        IReadOnlyList<Parameter> parameters,
        double lr = 1e-3,
        double beta1 = 0.9,
        double beta2 = 0.999,
        double eps = 1e-8,
        double weightDecay = 0.0,
        bool amsgrad = false)
        : this(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad, decoupledWeightDecay: false)
    {
    }

    /// <summary>
    /// Creates Adam from parameter groups (PyTorch's <c>Adam([{"params": ..., "lr": ...}, ...], ...)</c>): a group's
    /// <see cref="ParameterGroup.Lr"/> and <see cref="ParameterGroup.WeightDecay"/> override the arguments here.
    /// </summary>
    /// <param name="groups">The parameter groups (no <see cref="ParameterGroup.Momentum"/>: Adam has none).</param>
    /// <param name="lr">Default learning rate.</param>
    /// <param name="beta1">Decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment, in [0, 1).</param>
    /// <param name="eps">Added to the denominator, at least 0.</param>
    /// <param name="weightDecay">Default L2 penalty.</param>
    /// <param name="amsgrad">AMSGrad.</param>
    /// <exception cref="ArgumentException">An argument or a group's override PyTorch rejects.</exception>
    public Adam(
        IReadOnlyList<ParameterGroup> groups,
        double lr = 1e-3,
        double beta1 = 0.9,
        double beta2 = 0.999,
        double eps = 1e-8,
        double weightDecay = 0.0,
        bool amsgrad = false)
        : this(groups, lr, beta1, beta2, eps, weightDecay, amsgrad, decoupledWeightDecay: false)
    {
    }

    /// <summary>Creates Adam or, with <paramref name="decoupledWeightDecay"/>, AdamW.</summary>
    /// <param name="parameters">Parameters to update.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="beta1">Decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment, in [0, 1).</param>
    /// <param name="eps">Added to the denominator, at least 0.</param>
    /// <param name="weightDecay">Weight decay, at least 0.</param>
    /// <param name="amsgrad">AMSGrad.</param>
    /// <param name="decoupledWeightDecay">True for AdamW's decoupled weight decay.</param>
    /// <exception cref="ArgumentException">An argument PyTorch rejects.</exception>
    [OverloadResolutionPriority(1)]
    protected Adam(
        IReadOnlyList<Parameter> parameters,
        double lr,
        double beta1,
        double beta2,
        double eps,
        double weightDecay,
        bool amsgrad,
        bool decoupledWeightDecay)
        : base(parameters, lr)
    {
        (Beta1, Beta2, Eps, WeightDecay, AmsGrad, DecoupledWeightDecay) = (beta1, beta2, eps, weightDecay, amsgrad, decoupledWeightDecay);
        (weightDecayOf, expAvg, expAvgSq, maxExpAvgSq) = Initialise();
    }

    /// <summary>Creates Adam or, with <paramref name="decoupledWeightDecay"/>, AdamW, from parameter groups.</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="lr">Default learning rate.</param>
    /// <param name="beta1">Decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment, in [0, 1).</param>
    /// <param name="eps">Added to the denominator, at least 0.</param>
    /// <param name="weightDecay">Default weight decay, at least 0.</param>
    /// <param name="amsgrad">AMSGrad.</param>
    /// <param name="decoupledWeightDecay">True for AdamW's decoupled weight decay.</param>
    /// <exception cref="ArgumentException">An argument PyTorch rejects.</exception>
    protected Adam(
        IReadOnlyList<ParameterGroup> groups,
        double lr,
        double beta1,
        double beta2,
        double eps,
        double weightDecay,
        bool amsgrad,
        bool decoupledWeightDecay)
        : base(groups, lr)
    {
        (Beta1, Beta2, Eps, WeightDecay, AmsGrad, DecoupledWeightDecay) = (beta1, beta2, eps, weightDecay, amsgrad, decoupledWeightDecay);
        (weightDecayOf, expAvg, expAvgSq, maxExpAvgSq) = Initialise();
    }

    /// <summary>Decay of the first moment.</summary>
    public double Beta1 { get; }

    /// <summary>Decay of the second moment.</summary>
    public double Beta2 { get; }

    /// <summary>Added to the denominator.</summary>
    public double Eps { get; }

    /// <summary>Default weight decay (of the groups that do not set their own): an L2 term in the gradient (Adam) or a decoupled shrink of the weights (AdamW).</summary>
    public double WeightDecay { get; }

    /// <summary>Whether AMSGrad is used.</summary>
    public bool AmsGrad { get; }

    /// <summary>True for AdamW (decoupled weight decay).</summary>
    public bool DecoupledWeightDecay { get; }

    /// <summary>First moment of parameter <paramref name="index"/>, PyTorch's <c>exp_avg</c>.</summary>
    /// <param name="index">Index in <see cref="Optimizer.Parameters"/>.</param>
    public ReadOnlySpan<float> ExpAvg(int index) => expAvg[index];

    /// <summary>Second moment of parameter <paramref name="index"/>, PyTorch's <c>exp_avg_sq</c>.</summary>
    /// <param name="index">Index in <see cref="Optimizer.Parameters"/>.</param>
    public ReadOnlySpan<float> ExpAvgSq(int index) => expAvgSq[index];

    /// <summary>Running maximum of the second moment (AMSGrad; empty otherwise), PyTorch's <c>max_exp_avg_sq</c>.</summary>
    /// <param name="index">Index in <see cref="Optimizer.Parameters"/>.</param>
    public ReadOnlySpan<float> MaxExpAvgSq(int index) => maxExpAvgSq[index];

    /// <inheritdoc />
    protected override IEnumerable<KeyValuePair<string, float[]>> StateBuffers(int index) => AmsGrad
        ? [new("exp_avg", expAvg[index]), new("exp_avg_sq", expAvgSq[index]), new("max_exp_avg_sq", maxExpAvgSq[index])]
        : [new("exp_avg", expAvg[index]), new("exp_avg_sq", expAvgSq[index])];

    /// <inheritdoc />
    protected override IEnumerable<KeyValuePair<string, double>> Hyperparameters(int group) =>
        [new("beta1", Beta1), new("beta2", Beta2), new("eps", Eps), new("weight_decay", ParamGroups[group].WeightDecay ?? WeightDecay), new("amsgrad", AmsGrad ? 1 : 0)];

    /// <inheritdoc />
    protected override void Update(int index, Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        double t = StepCount;
        double lr = LearningRateOf(index);
        double weightDecay = weightDecayOf[index];
        double biasCorrection1 = 1.0 - Math.Pow(Beta1, t);
        double biasCorrection2 = 1.0 - Math.Pow(Beta2, t);
        var step = new OptimizerKernels.AdamStep(
            Decay: DecoupledWeightDecay && weightDecay != 0 ? (float)(1.0 - (lr * weightDecay)) : 1f,
            L2: DecoupledWeightDecay ? 0f : (float)weightDecay,
            OneMinusBeta1: (float)(1.0 - Beta1),
            Beta2: (float)Beta2,
            OneMinusBeta2: (float)(1.0 - Beta2),
            BiasCorrection2Sqrt: (float)Math.Sqrt(biasCorrection2),
            Eps: (float)Eps,
            NegativeStepSize: (float)(-(lr / biasCorrection1)),
            AmsGrad: AmsGrad);
        OptimizerKernels.Adam(step, parameter.Data, parameter.Grad, expAvg[index], expAvgSq[index], maxExpAvgSq[index]);
    }

    private (double[] WeightDecay, float[][] ExpAvg, float[][] ExpAvgSq, float[][] MaxExpAvgSq) Initialise()
    {
        RequireNonNegative(Eps, "epsilon value", "eps");
        RequireBeta(Beta1, 0, "beta1");
        RequireBeta(Beta2, 1, "beta2");
        var decay = new double[Parameters.Count];
        for (int g = 0; g < ParamGroups.Count; g++)
        {
            RequireNonNegative(ParamGroups[g].WeightDecay ?? WeightDecay, "weight_decay value", ParamGroups[g].WeightDecay is null ? "weightDecay" : "groups");
            if (ParamGroups[g].Momentum is not null)
            {
                throw new ArgumentException($"Parameter group {g} sets a momentum: {GetType().Name} has none (its first-moment decay is beta1).", "groups");
            }
        }

        for (int i = 0; i < decay.Length; i++)
        {
            decay[i] = ParamGroups[GroupOf(i)].WeightDecay ?? WeightDecay;
        }

        return (decay, Allocate(Parameters, true), Allocate(Parameters, true), Allocate(Parameters, AmsGrad));
    }

    private static float[][] Allocate(IReadOnlyList<Parameter> parameters, bool needed)
    {
        var state = new float[parameters.Count][];
        for (int i = 0; i < state.Length; i++)
        {
            state[i] = needed ? new float[parameters[i].Length] : [];
        }

        return state;
    }

    private static void RequireBeta(double beta, int index, string argument)
    {
        if (!(beta >= 0.0 && beta < 1.0))
        {
            throw new ArgumentOutOfRangeException(
                argument, beta, string.Create(CultureInfo.InvariantCulture, $"Invalid beta parameter at index {index}: {beta}"));
        }
    }
}
