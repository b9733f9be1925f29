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

            foreach (string line in SchedulePrinter.Lines(plan.Schedule.Kernels[kernel.Index]))
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

    /// <summary>
    /// The direct lowering of a convolution or linear layer, and why: for a convolution from the shared
    /// <see cref="FusedLayers.ConvLoweringRule"/> (linked into the runtime, whose engine dispatches on it), forward and
    /// input gradient.
    /// </summary>
    private static string DirectAlgorithm(LayerSpec anchor)
    {
        if (anchor.Kind == LayerKind.Linear)
        {
            return "GEMM on a register-blocked micro-kernel (weight packed transposed per call: O(weights), small next to O(N * weights))";
        }

        FusedLayers.ConvLoweringKind forward = FusedLayers.ConvLoweringRule.Forward(anchor.InChannels, anchor.Groups, anchor.Stride);
        FusedLayers.ConvLoweringKind gradient = FusedLayers.ConvLoweringRule.InputGradient(anchor.InChannels, anchor.Groups, anchor.Stride);
        string text = forward switch
        {
            FusedLayers.ConvLoweringKind.Depthwise => FusedLayers.ConvLoweringRule.Describe(forward),
            _ when anchor.Groups > 1 =>
                $"one GEMM per channel group ({Shapes.Inv(anchor.Groups)} groups of {Shapes.Inv(anchor.InChannels / anchor.Groups)} -> {Shapes.Inv(anchor.OutChannels / anchor.Groups)} channels)" +
                (forward == FusedLayers.ConvLoweringKind.ImplicitGemm ? ", implicit (shifted planes)" : ", im2col"),
            FusedLayers.ConvLoweringKind.ImplicitGemm when anchor.Dilation > 1 =>
                $"implicit GEMM with dilation {Shapes.Inv(anchor.Dilation)}: each (ci, ky, kx) row is the zero-padded input shifted by d*(ky*Wp + kx)",
            FusedLayers.ConvLoweringKind.Im2colGemm => $"stride {Shapes.Inv(anchor.Stride)}" + (anchor.Dilation > 1 ? $", dilation {Shapes.Inv(anchor.Dilation)}" : "") +
                                                       ": " + FusedLayers.ConvLoweringRule.Describe(forward),
            _ => FusedLayers.ConvLoweringRule.Describe(forward),
        };
        return gradient == forward
            ? text
            : text + "; input gradient: " + (gradient == FusedLayers.ConvLoweringKind.ImplicitGemm
                ? "a stride-1 implicit GEMM over the spread, padded output gradient with rotated weights"
                : FusedLayers.ConvLoweringRule.Describe(gradient));
    }
}
