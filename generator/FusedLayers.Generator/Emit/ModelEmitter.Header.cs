using System.Collections.Generic;
using System.Linq;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using FusedLayers.Generator.Planning;

namespace FusedLayers.Generator.Emit;

/// <summary>The fusion-plan comment at the top of each generated file.</summary>
internal static partial class ModelEmitter
{
    private static void WriteHeader(CodeWriter w, FusionPlan plan)
    {
        ModelSpec spec = plan.Spec;
        w.Line("//");
        w.Line("// FusedLayers model " + (spec.Namespace.Length > 0 ? spec.Namespace + "." : "") + spec.ClassName);
        w.Line("//");
        w.Line("// Fusion plan");
        w.Line("//   input per sample   " + Shapes.Format(spec.InputShape) + "   (the batch size N is chosen at run time)");
        w.Line("//   output per sample  " + Shapes.Format(plan.OutputShape));
        foreach (KernelPlan kernel in plan.Kernels)
        {
            w.Line("//");
            foreach (string flatten in kernel.FlattensBefore)
            {
                w.Line($"//   {flatten}: Flatten, a reshape of the same buffer (no kernel, no data movement)");
            }

            string layers = string.Join(" -> ", kernel.Layers().Select(l => l.Name));
            w.Line($"//   kernel {Shapes.Inv(kernel.Index)}  {layers}   {Shapes.Format(kernel.InputShape)} -> {Shapes.Format(kernel.OutputShape)}");
            foreach (LayerSpec layer in kernel.Layers())
            {
                if (layer == kernel.Activation)
                {
                    foreach (string flatten in kernel.FlattensInside)
                    {
                        w.Line($"//     {flatten,-10} Flatten() (a reshape; the {LayerKinds.AttributeName(layer.Kind)} after it still runs in this kernel's epilogue)");
                    }
                }

                w.Line($"//     {layer.Name,-10} {Describe(layer)}");
            }

            if (kernel.Anchor is not null)
            {
                w.Line("//     algorithm          " + Algorithm(kernel));
            }

            foreach (string line in KernelSteps(kernel))
            {
                w.Line("//     " + line);
            }
        }

        foreach (string flatten in plan.TrailingFlattens)
        {
            w.Line("//");
            w.Line($"//   {flatten}: Flatten, a reshape of the same buffer (no kernel, no data movement)");
        }

        w.Line("//");
        if (plan.Kernels.Count == 0)
        {
            w.Line("//   no kernels: the model only reshapes, so forward and backward copy.");
            w.Line("//");
        }

        List<KernelPlan> unfused = plan.Kernels.Where(k => k.UnfusedReason is not null).ToList();
        if (unfused.Count == 0)
        {
            w.Line("//   not fused: nothing; every BatchNorm and activation rides on the kernel before it or starts the model.");
        }
        else
        {
            w.Line("//   not fused (FL0301):");
            foreach (KernelPlan kernel in unfused)
            {
                LayerSpec first = kernel.Norm ?? kernel.Residual ?? kernel.Activation!;
                w.Line($"//     {first.Name}: {kernel.UnfusedReason}");
            }
        }

        w.Line("//");
        w.Line("//   ISA paths: AVX-512 (Vector512), AVX2 + FMA (Vector256) and scalar, picked per call from");
        w.Line("//   model.Execution (MaxIsa, capped to what the CPU supports) on MaxDegreeOfParallelism threads");
        w.Line("//   (default: all cores); per-channel sums are combined in a fixed order, so results are");
        w.Line("//   bit-identical run to run at a given thread count.");
        w.Line("//");
        if (plan.Kernels.Any(k => k.Norm is { TrackRunningStats: true } norm && LayerKinds.IsBatchNorm(norm.Kind)) || plan.Kernels.Any(k => k.Residual is { Projection: true }))
        {
            w.Line("//   Eval(withGradients: true), and a BatchNorm in eval mode while the model trains (frozen BatchNorm),");
            w.Line("//   run the training passes above with the running statistics in place of the batch's: not folded, the");
            w.Line("//   running statistics left unchanged, and in backward the BatchNorm sums cleared once gamma and beta");
            w.Line("//   have their gradients, so the input gradient is gamma / std * dy.");
            w.Line("//");
        }
    }

