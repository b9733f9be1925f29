using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using B = FusedLayers.Generator.Planning.Buffers;

namespace FusedLayers.Generator.Planning;

/// <summary>
/// The rule for kernels with a skip connection: the anchor into <c>z</c> (with the BatchNorm's statistics in its
/// epilogue), the projection (its 1x1 convolution and BatchNorm constants) when the skip has one, then BatchNorm-apply +
/// add + activation as one pass (cuDNN's BN-add-ReLU fusion). The BatchNorm is not folded in inference: the add needs a
/// pass of its own anyway. Backward recomputes the pre-activation and hands the add's gradient to both paths.
/// </summary>
internal static class ResidualRule
{
    public static void Forward(RuleContext c, PassBuilder passes, bool train)
    {
        KernelPlan kernel = c.Kernel;
        LayerSpec? anchor = c.Anchor;
        LayerSpec? norm = c.Norm;
        LayerSpec residual = kernel.Residual!;
        bool batchStatistics = train || norm is { TrackRunningStats: false };
        string from = kernel.SkipFromInput ? "the model input" : $"'{residual.From}'";
        c.Describe(B.Skip, $"the skip source {from} {Shapes.Format(kernel.SkipShape)}");
        string main = B.X;
        if (anchor is not null)
        {
            bool stats = norm is not null && batchStatistics;
            passes.Pass(c.AnchorKernels + ".Forward", new[] { B.X, B.Weights }, stats ? new[] { B.Z, B.Stats } : new[] { B.Z },
                anchor.Name + (stats ? $", with {norm!.Name}'s per-channel batch statistics in the epilogue{(train && c.CanFreeze ? " (none when frozen)" : "")}" : ""));
            main = B.Z;
        }

        if (norm is not null)
        {
            if (batchStatistics)
            {
                if (anchor is null)
                {
                    BatchNormSteps.Statistics(c, passes, train);
                }

                BatchNormSteps.Freeze(c, passes, train);
                BatchNormSteps.BatchScaleShift(c, passes);
            }
            else
            {
                BatchNormSteps.RunningScaleShift(c, passes);
            }
        }

        string skip = B.Skip;
        if (residual.Projection)
        {
            c.Describe(B.ProjZ, $"the projection's 1x1 convolution output {Shapes.Format(kernel.NormShape)}");
            c.Describe(B.ProjStats, "the projection BatchNorm's batch mean and 1/sqrt(var + eps)");
            c.Describe(B.ProjScaleShift, "the projection BatchNorm's per-channel scale and shift");
            passes.Pass("Conv2dKernels.Forward", new[] { B.Skip, B.Weights }, train ? new[] { B.ProjZ, B.ProjStats } : new[] { B.ProjZ },
                $"{residual.Name}'s projection: 1x1 convolution of {from}{(train ? ", with its BatchNorm's batch statistics in the epilogue (none when frozen)" : "")}");
            if (train)
            {
                passes.Step("BatchNormKernels.UseRunningStatistics", new[] { B.Running }, new[] { B.ProjStats },
                    "the projection's BatchNorm in eval mode normalises with its running statistics", RuleContext.WhenProjectionFrozen);
            }

            passes.Step("BatchNormKernels.ScaleShift", new[] { train ? B.ProjStats : B.Running, B.Weights }, new[] { B.ProjScaleShift },
                $"the projection BatchNorm's scale and shift from the {(train ? "batch" : "running")} statistics");
            skip = B.ProjZ;
        }

        string[] reads = norm is null
            ? residual.Projection ? new[] { main, skip, B.ProjScaleShift } : new[] { main, skip }
            : residual.Projection ? new[] { main, B.ScaleShift, skip, B.ProjScaleShift } : new[] { main, B.ScaleShift, skip };
        string fusion = norm is not null && c.Activation?.Kind == LayerKind.ReLU ? " (cuDNN's BN-add-ReLU fusion, on the CPU)" : "";
        passes.Pass("ResidualKernels.Forward", reads, new[] { B.Y },
            $"one pass: {(norm is null ? "" : norm.Name + " apply + ")}add {from}{c.PlusActivation}{fusion}");
    }

    public static void Backward(RuleContext c, PassBuilder passes)
    {
        KernelPlan kernel = c.Kernel;
        LayerSpec? anchor = c.Anchor;
        LayerSpec? norm = c.Norm;
        LayerSpec residual = kernel.Residual!;
        string main = anchor is not null ? B.Z : B.X;
        string skip = residual.Projection ? B.ProjZ : B.Skip;
        c.Describe(B.Da, "the add's gradient, shared by both paths and kept until the skip source's gradient is complete");
        string[] reads = norm is null
            ? residual.Projection ? new[] { B.Dy, main, skip, B.ProjScaleShift } : new[] { B.Dy, main, skip }
            : residual.Projection ? new[] { B.Dy, main, B.ScaleShift, skip, B.ProjScaleShift } : new[] { B.Dy, main, B.ScaleShift, skip };
        passes.Pass("ResidualKernels.Backward", reads, new[] { B.Da },
            "gradient of the add's output" + (c.Activation is null ? "" : $" through {c.Activation.Name} ({c.ActivationName}, pre-activation recomputed, nothing extra stored)"));

        string gradient = B.Da;
        if (norm is not null)
        {
            string target = anchor is not null ? B.Dz : B.Dx;
            BatchNormSteps.Backward(c, passes, B.Da, mask: false, main, target, anchor is null ? c.InputGradientCondition : null);
            gradient = target;
        }
        else if (anchor is null)
        {
            passes.Pass("copy", new[] { B.Da }, new[] { B.Dx }, "the add's gradient is the input gradient", c.InputGradientCondition);
        }

        if (anchor is not null)
        {
            BatchNormSteps.AnchorBackward(c, passes, gradient);
        }

        if (residual.Projection)
        {
            const string Frozen = RuleContext.WhenProjectionFrozen;
            passes.Pass("BatchNormKernels.BackwardReduce", new[] { B.Da, B.ProjZ, B.ProjStats }, new[] { B.ProjSums }, $"{residual.Name}'s projection BatchNorm: sums");
            passes.Step("BatchNormKernels.Accumulate", new[] { B.ProjSums }, new[] { B.GammaGrad }, "d gamma += sum dy*xhat");
            passes.Step("BatchNormKernels.Accumulate", new[] { B.ProjSums }, new[] { B.BetaGrad }, "d beta += sum dy");
            passes.Step("BatchNormKernels.ConstantStatisticsBackward", new[] { B.ProjSums }, new[] { B.ProjSums }, "eval mode: dx = gamma / std * dy", Frozen);
            passes.Pass("BatchNormKernels.BackwardInput", new[] { B.Da, B.ProjZ, B.ProjStats, B.Weights, B.ProjSums }, new[] { B.ProjDz },
                "the projection BatchNorm's input gradient (the saved projection output stays intact)");
            passes.Pass("Conv2dKernels.BackwardParameters", new[] { B.Skip, B.ProjDz }, new[] { B.Gradients }, "the projection's weight gradient");
            passes.Pass("Conv2dKernels.BackwardInput", new[] { B.ProjDz, B.Weights }, new[] { B.SkipDx }, "the projection's input gradient, added to the skip source's gradient once that is written");
        }
    }
}
