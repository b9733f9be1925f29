using FusedLayers.Generator.Diagnostics;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using FusedLayers.Generator.Validation;

namespace FusedLayers.Generator.Planning;

/// <summary>
/// One fused kernel: an optional anchor (Conv2d or Linear) followed by an optional BatchNorm and an
/// optional activation epilogue, like a oneDNN primitive with post-ops. At least one of the three is present.
/// </summary>
internal sealed record KernelPlan
{
    public int Index { get; init; }

    public LayerSpec? Anchor { get; init; }

    public LayerSpec? Norm { get; init; }

    /// <summary>A pooling or dropout layer, which runs as a kernel of its own (no anchor, BatchNorm or activation).</summary>
    public LayerSpec? Op { get; init; }

    /// <summary>
    /// A MaxPool2d or AvgPool2d fused after the BatchNorm (and activation): the BatchNorm-apply + activation runs as
    /// the pool's prologue, plane by plane in cache, so the full-resolution activation is never stored.
    /// </summary>
    public LayerSpec? Pool { get; init; }

    /// <summary>A skip connection whose add joins the epilogue (after the BatchNorm, before the activation).</summary>
    public LayerSpec? Residual { get; init; }

    /// <summary>Index of the kernel whose output is the skip connection's source; -1 for none or the model input.</summary>
    public int SkipKernel { get; init; } = -1;

    /// <summary>The skip connection adds the model input (<c>[Residual(ResidualAttribute.ModelInput)]</c>).</summary>
    public bool SkipFromInput { get; init; }

    /// <summary>Per-sample shape of the skip source (before any projection).</summary>
    public EquatableArray<int> SkipShape { get; init; } = EquatableArray<int>.Empty;

    /// <summary>The activation epilogue (ReLU or another element-wise activation), if any.</summary>
    public LayerSpec? Activation { get; init; }

    /// <summary>An activation other than ReLU: its gradient needs the pre-activation, not just the output's sign.</summary>
    public bool HasSmoothActivation => Activation is not null && Activation.Kind != LayerKind.ReLU;

    /// <summary>Per-sample shape entering the kernel.</summary>
    public EquatableArray<int> InputShape { get; init; } = EquatableArray<int>.Empty;

    /// <summary>Per-sample shape after the anchor (the BatchNorm input); equals <see cref="InputShape"/> without an anchor.</summary>
    public EquatableArray<int> NormShape { get; init; } = EquatableArray<int>.Empty;

    /// <summary>Per-sample shape leaving the kernel.</summary>
    public EquatableArray<int> OutputShape { get; init; } = EquatableArray<int>.Empty;

    /// <summary>Why a BatchNorm or ReLU starts its own kernel instead of joining the previous one; null otherwise.</summary>
    public string? UnfusedReason { get; init; }

    /// <summary>Flatten layers (no data movement) applied just before this kernel.</summary>
    public EquatableArray<string> FlattensBefore { get; init; } = EquatableArray<string>.Empty;

    /// <summary>Flatten layers between the kernel's BatchNorm/anchor and its ReLU (no data movement).</summary>
    public EquatableArray<string> FlattensInside { get; init; } = EquatableArray<string>.Empty;

    /// <summary>The layers of the kernel, in order.</summary>
    public System.Collections.Generic.IEnumerable<LayerSpec> Layers()
    {
        if (Op is not null)
        {
            yield return Op;
        }

        if (Anchor is not null)
        {
            yield return Anchor;
        }

        if (Norm is not null)
        {
            yield return Norm;
        }

        if (Residual is not null)
        {
            yield return Residual;
        }

        if (Activation is not null)
        {
            yield return Activation;
        }

        if (Pool is not null)
        {
            yield return Pool;
        }
    }
}

/// <summary>Stage 3's output: the model, its kernels in order, and the fusion notes (FL0301).</summary>
internal sealed record FusionPlan(
    ValidationResult Validation,
    EquatableArray<KernelPlan> Kernels,
    EquatableArray<string> TrailingFlattens,
    EquatableArray<DiagnosticInfo> Notes)
{
    public ModelSpec Spec => Validation.Spec;

    /// <summary>What each kernel runs, per mode, with its operands (built by <see cref="ScheduleRules"/> from <see cref="Kernels"/>).</summary>
    public ModelSchedule Schedule { get; init; } = ModelSchedule.Empty;

    public EquatableArray<int> OutputShape =>
        Validation.Shapes.Count == 0 ? Spec.InputShape : Validation.Shapes[Validation.Shapes.Count - 1].Output;
}