    /// <summary>The layer written the way PyTorch prints it.</summary>
    private static string Describe(LayerSpec layer) => layer.Kind switch
    {
        LayerKind.Conv2d =>
            $"Conv2d({Shapes.Inv(layer.InChannels)}, {Shapes.Inv(layer.OutChannels)}, kernel_size={Shapes.Inv(layer.KernelSize)}, " +
            $"stride={Shapes.Inv(layer.Stride)}, padding={Shapes.Inv(layer.Padding)}, " +
            (layer.Dilation == 1 ? "" : $"dilation={Shapes.Inv(layer.Dilation)}, ") + (layer.Groups == 1 ? "" : $"groups={Shapes.Inv(layer.Groups)}, ") +
            $"bias={Py(layer.Bias)})",
        LayerKind.Linear =>
            $"Linear(in_features={Shapes.Inv(layer.InChannels)}, out_features={Shapes.Inv(layer.OutChannels)}, bias={Py(layer.Bias)})",
        LayerKind.BatchNorm1d or LayerKind.BatchNorm2d =>
            $"{layer.Kind}({Shapes.Inv(layer.NumFeatures)}, eps={Number(layer.Eps)}, momentum={(layer.CumulativeAverage ? "None" : Number(layer.Momentum))}, " +
            $"affine={Py(layer.Affine)}, track_running_stats={Py(layer.TrackRunningStats)})",
        LayerKind.ReLU => "ReLU()",
        LayerKind.Flatten => "Flatten()",
        LayerKind.LeakyReLU => $"LeakyReLU(negative_slope={Number(layer.NegativeSlope)})",
        LayerKind.GELU => $"GELU(approximate='{layer.Approximate}')",
        LayerKind.MaxPool2d => $"MaxPool2d(kernel_size={Shapes.Inv(layer.KernelSize)}, stride={Shapes.Inv(layer.Stride)}, padding={Shapes.Inv(layer.Padding)})",
        LayerKind.AvgPool2d =>
            $"AvgPool2d(kernel_size={Shapes.Inv(layer.KernelSize)}, stride={Shapes.Inv(layer.Stride)}, padding={Shapes.Inv(layer.Padding)}, count_include_pad={Py(layer.CountIncludePad)})",
        LayerKind.AdaptiveAvgPool2d => "AdaptiveAvgPool2d(output_size=1)",
        LayerKind.Dropout => $"Dropout(p={Number(layer.P)})",
        LayerKind.Residual when layer.Projection =>
            $"Residual(from='{layer.From}', projection=Conv2d(1x1, stride={Shapes.Inv(layer.ProjectionStride)}, bias=False) -> BatchNorm2d)",
        LayerKind.Residual => $"Residual(from='{layer.From}', identity)",
        LayerKind.LayerNorm or LayerKind.GroupNorm or LayerKind.InstanceNorm1d or LayerKind.InstanceNorm2d or LayerKind.BatchRenorm1d or LayerKind.BatchRenorm2d =>
            DescribeNormalization(layer),
        _ => layer.Kind + "()",
    };

    private static string Py(bool value) => value ? "True" : "False";

