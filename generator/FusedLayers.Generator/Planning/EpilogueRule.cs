using FusedLayers.Generator.Model;
using B = FusedLayers.Generator.Planning.Buffers;

namespace FusedLayers.Generator.Planning;

/// <summary>
/// The rule for kernels built from an optional anchor (Conv2d, Linear), an optional per-channel normalisation
/// (BatchNorm, BatchRenorm, a tracked InstanceNorm in inference), an optional activation and an optional pool:
/// <list type="bullet">
/// <item>anchor + activation: one pass, the activation in the anchor's epilogue (except a smooth activation in
/// training, whose backward needs the pre-activation: the anchor's output is kept, the activation is a second pass);</item>
/// <item>anchor + norm, batch statistics: the statistics in the anchor's epilogue, then the apply (+ activation);</item>
/// <item>anchor + norm, running statistics: folded into the anchor's weights, one pass; not folded before a pool, whose
/// pass reads the planes anyway;</item>
/// <item>a pool after the norm takes the apply (+ activation) as its per-plane prologue.</item>
/// </list>
/// </summary>
internal static class EpilogueRule
{
    public static void Forward(RuleContext c, PassBuilder passes, bool train, bool batchStatistics)
    {
        LayerSpec? anchor = c.Anchor;
        LayerSpec? norm = c.Norm;
        bool smooth = c.Kernel.HasSmoothActivation;
        if (anchor is not null)
        {
            string call = c.AnchorKernels + ".Forward";
            if (norm is null && smooth && train)
            {
                c.Describe(B.Z, $"{anchor.Name}'s output {Helpers.Shapes.Format(c.Kernel.NormShape)}, the pre-activation {c.ActivationName}'s backward needs");
                passes.Pass(call, new[] { B.X, B.Weights }, new[] { B.Z }, $"{anchor.Name}; its output is kept for {c.ActivationName}'s backward");
                passes.Pass("ActivationKernels.Forward", new[] { B.Z }, new[] { B.Y }, c.Activation!.Name + " (" + c.ActivationName + ")");
            }
            else if (norm is null)
            {
                passes.Pass(call, new[] { B.X, B.Weights }, new[] { B.Y },
                    anchor.Name + (c.Activation is null ? "" : $" with the {c.ActivationName} epilogue on each tile while it is in cache"));
            }
            else if (batchStatistics)
            {
                passes.Pass(call, new[] { B.X, B.Weights }, new[] { B.Z, B.Stats }, $"{anchor.Name}, with {norm.Name}'s per-channel batch statistics in the epilogue" +
                    (anchor.Kind == LayerKind.Conv2d ? " (each output plane's mean and squared deviations while the plane is in cache, merged per channel in sample order)" : " (float64, stable)") +
                    (train && c.CanFreeze ? "; none when frozen" : ""));
                BatchNormSteps.Freeze(c, passes, train);
                BatchNormSteps.BatchScaleShift(c, passes);
                Apply(c, passes, B.Z, train);
            }
            else if (c.Kernel.Pool is not null)
            {
                passes.Pass(call, new[] { B.X, B.Weights }, new[] { B.Z }, $"{anchor.Name} ({norm.Name} is not folded: the pool pass reads the planes anyway)");
                BatchNormSteps.RunningScaleShift(c, passes);
                Apply(c, passes, B.Z, train);
            }
            else
            {
                BatchNormSteps.RunningScaleShift(c, passes);
                c.Describe(B.Folded, $"{anchor.Name}'s weights and bias with {norm.Name} folded in, refolded on every call");
                passes.Step("BatchNormKernels.FoldIntoWeights", new[] { B.Weights, B.ScaleShift }, new[] { B.Folded },
                    $"{norm.Name} folded into {anchor.Name}'s weight and bias (refolded every call: later changes to weights or statistics are seen)");
                passes.Pass(call, new[] { B.X, B.Folded }, new[] { B.Y },
                    $"{anchor.Name} with {norm.Name} folded{(c.Activation is null ? "" : $", {c.ActivationName} epilogue on each tile while it is in cache")}");
            }
        }
        else if (norm is not null)
        {
            if (batchStatistics)
            {
                BatchNormSteps.Statistics(c, passes, train);
                BatchNormSteps.Freeze(c, passes, train);
                BatchNormSteps.BatchScaleShift(c, passes);
            }
            else
            {
                BatchNormSteps.RunningScaleShift(c, passes);
            }

            Apply(c, passes, B.X, train);
        }
        else if (smooth)
        {
            passes.Pass("ActivationKernels.Forward", new[] { B.X }, new[] { B.Y }, c.Activation!.Name + " (" + c.ActivationName + ")");
        }
        else
        {
            passes.Pass("ActivationKernels.Relu", new[] { B.X }, new[] { B.Y }, c.Activation!.Name + " (ReLU)");
        }
    }

