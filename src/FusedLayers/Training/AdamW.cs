using System.Collections.Generic;

namespace FusedLayers.Training;

/// <summary>
/// AdamW, PyTorch's <c>torch.optim.AdamW</c>: <see cref="Adam"/> with decoupled weight decay, the weights
/// shrunk by <c>p = p * (1 - lr * weight_decay)</c> before the Adam update instead of an L2 term in the
/// gradient. PyTorch's defaults, including <c>weight_decay = 0.01</c>.
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>Creates AdamW; PyTorch's defaults.</summary>
    /// <param name="parameters">Parameters to update.</param>
    /// <param name="lr">Learning rate (PyTorch's <c>lr</c>) (default 1e-3).</param>
    /// <param name="beta1">Decay of the first moment (default 0.9), in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment (default 0.999), in [0, 1).</param>
    /// <param name="eps">Added to the denominator (default 1e-8).</param>
    /// <param name="weightDecay">Decoupled weight decay (default 0.01).</param>
    /// <param name="amsgrad">AMSGrad.</param>
    /// <exception cref="System.ArgumentException">An argument PyTorch rejects.</exception>
    [System.Runtime.CompilerServices.OverloadResolutionPriority(1)]
    public AdamW(
        IReadOnlyList<Parameter> parameters,
        double lr = 1e-3,
        double beta1 = 0.9,
        double beta2 = 0.999,
        double eps = 1e-8,
        double weightDecay = 0.01,
        bool amsgrad = false)
        : base(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad, decoupledWeightDecay: true)
    {
    }

    /// <summary>Creates AdamW from parameter groups; a group's <see cref="ParameterGroup.Lr"/> and <see cref="ParameterGroup.WeightDecay"/> override the arguments here.</summary>
    /// <param name="groups">The parameter groups (for example <see cref="ParameterGroup.SplitWeightDecay"/>'s).</param>
    /// <param name="lr">Default learning rate (default 1e-3).</param>
    /// <param name="beta1">Decay of the first moment (default 0.9), in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment (default 0.999), in [0, 1).</param>
    /// <param name="eps">Added to the denominator (default 1e-8).</param>
    /// <param name="weightDecay">Default decoupled weight decay (default 0.01).</param>
    /// <param name="amsgrad">AMSGrad.</param>
    /// <exception cref="System.ArgumentException">An argument or a group's override PyTorch rejects.</exception>
    public AdamW(
        IReadOnlyList<ParameterGroup> groups,
        double lr = 1e-3,
        double beta1 = 0.9,
        double beta2 = 0.999,
        double eps = 1e-8,
        double weightDecay = 0.01,
        bool amsgrad = false)
        : base(groups, lr, beta1, beta2, eps, weightDecay, amsgrad, decoupledWeightDecay: true)
    {
    }
}