    /// <summary>
    /// Which convolution/linear algorithm runs for this kernel's anchor, and why: Winograd where the shared
    /// <see cref="FusedLayers.ConvAlgorithmRule"/> (linked into the runtime, which applies it per call) picks it under
    /// <c>ConvAlgorithm.Auto</c>, otherwise the direct lowering.
    /// </summary>
    private static string Algorithm(KernelPlan kernel)
    {
        LayerSpec anchor = kernel.Anchor!;
        if (anchor.Kind == LayerKind.Conv2d && kernel.NormShape.Count == 3)
        {
            int outHeight = kernel.NormShape[1], outWidth = kernel.NormShape[2];
            FusedLayers.ConvAlgorithmKind kind = FusedLayers.ConvAlgorithmRule.Choose(
                anchor.Algorithm, anchor.InChannels, anchor.OutChannels, outHeight, outWidth, anchor.KernelSize, anchor.Stride, anchor.Dilation, anchor.Groups, vectorPath: true);
            if (kind != FusedLayers.ConvAlgorithmKind.Direct)
            {
                string how = FusedLayers.ConvAlgorithmRule.Describe(
                    anchor.Algorithm, anchor.InChannels, anchor.OutChannels, outHeight, outWidth, anchor.KernelSize, anchor.Stride, anchor.Dilation, anchor.Groups, vectorPath: true);
                string why = anchor.Algorithm != 0
                    ? "(Algorithm set on the layer)"
                    : $"(3x3, stride 1, {Shapes.Inv(FusedLayers.ConvAlgorithmRule.MinChannels)}..{Shapes.Inv(FusedLayers.ConvAlgorithmRule.MaxChannels)} channels, output at least " +
                      $"{Shapes.Inv(FusedLayers.ConvAlgorithmRule.MinOutputSide)}x{Shapes.Inv(FusedLayers.ConvAlgorithmRule.MinOutputSide)})";
                return how + " on the AVX-512 and AVX2 paths " + why + ", for the forward pass and the input gradient" +
                       (anchor.Padding <= 2 ? "" : " (forward only: padding above 2)") +
                       "; implicit GEMM on the scalar path and for the weight gradient; model.Execution.ConvAlgorithm overrides";
            }
        }

        return DirectAlgorithm(anchor) + (anchor.Kind == LayerKind.Conv2d && anchor.Algorithm == 1 ? " (Algorithm = Direct set on the layer)" : "");
    }

    /// <summary>The direct lowering of a convolution or linear layer, and why.</summary>
    private static string DirectAlgorithm(LayerSpec anchor)
    {
        if (anchor.Kind == LayerKind.Linear)
        {
            return "GEMM on a register-blocked micro-kernel (weight packed transposed per call: O(weights), small next to O(N * weights))";
        }

        if (anchor.Groups > 1 && anchor.Groups == anchor.InChannels)
        {
            return "direct depthwise convolution (one input channel per group): each plane padded once, taps as FMAs vectorised over output columns, no GEMM";
        }

        if (anchor.Groups > 1)
        {
            return $"one GEMM per channel group ({Shapes.Inv(anchor.Groups)} groups of {Shapes.Inv(anchor.InChannels / anchor.Groups)} -> {Shapes.Inv(anchor.OutChannels / anchor.Groups)} channels)" +
                   (anchor.Stride == 1 ? ", implicit (shifted planes)" : ", im2col");
        }

        if (anchor.Dilation > 1)
        {
            return anchor.Stride == 1
                ? $"implicit GEMM with dilation {Shapes.Inv(anchor.Dilation)}: each (ci, ky, kx) row is the zero-padded input shifted by d*(ky*Wp + kx)"
                : $"im2col + GEMM (stride {Shapes.Inv(anchor.Stride)}, dilation {Shapes.Inv(anchor.Dilation)})";
        }

        return anchor.Stride == 1
            ? "implicit GEMM (M = Cout, K = Cin*k*k, N = positions): stride 1, so each (ci, ky, kx) row is the zero-padded input shifted by ky*Wp + kx, no im2col copy"
            : $"im2col + GEMM: stride {Shapes.Inv(anchor.Stride)} breaks the shifted-plane trick, so the taps are gathered once into a buffer for the same micro-kernel";
    }

