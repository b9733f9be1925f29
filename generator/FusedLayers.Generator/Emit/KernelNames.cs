using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using FusedLayers.Generator.Planning;

namespace FusedLayers.Generator.Emit;

/// <summary>
/// Names and sizes of the generated members of one kernel, so the forward and backward emitters
/// agree on them. Fields are prefixed <c>_fl</c> to stay out of the user's way.
/// </summary>
internal sealed class KernelNames
{
    public KernelNames(KernelSchedule schedule, bool isLast)
    {
        KernelPlan kernel = schedule.Kernel;
        Schedule = schedule;
        Kernel = kernel;
        IsLast = isLast;
        string k = "K" + Shapes.Inv(kernel.Index);
        Prefix = "_fl" + k;
        Geometry = "s_fl" + k + (kernel.Op is not null ? "Pool" : kernel.Anchor?.Kind == LayerKind.Conv2d ? "Conv" : "Linear");
        NormShape = "s_fl" + k + "NormShape";
        InputLength = Shapes.Length(kernel.InputShape);
        NormLength = Shapes.Length(kernel.NormShape);
        OutputLength = Shapes.Length(kernel.OutputShape);
        Channels = kernel.NormShape.Count > 0 ? kernel.NormShape[0] : 1;
        Spatial = Shapes.Spatial(kernel.NormShape);
    }

    public KernelPlan Kernel { get; }

    /// <summary>The kernel's passes per mode; what it keeps and whether it folds are read off their operands.</summary>
    public KernelSchedule Schedule { get; }

    public bool IsLast { get; }

    public string Prefix { get; }

    public string Geometry { get; }

    public string NormShape { get; }

    public int InputLength { get; }

    public int NormLength { get; }

    public int OutputLength { get; }

    public int Channels { get; }

    public int Spatial { get; }

    /// <summary>Anchor output before BatchNorm, saved for backward (anchor + BatchNorm kernels).</summary>
    public string Z => Prefix + "Z";

    /// <summary>Kernel output (also the ReLU mask and the next kernel's input).</summary>
    public string Y => Prefix + "Y";

    /// <summary>Gradient of the kernel output, written by the next kernel's backward.</summary>
    public string Dy => Prefix + "Dy";

    /// <summary>Gradient of the anchor output.</summary>
    public string Dz => Prefix + "Dz";

    public string Mean => Prefix + "Mean";

    public string Var => Prefix + "Var";

    public string InvStd => Prefix + "InvStd";

    public string Scale => Prefix + "Scale";

    public string Shift => Prefix + "Shift";

    public string SumDy => Prefix + "SumDy";

    public string SumDyXhat => Prefix + "SumDyXhat";

    public string FoldedWeight => Prefix + "FoldedWeight";

    public string FoldedBias => Prefix + "FoldedBias";

    /// <summary>Max pooling's arg-max per output (int), kept for backward.</summary>
    public string Indices => Prefix + "Indices";

    /// <summary>Dropout's per-element multiplier (0 or 1 / (1 - p)), kept for backward.</summary>
    public string Mask => Prefix + "Mask";

    /// <summary>Gradient of the residual add's output (before the activation), kept until the skip source's gradient is complete.</summary>
    public string Da => Prefix + "Da";

    /// <summary>Projection (1x1 conv) output before its BatchNorm; saved for backward and never overwritten there.</summary>
    public string ProjZ => Prefix + "ProjZ";

    /// <summary>
    /// The projection BatchNorm's input gradient: the kernel's <see cref="Dz"/>, free once the anchor's input gradient
    /// is written, or a buffer of its own. Never <see cref="ProjZ"/>: a retained pass (retainGraph) must stay intact.
    /// </summary>
    public string ProjDz => ProjectionGradientInDz ? Dz : Prefix + "ProjDz";

    /// <summary>Whether <see cref="ProjDz"/> reuses <see cref="Dz"/>.</summary>
    public bool ProjectionGradientInDz => HasDz && Kernel.Anchor is not null;

    /// <summary>Gradient of the projection's input (the skip source), added to the source's gradient.</summary>
    public string SkipDx => Prefix + "SkipDx";

    public string ProjGeometry => Prefix.Replace("_fl", "s_fl") + "Proj";

