using System.Collections.Generic;
using System.Linq;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using FusedLayers.Generator.Planning;

namespace FusedLayers.Generator.Emit;

/// <summary>
/// LayerNorm, GroupNorm, InstanceNorm and BatchRenorm in a kernel's normalisation slot. The row normalisations
/// (LayerNorm, GroupNorm, InstanceNorm with instance statistics) run through <c>RowNormKernels</c>; InstanceNorm
/// with running statistics in inference and BatchRenorm reuse BatchNorm's per-channel passes (folded into the
/// anchor in inference), with BatchRenorm's r and d in the per-channel constants.
/// </summary>
internal static partial class ModelEmitter
{
    /// <summary>The runtime layer's constructor call.</summary>
    private static string NormalizationLayerArguments(string type, LayerSpec layer) => layer.Kind switch
    {
        LayerKind.LayerNorm =>
            $"new {type}(\"{layer.Name}\", new int[] {{ {string.Join(", ", layer.NormalizedShape.Select(Shapes.Inv))} }}, {Number(layer.Eps)}, {Bool(layer.Affine)}, {Bool(layer.Bias)})",
        LayerKind.GroupNorm =>
            $"new {type}(\"{layer.Name}\", {Shapes.Inv(layer.NumGroups)}, {Shapes.Inv(layer.NumFeatures)}, {Number(layer.Eps)}, {Bool(layer.Affine)})",
        LayerKind.InstanceNorm1d or LayerKind.InstanceNorm2d =>
            $"new {type}(\"{layer.Name}\", {Shapes.Inv(layer.NumFeatures)}, {Number(layer.Eps)}, {Number(layer.Momentum)}, {Bool(layer.Affine)}, {Bool(layer.TrackRunningStats)})",
        _ =>
            $"new {type}(\"{layer.Name}\", {Shapes.Inv(layer.NumFeatures)}, {Number(layer.Eps)}, {Number(layer.Momentum)}, {Bool(layer.Affine)}, {Number(layer.RMax)}, {Number(layer.DMax)})",
    };

    /// <summary>The layer as PyTorch prints it (BatchRenorm: with its bounds).</summary>
    private static string DescribeNormalization(LayerSpec layer) => layer.Kind switch
    {
        LayerKind.LayerNorm =>
            $"LayerNorm(({string.Join(", ", layer.NormalizedShape.Select(Shapes.Inv))},), eps={Number(layer.Eps)}, elementwise_affine={Py(layer.Affine)}, bias={Py(layer.Bias)})",
        LayerKind.GroupNorm => $"GroupNorm({Shapes.Inv(layer.NumGroups)}, {Shapes.Inv(layer.NumFeatures)}, eps={Number(layer.Eps)}, affine={Py(layer.Affine)})",
        LayerKind.InstanceNorm1d or LayerKind.InstanceNorm2d =>
            $"{layer.Kind}({Shapes.Inv(layer.NumFeatures)}, eps={Number(layer.Eps)}, momentum={Number(layer.Momentum)}, affine={Py(layer.Affine)}, track_running_stats={Py(layer.TrackRunningStats)})",
        _ =>
            $"{layer.Kind}({Shapes.Inv(layer.NumFeatures)}, eps={Number(layer.Eps)}, momentum={Number(layer.Momentum)}, affine={Py(layer.Affine)}, r_max={Number(layer.RMax)}, d_max={Number(layer.DMax)}) (r_max, d_max adjustable)",
    };

    /// <summary>Batch-sized buffers of a row normalisation: field and values per sample.</summary>
    private static IEnumerable<(string Field, int PerSample)> RowBuffers(KernelNames k)
    {
        if (!k.IsRowNorm)
        {
            yield break;
        }

        yield return (k.RowMean, k.RowsPerSample);
        yield return (k.RowInvStd, k.RowsPerSample);
        if (k.IsTrackedInstanceNorm)
        {
            yield return (k.RowVar, k.RowsPerSample);
        }

        if (k.HasPre)
        {
            yield return (k.Pre, k.NormLength);
        }

        if (k.HasDpre)
        {
            yield return (k.Dpre, k.NormLength);
        }
    }

    /// <summary>Gamma and beta of a normalisation as spans (<c>default</c> when absent).</summary>
    private static (string Gamma, string Beta) Affine(LayerSpec norm)
    {
        string gamma = norm.Affine ? $"{Field(norm)}.Weight!.Data" : "default";
        string beta = norm.Affine && (norm.Kind != LayerKind.LayerNorm || norm.Bias) ? $"{Field(norm)}.Bias!.Data" : "default";
        return (gamma, beta);
    }