    private static IEnumerable<string> KernelSteps(KernelPlan kernel)
    {
        string anchor = kernel.Anchor?.Kind == LayerKind.Conv2d ? "convolution" : "linear layer";
        string relu = kernel.Activation is null ? "" : " + " + LayerKinds.AttributeName(kernel.Activation.Kind);
        if (kernel.Pool is not null)
        {
            foreach (string line in PooledSteps(kernel, anchor, relu))
            {
                yield return line;
            }
        }
        else if (kernel.Residual is not null)
        {
            foreach (string line in ResidualSteps(kernel, anchor))
            {
                yield return line;
            }
        }
        else if (kernel.Norm is { } norm && !LayerKinds.IsBatchNorm(norm.Kind))
        {
            foreach (string line in NormalizationSteps(kernel))
            {
                yield return line;
            }
        }
        else if (kernel.Op is not null)
        {
            foreach (string line in OpSteps(kernel))
            {
                yield return line;
            }
        }
        else if (kernel.HasSmoothActivation)
        {
            foreach (string line in SmoothActivationSteps(kernel, anchor, relu))
            {
                yield return line;
            }
        }
        else if (kernel.Anchor is not null && kernel.Norm is not null)
        {
            string stats = kernel.Anchor.Kind == LayerKind.Conv2d
                ? "each output plane's mean and squared deviations are taken while the plane is in cache, merged per channel in sample order"
                : "per-feature mean and variance over the batch (float64, stable) taken from the rows just written";
            yield return $"training forward   pass 1: {anchor}; {stats}";
            yield return $"                   pass 2: BatchNorm apply{relu}";
            if (kernel.Norm.TrackRunningStats)
            {
                yield return $"inference forward  pass 1: {anchor} with BatchNorm folded into weight and bias{(kernel.Activation is null ? "" : ", ReLU epilogue")}";
                yield return "                           (refolded on every call from the current weights and running statistics)";
            }
            else
            {
                yield return "inference forward  as training (track_running_stats=False uses batch statistics), without running updates";
            }

            yield return $"backward           pass 1: {(kernel.Activation is null ? "" : "ReLU mask + ")}BatchNorm sums (sum dy, sum dy*xhat)";
            yield return "                   pass 2: BatchNorm input gradient dz";
            yield return $"                   then the {kernel.Anchor.Kind} {(kernel.Anchor.Bias ? "weight/bias gradients" : "weight gradient")} and the input gradient";
            yield return $"saved for backward kernel input {Shapes.Format(kernel.InputShape)}, {anchor} output {Shapes.Format(kernel.NormShape)},";
            yield return $"                   kernel output {Shapes.Format(kernel.OutputShape)}{(kernel.Activation is null ? "" : " (ReLU mask)")}, batch mean and 1/sqrt(var + eps) [{Shapes.Inv(kernel.NormShape[0])}]";
        }
        else if (kernel.Anchor is not null)
        {
            yield return $"forward            pass 1: {anchor}{(kernel.Activation is null ? "" : " with ReLU epilogue")} (training and inference alike)";
            yield return $"backward           {(kernel.Activation is null ? "" : "ReLU mask, then ")}the {kernel.Anchor.Kind} {(kernel.Anchor.Bias ? "weight/bias gradients" : "weight gradient")} and the input gradient";
            yield return $"saved for backward kernel input {Shapes.Format(kernel.InputShape)}, kernel output {Shapes.Format(kernel.OutputShape)}";
        }
        else if (kernel.Norm is not null)
        {
            yield return $"training forward   pass 1: per-channel statistics (two passes per plane, merged in sample order)";
            yield return $"                   pass 2: BatchNorm apply{relu}";
            yield return kernel.Norm.TrackRunningStats
                ? $"inference forward  pass 1: BatchNorm apply{relu} from the running statistics"
                : "inference forward  as training (track_running_stats=False uses batch statistics), without running updates";
            yield return $"backward           pass 1: {(kernel.Activation is null ? "" : "ReLU mask + ")}BatchNorm sums; pass 2: input gradient";
            yield return $"saved for backward kernel input {Shapes.Format(kernel.InputShape)}, kernel output, batch mean and 1/sqrt(var + eps)";
        }
        else
        {
            yield return "forward            pass 1: ReLU";
            yield return "backward           pass 1: ReLU mask";
            yield return $"saved for backward kernel output {Shapes.Format(kernel.OutputShape)}";
        }
    }