    public string ResidualShape => Prefix.Replace("_fl", "s_fl") + "ResidualShape";

    public string ProjMean => Prefix + "ProjMean";

    public string ProjVar => Prefix + "ProjVar";

    public string ProjInvStd => Prefix + "ProjInvStd";

    public string ProjScale => Prefix + "ProjScale";

    public string ProjShift => Prefix + "ProjShift";

    public string ProjSumDy => Prefix + "ProjSumDy";

    public string ProjSumDyXhat => Prefix + "ProjSumDyXhat";

    public bool HasResidual => Kernel.Residual is not null;

    public bool HasProjection => Kernel.Residual is { Projection: true };

    /// <summary>Elements per sample of the skip source.</summary>
    public int SkipLength => Shapes.Length(Kernel.SkipShape);

    /// <summary>The activation after the add as a C# expression of type Activation.</summary>
    public string ActivationExpression => Kernel.Activation is null ? "global::FusedLayers.Kernels.Activation.Identity"
        : Kernel.Activation.Kind == LayerKind.ReLU ? "global::FusedLayers.Kernels.Activation.ReLU"
        : Identifiers.LayerField(Kernel.Activation.Name) + ".Activation";

    /// <summary>A max pool's arg-max is written by the training forward (for backward).</summary>
    public bool HasIndices => Schedule.ForwardWrites(Buffers.Indices);

    /// <summary>Geometry of a pool fused after BatchNorm.</summary>
    public string FusedPoolGeometry => Prefix.Replace("_fl", "s_fl") + "Pool";

    /// <summary>Dropout's mask is written by the training forward (for backward).</summary>
    public bool HasMask => Schedule.ForwardWrites(Buffers.Mask);

    /// <summary>
    /// The anchor output has a buffer: some forward pass writes it (BatchNorm's input, a residual add's main path, or
    /// the pre-activation of an activation other than ReLU).
    /// </summary>
    public bool HasZ => Schedule.ForwardWrites(Buffers.Z);

    /// <summary>
    /// Gradient of the anchor output; also the pre-activation gradient of a BatchNorm + smooth activation kernel,
    /// and for a row normalisation that starts the model, the input gradient's scratch when none is requested.
    /// </summary>
    public bool HasDz => IsRowNorm
        ? Kernel.Anchor is not null || Kernel.Index == 0
        : (Kernel.Anchor is not null && (Kernel.Norm is not null || Kernel.Activation is not null)) ||
          (Kernel.Norm is not null && (Kernel.HasSmoothActivation || Kernel.Pool is not null));

    public bool HasDy => !IsLast;

    /// <summary>The inference forward folds the normalisation into the anchor's weights (it writes the folded weights).</summary>
    public bool Folds => Schedule.Folds;

    /// <summary>Whether the kernel reads its input again in backward (so the model input must be copied when it is kernel 0).</summary>
    public bool SkipFromInput => Kernel.SkipFromInput;

    /// <summary>Whether training keeps a copy of the model input: the first kernel reads it again, or a skip connection adds it.</summary>
    public static bool SavesModelInput(System.Collections.Generic.IReadOnlyList<KernelNames> kernels) =>
        kernels.Count > 0 && (kernels[0].NeedsSavedInput || System.Linq.Enumerable.Any(kernels, k => k.SkipFromInput));

    public bool NeedsSavedInput => Schedule.Saves(Buffers.X);

    /// <summary>BatchNorm or BatchRenorm: per-channel statistics over the batch (PyTorch refuses one value per channel).</summary>
    public bool UsesBatchStatistics => Kernel.Norm is { } norm && (LayerKinds.IsBatchNorm(norm.Kind) || LayerKinds.IsBatchRenorm(norm.Kind));

    /// <summary>
    /// BatchNorm1d/2d with running statistics: in a training-style pass it can run on them instead (the layer in eval
    /// mode, or the model in <c>Eval(withGradients: true)</c>); <see cref="Frozen"/> records which it did.
    /// </summary>
    public bool CanFreeze => Kernel.Norm is { TrackRunningStats: true } norm && LayerKinds.IsBatchNorm(norm.Kind);

