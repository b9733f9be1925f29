using System.Collections.Generic;
using System.Linq;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using FusedLayers.Generator.Planning;

namespace FusedLayers.Generator.Emit;

/// <summary>
/// LayerNorm, GroupNorm, InstanceNorm and BatchRenorm in a kernel's normalisation slot. The row normalisations
/// (LayerNorm, GroupNorm, InstanceNorm with instance statistics) run through <c>GroupNormKernels</c>; InstanceNorm
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

    /// <summary>
    /// A row normalisation kernel's forward (training, and inference without running statistics): the anchor
    /// into Z, then <c>GroupNormKernels.Forward</c> with the activation fused per row.
    /// </summary>
    private static void WriteRowNormForward(CodeWriter w, SliceScope scope, KernelNames k, string x, string y, bool training)
    {
        KernelPlan kernel = k.Kernel;
        LayerSpec norm = kernel.Norm!;
        LayerSpec? anchor = kernel.Anchor;
        w.Line($"// Kernel {Shapes.Inv(kernel.Index)}: {string.Join(" -> ", kernel.Layers().Select(l => l.Name))}.");
        int pass = 1;
        string normInput = x;
        if (anchor is not null)
        {
            string anchorKernels = Kernels + (anchor.Kind == LayerKind.Conv2d ? "Conv2dKernels" : "LinearKernels");
            string bias = anchor.Bias ? $"{Field(anchor)}.Bias!.Data" : "default";
            normInput = scope.Get(k.Z, k.NormLength);
            w.Line($"// Pass {Shapes.Inv(pass++)}: {anchor.Name}; its output is {norm.Name}'s input{(training ? ", kept for backward" : "")}.");
            w.Line($"{anchorKernels}.Forward({AnchorContext(anchor)}, in {k.Geometry}, batch, {x}, {Field(anchor)}.Weight.Data, {bias}, {normInput}, false, default, default);");
        }

        bool keepPre = training && kernel.HasSmoothActivation;
        string normOutput = keepPre ? scope.Get(k.Pre, k.NormLength) : y;
        (string gamma, string beta) = Affine(norm);
        (int factor, int channels, int spatial, int groups) = k.Rows;
        string rows = factor == 1 ? "batch" : $"batch * {Shapes.Inv(factor)}";
        string variance = training && k.IsTrackedInstanceNorm ? scope.Get(k.RowVar, k.RowsPerSample) : "default";
        string activation = kernel.Activation is null ? "" : kernel.HasSmoothActivation
            ? $", {Field(kernel.Activation)}.Activation, {y}"
            : $", global::FusedLayers.Kernels.Activation.ReLU, {y}";
        w.Line($"// Pass {Shapes.Inv(pass)}: {norm.Name}, each row of {Shapes.Inv(channels / groups * spatial)} values normalised with its own mean and 1/sqrt(var + eps)" +
               (kernel.Activation is null ? "." : $", then {kernel.Activation.Name} ({k.ActivationName}) on the row while it is in cache") +
               $"{(keepPre ? $" (the normalised row is kept: {k.ActivationName}'s backward needs it)" : "")}.");
        w.Line($"{Kernels}GroupNormKernels.Forward(in context, {rows}, {Shapes.Inv(channels)}, {Shapes.Inv(spatial)}, {Shapes.Inv(groups)}, {normInput}, {gamma}, {beta}, " +
               $"{Number(norm.Eps)}, {normOutput}, {scope.Get(k.RowMean, k.RowsPerSample)}, {scope.Get(k.RowInvStd, k.RowsPerSample)}, {variance}{activation});");
    }

    /// <summary>A row normalisation kernel's backward: activation gradient, <c>GroupNormKernels.Backward</c>, then the anchor.</summary>
    private static void WriteRowNormBackward(CodeWriter w, SliceScope scope, KernelNames k, string dy, string x, string dx, int index)
    {
        KernelPlan kernel = k.Kernel;
        LayerSpec norm = kernel.Norm!;
        LayerSpec? anchor = kernel.Anchor;
        string c = Shapes.Inv(k.Channels);
        string s = Shapes.Inv(k.Spatial);
        string gradNorm = dy;
        if (kernel.Activation is not null)
        {
            gradNorm = scope.Get(k.Dpre, k.NormLength);
            if (kernel.HasSmoothActivation)
            {
                w.Line($"// {kernel.Activation.Name}: dy * {k.ActivationName}'({norm.Name}'s kept output).");
                w.Line($"{Kernels}ActivationKernels.Backward(in context, {Field(kernel.Activation)}.Activation, batch, {c}, {s}, {dy}, {scope.Get(k.Pre, k.NormLength)}, default, default, {gradNorm});");
            }
            else
            {
                w.Line($"// {kernel.Activation.Name}: the mask of the kernel output.");
                w.Line($"{Kernels}ActivationKernels.ReluBackward(in context, {dy}, {scope.Get(k.Y, k.OutputLength)}, {gradNorm});");
            }
        }

        string normInput = anchor is not null ? scope.Get(k.Z, k.NormLength) : x;
        string target = anchor is not null ? scope.Get(k.Dz, k.NormLength) : index == 0 ? $"inputGradient ? gradInput : {scope.Get(k.Dz, k.NormLength)}" : dx;
        (string gamma, string beta) = Affine(norm);
        string gradGamma = norm.Affine ? $"{Field(norm)}.Weight!.GradTarget" : "default";
        string gradBeta = beta == "default" ? "default" : $"{Field(norm)}.Bias!.GradTarget";
        (int factor, int channels, int spatial, int groups) = k.Rows;
        string rows = factor == 1 ? "batch" : $"batch * {Shapes.Inv(factor)}";
        string parameterGradients = !norm.Affine ? "" : gradBeta == "default" ? "weight gradient and " : "weight and bias gradients and ";
        w.Line($"// {norm.Name}: {parameterGradients}the input gradient invStd * (g - mean(g) - xhat * mean(g * xhat)), g = gamma * dy, per row.");
        w.Line($"{Kernels}GroupNormKernels.Backward(in context, {rows}, {Shapes.Inv(channels)}, {Shapes.Inv(spatial)}, {Shapes.Inv(groups)}, {gradNorm}, {normInput}, " +
               $"{scope.Get(k.RowMean, k.RowsPerSample)}, {scope.Get(k.RowInvStd, k.RowsPerSample)}, {gamma}, {target}, {gradGamma}, {gradBeta});");
        if (anchor is null)
        {
            return;
        }

        string dz = scope.Get(k.Dz, k.NormLength);
        string anchorKernels = Kernels + (anchor.Kind == LayerKind.Conv2d ? "Conv2dKernels" : "LinearKernels");
        string biasGrad = anchor.Bias ? $"{Field(anchor)}.Bias!.GradTarget" : "default";
        w.Line($"// {anchor.Name}: {(anchor.Bias ? "weight and bias gradients" : "weight gradient (no bias)")}, then the gradient of its input.");
        w.Line($"{anchorKernels}.BackwardParameters(in context, in {k.Geometry}, batch, {x}, {dz}, {Field(anchor)}.Weight.GradTarget, {biasGrad});");
        WriteGuarded(w, index == 0, $"{anchorKernels}.BackwardInput({AnchorContext(anchor)}, in {k.Geometry}, batch, {dz}, {Field(anchor)}.Weight.Data, {dx});");
    }

    /// <summary>The finiteness check before a running-statistics update, per normalisation kind.</summary>
    private static void WriteFiniteCheck(CodeWriter w, SliceScope scope, KernelNames k)
    {
        LayerSpec norm = k.Kernel.Norm!;
        w.Line(k.IsTrackedInstanceNorm
            ? $"{Kernels}GroupNormKernels.ThrowIfNotFinite(\"{norm.Name}\", {Shapes.Inv(k.Channels)}, {scope.Get(k.RowMean, k.RowsPerSample)}, {scope.Get(k.RowVar, k.RowsPerSample)});"
            : $"{Kernels}BatchNormKernels.ThrowIfNotFinite(\"{norm.Name}\", {k.Mean}, {k.Var});");
    }

    /// <summary>The running-statistics updates of tracked InstanceNorm and BatchRenorm.</summary>
    private static void WriteOtherRunningUpdate(CodeWriter w, SliceScope scope, KernelNames k)
    {
        LayerSpec norm = k.Kernel.Norm!;
        string layer = Field(norm);
        if (k.IsTrackedInstanceNorm)
        {
            w.Line($"// {norm.Name}: running statistics, momentum {Number(norm.Momentum)}, averaged over the per-instance updates (unbiased variances);");
            w.Line("// num_batches_tracked does not advance (PyTorch's InstanceNorm).");
            w.Line($"{Kernels}GroupNormKernels.UpdateInstanceRunningStatistics(batch, {Shapes.Inv(k.Channels)}, {Shapes.Inv(k.Spatial)}, " +
                   $"{scope.Get(k.RowMean, k.RowsPerSample)}, {scope.Get(k.RowVar, k.RowsPerSample)}, {Number(norm.Momentum)}, {layer}.RunningMean!, {layer}.RunningVar!);");
            return;
        }

        w.Line($"// {norm.Name}: moving averages, mu += {Number(norm.Momentum)} * (mu_B - mu), sigma += {Number(norm.Momentum)} * (sqrt(var_B + eps) - sigma).");
        w.Line($"{layer}.NumBatchesTracked++;");
        w.Line($"{Kernels}BatchRenormKernels.UpdateRunningStatistics({k.Mean}, {k.Var}, {Number(norm.Eps)}, {Number(norm.Momentum)}, {layer}.RunningMean, {layer}.RunningStd);");
    }
}