    /// <summary>Kernels whose BatchNorm (+ activation) is the prologue of a pool.</summary>
    private static IEnumerable<string> PooledSteps(KernelPlan kernel, string anchor, string plusActivation)
    {
        LayerSpec pool = kernel.Pool!;
        string first = kernel.Anchor is null ? "per-channel statistics (two passes per plane, merged in sample order)" : $"{anchor} with per-channel batch statistics in the epilogue";
        yield return $"training forward   pass 1: {first}";
        yield return $"                   pass 2: {pool.Kind}, with BatchNorm apply{plusActivation} as its per-plane prologue (in cache;";
        yield return "                           the full-resolution activation is never written)";
        yield return kernel.Norm!.TrackRunningStats
            ? $"inference forward  {(kernel.Anchor is null ? "" : anchor + ", then ")}the same pool pass with the running statistics (BatchNorm is not folded: the pool reads the planes anyway)"
            : "inference forward  as training (track_running_stats=False uses batch statistics), without running updates";
        yield return $"backward           pass 0: {pool.Kind} gradient at full resolution{(kernel.Activation is null ? "" : $", then the {LayerKinds.AttributeName(kernel.Activation.Kind)} gradient at the recomputed z * scale + shift")}";
        yield return "                   pass 1: BatchNorm sums; pass 2: BatchNorm input gradient";
        if (kernel.Anchor is not null)
        {
            yield return $"                   then the {kernel.Anchor.Kind} {(kernel.Anchor.Bias ? "weight/bias gradients" : "weight gradient")} and the input gradient";
        }

        yield return $"saved for backward kernel input {Shapes.Format(kernel.InputShape)}{(kernel.Anchor is null ? "" : $", {anchor} output {Shapes.Format(kernel.NormShape)}")}, batch mean and 1/sqrt(var + eps)" +
                     (pool.Kind == LayerKind.MaxPool2d ? $", arg-max per output {Shapes.Format(kernel.OutputShape)}" : "");
    }

    /// <summary>Kernels with a skip connection: BatchNorm-apply + add + activation in one pass, both directions.</summary>
    private static IEnumerable<string> ResidualSteps(KernelPlan kernel, string anchor)
    {
        LayerSpec residual = kernel.Residual!;
        string from = kernel.SkipFromInput ? "the model input" : "'" + residual.From + "'";
        string act = kernel.Activation is null ? "" : " + " + LayerKinds.AttributeName(kernel.Activation.Kind);
        string bn = kernel.Norm is null ? "" : "BatchNorm apply + ";
        string projection = residual.Projection ? $"; the skip runs its 1x1 convolution{(kernel.Anchor is null ? "" : " too")} (with its BatchNorm's statistics)" : "";
        if (kernel.Anchor is not null)
        {
            yield return $"training forward   pass 1: {anchor}{(kernel.Norm is null ? "" : " with per-channel batch statistics in the epilogue")}{projection}";
            string fusion = kernel.Norm is not null && kernel.Activation?.Kind == LayerKind.ReLU ? " (cuDNN's BN-add-ReLU fusion, on the CPU)" : "";
            yield return $"                   pass 2: {bn}add {from}{act}, one pass{fusion}";
        }
        else
        {
            yield return $"training forward   pass 1: {bn}add {from}{act}, one pass{(kernel.Norm is null ? "" : " (after the per-channel statistics)")}{projection}";
        }

        yield return kernel.Norm switch
        {
            null when residual.Projection => "inference forward  as training; the projection's BatchNorm uses its running statistics",
            null => "inference forward  as training (nothing in this kernel depends on the mode)",
            { TrackRunningStats: true } => "inference forward  as training, with running statistics (BatchNorm is not folded: the add needs its own pass anyway)",
            _ => "inference forward  as training (track_running_stats=False uses batch statistics), without running updates",
        };
        yield return $"backward           pass 0: gradient of the add's output{(kernel.Activation is null ? "" : " (pre-activation recomputed, nothing extra stored)")}, shared by both paths";
        if (kernel.Norm is not null)
        {
            yield return "                   pass 1: BatchNorm sums; pass 2: BatchNorm input gradient";
        }

        if (kernel.Anchor is not null)
        {
            yield return $"                   then the {kernel.Anchor.Kind} {(kernel.Anchor.Bias ? "weight/bias gradients" : "weight gradient")} and the input gradient";
        }

        yield return residual.Projection
            ? $"                   skip: projection BatchNorm and 1x1 convolution gradients; the input gradient is added to the gradient of {from}"
            : $"                   skip: the same gradient is added to the gradient of {from} once that is written";
        yield return $"saved for backward kernel input {Shapes.Format(kernel.InputShape)}{(kernel.Anchor is null ? "" : $", {anchor} output {Shapes.Format(kernel.NormShape)}")}" +
                     $"{(residual.Projection ? ", projection output" : "")}, the add's gradient for the skip";
    }