    /// <summary>Set by the training forward: the kernel's BatchNorm ran on its running statistics (backward reads it).</summary>
    public string Frozen => Prefix + "Frozen";

    /// <summary>As <see cref="Frozen"/>, for the projection's BatchNorm.</summary>
    public string ProjFrozen => Prefix + "ProjFrozen";

    /// <summary>LayerNorm, GroupNorm or InstanceNorm: per-sample rows through <c>RowNormKernels</c>.</summary>
    public bool IsRowNorm => Kernel.Norm is { } norm && LayerKinds.IsRowNorm(norm.Kind);

    /// <summary>BatchRenorm: BatchNorm's passes with r and d.</summary>
    public bool IsRenorm => Kernel.Norm is { } norm && LayerKinds.IsBatchRenorm(norm.Kind);

    /// <summary>InstanceNorm with running statistics: rows in training, folded per-channel scale and shift in inference.</summary>
    public bool IsTrackedInstanceNorm => Kernel.Norm is { TrackRunningStats: true } norm && LayerKinds.IsInstanceNorm(norm.Kind);

    /// <summary>
    /// Row geometry for <c>RowNormKernels</c>: the batch multiplier, channels, spatial size and groups. LayerNorm
    /// over the last k dimensions is <c>[N * leading, D, 1]</c> with one group; GroupNorm and InstanceNorm are
    /// <c>[N, C, S]</c> with G or C groups.
    /// </summary>
    public (int BatchFactor, int Channels, int Spatial, int Groups) Rows
    {
        get
        {
            LayerSpec norm = Kernel.Norm!;
            if (norm.Kind == LayerKind.LayerNorm)
            {
                int d = Shapes.Length(norm.NormalizedShape);
                return (NormLength / d, d, 1, 1);
            }

            return (1, Channels, Spatial, norm.Kind == LayerKind.GroupNorm ? norm.NumGroups : Channels);
        }
    }

    /// <summary>Rows (statistics) per sample.</summary>
    public int RowsPerSample => Rows.BatchFactor * Rows.Groups;

    /// <summary>Per-row mean, batch-sized.</summary>
    public string RowMean => Prefix + "RowMean";

    /// <summary>Per-row 1/sqrt(var + eps), batch-sized.</summary>
    public string RowInvStd => Prefix + "RowInvStd";

    /// <summary>Per-row biased variance (InstanceNorm's running update), batch-sized.</summary>
    public string RowVar => Prefix + "RowVar";

    /// <summary>The normalisation output before a smooth activation (its gradient needs it), kept in training.</summary>
    public string Pre => Prefix + "Pre";

    /// <summary>Gradient of the normalisation output (after the activation's backward).</summary>
    public string Dpre => Prefix + "Dpre";

    /// <summary>The training forward keeps the normalised rows as the activation's pre-activation.</summary>
    public bool HasPre => Schedule.ForwardWrites(Buffers.Pre);

    public bool HasDpre => IsRowNorm && Kernel.Activation is not null;

    /// <summary>BatchRenorm's r per channel.</summary>
    public string R => Prefix + "R";

    /// <summary>BatchRenorm's d per channel.</summary>
    public string D => Prefix + "D";

    /// <summary>BatchRenorm's <c>gamma * r</c>, the gamma of its input gradient.</summary>
    public string GammaR => Prefix + "GammaR";

    /// <summary>The per-channel arrays of the kernel's normalisation, in declaration order.</summary>
    public System.Collections.Generic.IEnumerable<string> ChannelArrays
    {
        get
        {
            if (Kernel.Norm is null)
            {
                return System.Array.Empty<string>();
            }

            if (IsRowNorm)
            {
                return IsTrackedInstanceNorm ? new[] { Scale, Shift } : System.Array.Empty<string>();
            }

            string[] batchNorm = { Mean, Var, InvStd, Scale, Shift, SumDy, SumDyXhat };
            return IsRenorm ? System.Linq.Enumerable.Concat(batchNorm, new[] { R, D, GammaR }) : batchNorm;
        }
    }

    /// <summary>The activation's PyTorch-style name (ReLU, SiLU, ...), or empty.</summary>
    public string ActivationName => Kernel.Activation is null ? "" : LayerKinds.AttributeName(Kernel.Activation.Kind);
}
