using System.Collections.Generic;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using B = FusedLayers.Generator.Planning.Buffers;

namespace FusedLayers.Generator.Planning;

/// <summary>What the schedule rules ask of a kernel, and the descriptions of the buffers they name.</summary>
internal sealed class RuleContext
{
    /// <summary>The condition of a call that writes the model's input gradient (kernel 0 only).</summary>
    public const string WhenInputGradient = "when the input gradient is requested";

    /// <summary>The condition of a call for a BatchNorm that runs on its running statistics in a training-style pass.</summary>
    public const string WhenFrozen = "when frozen (eval mode)";

    /// <summary>The condition of a statistics pass that a frozen BatchNorm skips.</summary>
    public const string UnlessFrozen = "unless frozen (eval mode)";

    /// <summary>As <see cref="WhenFrozen"/>, for a skip projection's BatchNorm.</summary>
    public const string WhenProjectionFrozen = "when the projection's BatchNorm is frozen";

    /// <summary>As <see cref="UnlessFrozen"/>, for a skip projection's BatchNorm.</summary>
    public const string UnlessProjectionFrozen = "unless the projection's BatchNorm is frozen";

    /// <summary>Dropout's mask is drawn in training mode only; <c>Eval(withGradients: true)</c> copies and keeps a mask of ones.</summary>
    public const string InTrainingMode = "in training mode (Eval(withGradients: true): a copy and a mask of ones)";

    private readonly List<(string Buffer, string Why)> descriptions = new();

    public RuleContext(EquatableArray<KernelPlan> kernels, KernelPlan kernel)
    {
        Kernels = kernels;
        Kernel = kernel;
        Describe(B.X, "kernel input " + Shapes.Format(kernel.InputShape));
        Describe(B.Y, "kernel output " + Shapes.Format(kernel.OutputShape));
        if (kernel.Anchor is not null)
        {
            Describe(B.Z, $"{kernel.Anchor.Name}'s output {Shapes.Format(kernel.NormShape)}");
        }
    }

    /// <summary>Every kernel of the model (a skip connection's gradient is scheduled in its source kernel).</summary>
    public EquatableArray<KernelPlan> Kernels { get; }

    public KernelPlan Kernel { get; }

    public LayerSpec? Anchor => Kernel.Anchor;

    public LayerSpec? Norm => Kernel.Norm;

    public LayerSpec? Activation => Kernel.Activation;

    /// <summary>The runtime class of the anchor's calls.</summary>
    public string AnchorKernels => Anchor?.Kind == LayerKind.Conv2d ? "Conv2dKernels" : "LinearKernels";

    public bool IsRowNorm => Norm is { } norm && LayerKinds.IsRowNorm(norm.Kind);

    public bool IsRenorm => Norm is { } norm && LayerKinds.IsBatchRenorm(norm.Kind);

    public bool IsTrackedInstanceNorm => Norm is { TrackRunningStats: true } norm && LayerKinds.IsInstanceNorm(norm.Kind);

    /// <summary>A BatchNorm with running statistics, which a training-style pass runs on them when the layer is in eval mode.</summary>
    public bool CanFreeze => Norm is { TrackRunningStats: true } norm && LayerKinds.IsBatchNorm(norm.Kind);

    public bool IsFirst => Kernel.Index == 0;

    /// <summary>The condition of a call that writes the kernel's input gradient: only the first kernel's is optional.</summary>
    public string? InputGradientCondition => IsFirst ? WhenInputGradient : null;

    /// <summary>" + Name" of the activation, or empty.</summary>
    public string PlusActivation => Activation is null ? "" : " + " + LayerKinds.AttributeName(Activation.Kind);

    public string ActivationName => Activation is null ? "" : LayerKinds.AttributeName(Activation.Kind);

    /// <summary>Records what <paramref name="buffer"/> holds, for the printed schedule (first description wins).</summary>
    public void Describe(string buffer, string why)
    {
        foreach ((string name, _) in descriptions)
        {
            if (name == buffer)
            {
                return;
            }
        }

        descriptions.Add((buffer, why));
    }

    public EquatableArray<(string Buffer, string Why)> Descriptions() => descriptions.ToEquatableArray();
}