    /// <summary>Pooling and dropout kernels.</summary>
    private static IEnumerable<string> OpSteps(KernelPlan kernel)
    {
        switch (kernel.Op!.Kind)
        {
            case LayerKind.MaxPool2d:
                yield return "forward            pass 1: window maximum, vectorised over output columns; the arg-max (int) of each output is kept";
                yield return "backward           pass 1: route each gradient to its arg-max (a scatter; overlapping windows add)";
                yield return $"saved for backward arg-max per output {Shapes.Format(kernel.OutputShape)} (no activations)";
                break;
            case LayerKind.AvgPool2d:
                yield return "forward            pass 1: window mean, vectorised over output columns";
                yield return "backward           pass 1: spread each gradient evenly over its window";
                yield return "saved for backward nothing";
                break;
            case LayerKind.AdaptiveAvgPool2d:
                yield return "forward            pass 1: mean of each channel plane";
                yield return "backward           pass 1: each plane receives its gradient / (H * W)";
                yield return "saved for backward nothing";
                break;
            default:
                yield return "training forward   pass 1: mask from a counter-based generator keyed by (Seed, Step, element), y = x * mask / (1 - p)";
                yield return "inference forward  identity (a copy)";
                yield return "backward           pass 1: dx = dy * the same mask";
                yield return $"saved for backward the mask multipliers {Shapes.Format(kernel.OutputShape)}";
                break;
        }
    }

    /// <summary>Kernels whose activation is not ReLU: the gradient needs the pre-activation, recomputed or kept.</summary>
    private static IEnumerable<string> SmoothActivationSteps(KernelPlan kernel, string anchor, string plusActivation)
    {
        string name = LayerKinds.AttributeName(kernel.Activation!.Kind);
        const string Recompute = "(pre-activation recomputed as z * scale + shift, so it is not stored)";
        if (kernel.Anchor is not null && kernel.Norm is not null)
        {
            yield return $"training forward   pass 1: {anchor} with per-channel batch statistics in the epilogue";
            yield return $"                   pass 2: BatchNorm apply{plusActivation}";
            yield return kernel.Norm.TrackRunningStats
                ? $"inference forward  pass 1: {anchor} with BatchNorm folded into weight and bias, {name} epilogue on each tile while it is in cache"
                : "inference forward  as training (track_running_stats=False uses batch statistics), without running updates";
            yield return $"backward           pass 0: {name} gradient {Recompute}";
            yield return "                   pass 1: BatchNorm sums (sum dy, sum dy*xhat); pass 2: BatchNorm input gradient dz";
            yield return $"                   then the {kernel.Anchor.Kind} {(kernel.Anchor.Bias ? "weight/bias gradients" : "weight gradient")} and the input gradient";
            yield return $"saved for backward kernel input {Shapes.Format(kernel.InputShape)}, {anchor} output {Shapes.Format(kernel.NormShape)}, batch mean and 1/sqrt(var + eps)";
        }
        else if (kernel.Anchor is not null)
        {
            yield return $"training forward   pass 1: {anchor} (its output, the pre-activation, is kept); pass 2: {name}";
            yield return $"inference forward  pass 1: {anchor} with the {name} epilogue on each tile while it is in cache";
            yield return $"backward           pass 1: {name} gradient at the kept pre-activation, then the {kernel.Anchor.Kind} {(kernel.Anchor.Bias ? "weight/bias gradients" : "weight gradient")} and the input gradient";
            yield return $"saved for backward kernel input {Shapes.Format(kernel.InputShape)}, {anchor} output {Shapes.Format(kernel.NormShape)}";
        }
        else if (kernel.Norm is not null)
        {
            yield return "training forward   pass 1: per-channel statistics (two passes per plane, merged in sample order)";
            yield return $"                   pass 2: BatchNorm apply{plusActivation}";
            yield return kernel.Norm.TrackRunningStats
                ? $"inference forward  pass 1: BatchNorm apply{plusActivation} from the running statistics"
                : "inference forward  as training (track_running_stats=False uses batch statistics), without running updates";
            yield return $"backward           pass 0: {name} gradient {Recompute}";
            yield return "                   pass 1: BatchNorm sums; pass 2: input gradient";
            yield return $"saved for backward kernel input {Shapes.Format(kernel.InputShape)}, batch mean and 1/sqrt(var + eps)";
        }
        else
        {
            yield return $"forward            pass 1: {name}";
            yield return $"backward           pass 1: {name} gradient at the saved input";
            yield return $"saved for backward kernel input {Shapes.Format(kernel.InputShape)}";
        }
    }
}
