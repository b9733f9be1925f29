using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using B = FusedLayers.Generator.Planning.Buffers;

namespace FusedLayers.Generator.Planning;

/// <summary>The per-channel BatchNorm / BatchRenorm steps the kernel rules share, forward and backward.</summary>
internal static class BatchNormSteps
{
    /// <summary>
    /// The per-channel batch statistics of a BatchNorm with no anchor in front (whose epilogue would take them), skipped
    /// by a frozen BatchNorm in a training-style pass.
    /// </summary>
    public static void Statistics(RuleContext c, PassBuilder passes, bool train) =>
        passes.Pass("BatchNormKernels.Statistics", new[] { B.X }, new[] { B.Stats },
            $"{c.Norm!.Name}'s per-channel batch statistics (two passes per plane, merged in sample order)", train && c.CanFreeze ? RuleContext.UnlessFrozen : null);

    /// <summary>A frozen BatchNorm's statistics buffers take its running statistics (training-style passes only).</summary>
    public static void Freeze(RuleContext c, PassBuilder passes, bool train)
    {
        if (train && c.CanFreeze)
        {
            passes.Step("BatchNormKernels.UseRunningStatistics", new[] { B.Running }, new[] { B.Stats },
                "a BatchNorm in eval mode normalises with its running statistics", RuleContext.WhenFrozen);
        }
    }

    /// <summary>The per-channel scale and shift from the batch statistics (BatchRenorm: with r and d).</summary>
    public static void BatchScaleShift(RuleContext c, PassBuilder passes)
    {
        c.Describe(B.Stats, $"batch mean and 1/sqrt(var + eps) [{Shapes.Inv(c.Kernel.NormShape[0])}]");
        c.Describe(B.ScaleShift, "per-channel gamma/std and beta - mean*gamma/std");
        if (c.IsRenorm)
        {
            c.Describe(B.RenormRD, "BatchRenorm's r = clip(sigma_B / sigma, 1/r_max, r_max) and d = clip((mu_B - mu) / sigma, -d_max, d_max)");
            passes.Step("BatchRenormKernels.TrainingScaleShift", new[] { B.Stats, B.Running, B.Weights }, new[] { B.ScaleShift, B.RenormRD },
                "r and d per channel; gamma * ((x - mu_B) / sigma_B * r + d) + beta as one scale and shift");
            return;
        }

        passes.Step("BatchNormKernels.ScaleShift", new[] { B.Stats, B.Weights }, new[] { B.ScaleShift }, "scale and shift from the batch statistics");
    }

    /// <summary>The per-channel scale and shift from the running statistics.</summary>
    public static void RunningScaleShift(RuleContext c, PassBuilder passes)
    {
        c.Describe(B.ScaleShift, "per-channel gamma/std and beta - mean*gamma/std");
        if (c.IsRenorm)
        {
            passes.Step("BatchRenormKernels.InferenceScaleShift", new[] { B.Running, B.Weights }, new[] { B.ScaleShift },
                "gamma * (x - mu) / sigma + beta from the moving averages");
            return;
        }

        passes.Step("BatchNormKernels.ScaleShift", new[] { B.Running, B.Weights }, new[] { B.ScaleShift }, "scale and shift from the running statistics");
    }

    /// <summary>
    /// BatchNorm's backward over <paramref name="gradient"/>: the sums (with the ReLU mask when <paramref name="mask"/>),
    /// gamma and beta gradients, then the input gradient into <paramref name="target"/>.
    /// </summary>
    public static void Backward(RuleContext c, PassBuilder passes, string gradient, bool mask, string normInput, string target, string? condition)
    {
        LayerSpec norm = c.Norm!;
        string[] reads = mask ? new[] { gradient, B.Y, normInput, B.Stats } : new[] { gradient, normInput, B.Stats };
        passes.Pass("BatchNormKernels.BackwardReduce", reads, new[] { B.Sums },
            (mask ? "ReLU mask + " : "") + "sums: sum dy (= d beta) and sum dy*xhat" + (c.IsRenorm ? " (xhat of the batch statistics)" : " (= d gamma)") +
            (c.CanFreeze ? "; local when frozen (no synchronised-BatchNorm collective)" : ""));
        if (norm.Affine && c.IsRenorm)
        {
            passes.Step("BatchRenormKernels.AccumulateParameterGradients", new[] { B.RenormRD, B.Sums }, new[] { B.Gradients }, "d gamma = r * sum dy*xhat + d * sum dy, d beta = sum dy");
        }
        else if (norm.Affine)
        {
            passes.Step("BatchNormKernels.Accumulate", new[] { B.Sums }, new[] { B.GammaGrad }, "d gamma += sum dy*xhat");
            passes.Step("BatchNormKernels.Accumulate", new[] { B.Sums }, new[] { B.BetaGrad }, "d beta += sum dy");
        }

        if (c.CanFreeze)
        {
            passes.Step("BatchNormKernels.ConstantStatisticsBackward", new[] { B.Sums }, new[] { B.Sums },
                "eval mode: the sums are cleared, so dx = gamma / std * dy", RuleContext.WhenFrozen);
        }

        string gamma = B.Weights;
        if (c.IsRenorm)
        {
            gamma = "gamma*r";
            passes.Step("BatchRenormKernels.EffectiveGamma", new[] { B.Weights, B.RenormRD }, new[] { gamma }, "r and d are constants in backward: BatchNorm's input gradient with gamma * r");
        }

        string[] inputReads = mask ? new[] { gradient, B.Y, normInput, B.Stats, gamma, B.Sums } : new[] { gradient, normInput, B.Stats, gamma, B.Sums };
        passes.Pass("BatchNormKernels.BackwardInput", inputReads, new[] { target },
            $"input gradient {(c.IsRenorm ? "gamma*r" : "gamma")}/std * (dy - mean(dy) - xhat * mean(dy*xhat))", condition);
    }

    /// <summary>The anchor's weight (and bias) gradients, then its input gradient.</summary>
    public static void AnchorBackward(RuleContext c, PassBuilder passes, string gradient)
    {
        LayerSpec anchor = c.Anchor!;
        passes.Pass(c.AnchorKernels + ".BackwardParameters", new[] { B.X, gradient }, new[] { B.Gradients },
            $"{anchor.Name}: {(anchor.Bias ? "weight and bias gradients" : "weight gradient (no bias)")}");
        passes.Pass(c.AnchorKernels + ".BackwardInput", new[] { gradient, B.Weights }, new[] { B.Dx }, $"{anchor.Name}: the gradient of its input", c.InputGradientCondition);
    }
}