    /// <summary>The per-channel constants from the batch statistics: BatchNorm's, or BatchRenorm's with r and d.</summary>
    private static string BatchScaleShift(KernelNames k, LayerSpec norm, string gamma, string beta, string eps)
    {
        if (!LayerKinds.IsBatchRenorm(norm.Kind))
        {
            return $"{Kernels}BatchNormKernels.ScaleShift({k.Mean}, {k.Var}, {gamma}, {beta}, {eps}, {k.InvStd}, {k.Scale}, {k.Shift});";
        }

        string bn = Field(norm);
        return $"{Kernels}BatchRenormKernels.TrainingScaleShift({k.Mean}, {k.Var}, {bn}.RunningMean, {bn}.RunningStd, {gamma}, {beta}, {eps}, " +
               $"{bn}.RMax, {bn}.DMax, {k.InvStd}, {k.R}, {k.D}, {k.Scale}, {k.Shift});";
    }

    /// <summary>The per-channel constants from the running statistics (BatchNorm, tracked InstanceNorm, BatchRenorm).</summary>
    private static string RunningScaleShift(KernelNames k, LayerSpec norm, string gamma, string beta, string eps)
    {
        string bn = Field(norm);
        return LayerKinds.IsBatchRenorm(norm.Kind)
            ? $"{Kernels}BatchRenormKernels.InferenceScaleShift({bn}.RunningMean, {bn}.RunningStd, {gamma}, {beta}, {k.Scale}, {k.Shift});"
            : $"{Kernels}BatchNormKernels.ScaleShift({bn}.RunningMean!, {bn}.RunningVar!, {gamma}, {beta}, {eps}, default, {k.Scale}, {k.Shift});";
    }

    /// <summary>The <c>RowNormKernels.Forward</c> call of a row normalisation pass: rows normalised, the activation fused per row.</summary>
    private static string RowNormForward(PassOperands o, SchedulePass pass)
    {
        KernelNames k = o.K;
        KernelPlan kernel = k.Kernel;
        LayerSpec norm = kernel.Norm!;
        bool keepPre = pass.WritesBuffer(Buffers.Pre);
        string normOutput = keepPre ? o[Buffers.Pre] : o.Y;
        (string gamma, string beta) = Affine(norm);
        (int factor, int channels, int spatial, int groups) = k.Rows;
        string rows = factor == 1 ? "batch" : $"batch * {Shapes.Inv(factor)}";
        string variance = pass.WritesBuffer(Buffers.RowVar) ? o.Scope.Get(k.RowVar, k.RowsPerSample) : "default";
        string activation = kernel.Activation is null ? "" : kernel.HasSmoothActivation
            ? $", {Field(kernel.Activation)}.Activation, {o.Y}"
            : $", global::FusedLayers.Kernels.Activation.ReLU, {o.Y}";
        bool skip = pass.ReadsBuffer(Buffers.Skip);
        if (skip && activation.Length == 0)
        {
            activation = ", global::FusedLayers.Kernels.Activation.Identity, default";
        }

        return $"{Kernels}RowNormKernels.Forward(in context, {rows}, {Shapes.Inv(channels)}, {Shapes.Inv(spatial)}, {Shapes.Inv(groups)}, {o[pass.Reads[0]]}, {gamma}, {beta}, " +
               $"{Number(norm.Eps)}, {(skip ? o.Skip + ", " : "")}{normOutput}, {o.Scope.Get(k.RowMean, k.RowsPerSample)}, {o.Scope.Get(k.RowInvStd, k.RowsPerSample)}, {variance}{activation});";
    }

    /// <summary>
    /// The <c>RowNormKernels.Backward</c> call of a row normalisation: parameter gradients and the input gradient per row
    /// (into a scratch buffer when the first kernel's input gradient is not requested).
    /// </summary>
    private static string RowNormBackward(PassOperands o, SchedulePass pass)
    {
        KernelNames k = o.K;
        LayerSpec norm = k.Kernel.Norm!;
        string target = pass.WritesBuffer(Buffers.Dz) ? o[Buffers.Dz]
            : k.Kernel.Index == 0 ? $"inputGradient ? gradInput : {o[Buffers.Dz]}"
            : o.Dx;
        (string gamma, string beta) = Affine(norm);
        string gradGamma = norm.Affine ? $"{Field(norm)}.Weight!.GradTarget" : "default";
        string gradBeta = beta == "default" ? "default" : $"{Field(norm)}.Bias!.GradTarget";
        (int factor, int channels, int spatial, int groups) = k.Rows;
        string rows = factor == 1 ? "batch" : $"batch * {Shapes.Inv(factor)}";
        return $"{Kernels}RowNormKernels.Backward(in context, {rows}, {Shapes.Inv(channels)}, {Shapes.Inv(spatial)}, {Shapes.Inv(groups)}, {o[pass.Reads[0]]}, {o[pass.Reads[1]]}, " +
               $"{o.Scope.Get(k.RowMean, k.RowsPerSample)}, {o.Scope.Get(k.RowInvStd, k.RowsPerSample)}, {gamma}, {target}, {gradGamma}, {gradBeta});";
    }
}