    /// <summary>The normalisation's apply (+ activation), alone or as a pool's per-plane prologue.</summary>
    private static void Apply(RuleContext c, PassBuilder passes, string input, bool train)
    {
        LayerSpec norm = c.Norm!;
        if (c.Kernel.Pool is { } pool)
        {
            string comment = $"{pool.Name} ({pool.Kind}) with {norm.Name} apply{c.PlusActivation} as its per-plane prologue: each plane normalised in cache and pooled, the full-resolution activation never written";
            if (pool.Kind == LayerKind.MaxPool2d)
            {
                if (train)
                {
                    c.Describe(B.Indices, $"the arg-max (int) of each output {Helpers.Shapes.Format(c.Kernel.OutputShape)}");
                }

                passes.Pass("PoolKernels.MaxForward", new[] { input, B.ScaleShift }, train ? new[] { B.Y, B.Indices } : new[] { B.Y }, comment + (train ? "" : "; values only"));
            }
            else
            {
                passes.Pass("PoolKernels.AvgForward", new[] { input, B.ScaleShift }, new[] { B.Y }, comment);
            }

            return;
        }

        if (c.Kernel.HasSmoothActivation)
        {
            passes.Pass("ActivationKernels.Forward", new[] { input, B.ScaleShift }, new[] { B.Y }, $"{norm.Name} apply{c.PlusActivation}");
        }
        else
        {
            passes.Pass("BatchNormKernels.Apply", new[] { input, B.ScaleShift }, new[] { B.Y }, $"{norm.Name} apply{c.PlusActivation}");
        }
    }

    public static void Backward(RuleContext c, PassBuilder passes)
    {
        LayerSpec? anchor = c.Anchor;
        LayerSpec? norm = c.Norm;
        bool mask = c.Activation?.Kind == LayerKind.ReLU && c.Kernel.Pool is null;
        if (mask)
        {
            c.Describe(B.Y, $"kernel output {Helpers.Shapes.Format(c.Kernel.OutputShape)} (its sign is the ReLU mask)");
        }

        string gradient = B.Dy;
        string normInput = norm is null ? "" : anchor is not null ? B.Z : B.X;
        const string Recomputed = "at the recomputed pre-activation z * scale + shift (it was never stored)";
        if (c.Kernel.Pool is { } pool)
        {
            passes.Pass(pool.Kind == LayerKind.MaxPool2d ? "PoolKernels.MaxBackward" : "PoolKernels.AvgBackward",
                pool.Kind == LayerKind.MaxPool2d ? new[] { B.Dy, B.Indices } : new[] { B.Dy }, new[] { B.Dz },
                pool.Kind == LayerKind.MaxPool2d ? $"{pool.Name}: each output's gradient to its window's arg-max, at full resolution" : $"{pool.Name}: each output's gradient spread over its window, at full resolution");
            if (c.Activation is not null)
            {
                passes.Pass("ActivationKernels.Backward", new[] { B.Dz, normInput, B.ScaleShift }, new[] { B.Dz }, $"{c.Activation.Name}: dy * {c.ActivationName}'(pre-activation) {Recomputed}");
            }

            gradient = B.Dz;
        }
        else if (c.Kernel.HasSmoothActivation)
        {
            string preActivation = norm is not null ? normInput : anchor is not null ? B.Z : B.X;
            bool alone = anchor is null && norm is null;
            string at = norm is not null ? Recomputed : anchor is not null ? "at the kept anchor output" : "at the kept input";
            passes.Pass("ActivationKernels.Backward", norm is not null ? new[] { B.Dy, preActivation, B.ScaleShift } : new[] { B.Dy, preActivation },
                new[] { alone ? B.Dx : B.Dz }, $"{c.Activation!.Name}: dy * {c.ActivationName}'(pre-activation) {at}", alone ? c.InputGradientCondition : null);
            gradient = alone ? B.Dx : B.Dz;
        }

        if (norm is not null)
        {
            string target = anchor is not null ? B.Dz : B.Dx;
            BatchNormSteps.Backward(c, passes, gradient, mask, normInput, target, anchor is null ? c.InputGradientCondition : null);
            gradient = target;
        }
        else if (c.Activation is not null && !c.Kernel.HasSmoothActivation)
        {
            string target = anchor is not null ? B.Dz : B.Dx;
            passes.Pass("ActivationKernels.ReluBackward", new[] { B.Dy, B.Y }, new[] { target }, $"{c.Activation.Name}: dy where the output is positive", anchor is null ? c.InputGradientCondition : null);
            gradient = target;
        }

        if (anchor is not null)
        {
            BatchNormSteps.AnchorBackward(c, passes, gradient);
        }
    }
}
