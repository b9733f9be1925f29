using System.Collections.Generic;
using System.Linq;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using FusedLayers.Generator.Planning;

namespace FusedLayers.Generator.Emit;

/// <summary>The backward pass: kernels in reverse, each fusing the ReLU mask with the BatchNorm reductions.</summary>
internal static partial class ModelEmitter
{
    /// <summary>A Backward consumes the saved pass (PyTorch frees the graph) unless the caller keeps it.</summary>
    private static void WritePassUsed(CodeWriter w)
    {
        w.Line("if (!retainGraph)");
        w.OpenBrace();
        w.Line("_flSavedPass = global::FusedLayers.ModelChecks.PassUsed;");
        w.CloseBrace();
    }

    private static void WriteBackward(CodeWriter w, ModelSpec spec, List<KernelNames> kernels)
    {
        string?[] hooks = GradientHooks(spec, kernels);
        w.Line("/// <inheritdoc />");
        w.Line($"public void Backward({ReadOnlySpan} gradOutput, {Span} gradInput, bool retainGraph = false)");
        w.OpenBrace();
        WriteGuardEnter(w, "Backward");
        w.Line("global::FusedLayers.ModelChecks.BackwardReady(_flModelName, _flSavedPass, _flSavedBatch, gradOutput.Length, s_flOutputShape);");
        w.Line("global::FusedLayers.ModelChecks.GradInputLength(_flModelName, gradInput.Length, _flSavedBatch, s_flInputShape);");
        w.Line("_flBackward(gradOutput, gradInput, true);");
        WritePassUsed(w);
        WriteGuardExit(w);
        w.CloseBrace();
        w.Line();
        w.Line("/// <inheritdoc />");
        w.Line($"public void Backward({ReadOnlySpan} gradOutput, bool retainGraph = false)");
        w.OpenBrace();
        WriteGuardEnter(w, "Backward");
        w.Line("global::FusedLayers.ModelChecks.BackwardReady(_flModelName, _flSavedPass, _flSavedBatch, gradOutput.Length, s_flOutputShape);");
        w.Line("_flBackward(gradOutput, default, false);");
        WritePassUsed(w);
        WriteGuardExit(w);
        w.CloseBrace();
        w.Line();
        w.Line("/// <inheritdoc />");
        w.Line("public global::FusedLayers.Tensor Backward(global::FusedLayers.Tensor gradOutput, bool retainGraph = false) => global::FusedLayers.ModelTensors.Backward(this, gradOutput, retainGraph);");
        w.Line();
        w.Line("/// <summary>Backward through the saved training forward; parameter gradients accumulate.</summary>");
        w.Line($"private void _flBackward({ReadOnlySpan} gradOutput, {Span} gradInput, bool inputGradient)");
        w.OpenBrace();
        w.Line("int batch = _flSavedBatch;");
        if (kernels.Count == 0)
        {
            w.Line("if (inputGradient)");
            w.OpenBrace();
            w.Line("gradOutput.CopyTo(gradInput);");
            w.CloseBrace();
        }

        WriteBody(w, (w, scope) =>
        {
            for (int i = kernels.Count - 1; i >= 0; i--)
            {
                w.Line();
                WriteKernelBackward(w, scope, kernels, i);
                if (hooks[i] is { } hook)
                {
                    w.Line(hook);
                }

                // The source of a skip connection gets the skip path's gradient on top of what this kernel wrote.
                foreach (KernelNames r in kernels.Where(r => r.HasResidual && !r.SkipFromInput && r.Kernel.SkipKernel == i - 1))
                {
                    KernelNames source = kernels[i - 1];
                    string gradient = r.HasProjection ? scope.Get(r.SkipDx, r.SkipLength) : scope.Get(r.Da, r.NormLength);
                    w.Line($"// '{source.Kernel.Layers().Last().Name}' also feeds {r.Kernel.Residual!.Name}: add the skip path's gradient.");
                    w.Line($"{Kernels}ResidualKernels.Accumulate(in context, {gradient}, {scope.Get(source.Dy, source.OutputLength)});");
                }
            }

            // A skip connection from the model input: its gradient joins the input gradient once kernel 0 has written it.
            foreach (KernelNames r in kernels.Where(r => r.HasResidual && r.SkipFromInput))
            {
                string gradient = r.HasProjection ? scope.Get(r.SkipDx, r.SkipLength) : scope.Get(r.Da, r.NormLength);
                w.Line();
                w.Line($"// The model input also feeds {r.Kernel.Residual!.Name}: add the skip path's gradient to the input gradient.");
                w.Line("if (inputGradient)");
                w.OpenBrace();
                w.Line($"{Kernels}ResidualKernels.Accumulate(in context, {gradient}, gradInput);");
                w.CloseBrace();
            }
        });

        w.CloseBrace();
        w.Line();
    }

    private static void WriteKernelBackward(CodeWriter w, SliceScope scope, List<KernelNames> kernels, int i)
    {
        KernelNames k = kernels[i];
        KernelPlan kernel = k.Kernel;
        LayerSpec? anchor = kernel.Anchor;
        LayerSpec? norm = kernel.Norm;
        string dy = k.IsLast ? "gradOutput" : scope.Get(k.Dy, k.OutputLength);
        string x = i == 0 ? (k.NeedsSavedInput ? scope.Get("_flInput", k.InputLength) : "") : scope.Get(kernels[i - 1].Y, k.InputLength);
        string dx = i == 0 ? "gradInput" : scope.Get(kernels[i - 1].Dy, k.InputLength);
        string mask = kernel.Activation?.Kind == LayerKind.ReLU && kernel.Pool is null ? scope.Get(k.Y, k.OutputLength) : "default";
        string c = Shapes.Inv(k.Channels);
        string s = Shapes.Inv(k.Spatial);
        w.Line($"// Kernel {Shapes.Inv(kernel.Index)} backward: {string.Join(" <- ", kernel.Layers().Reverse().Select(l => l.Name))}.");
        if (kernel.Residual is not null)
        {
            WriteResidualBackward(w, scope, kernels, i, dy, x, dx);
            return;
        }

        if (kernel.Op is not null)
        {
            string call = kernel.Op.Kind switch
            {
                LayerKind.MaxPool2d =>
                    $"{Kernels}PoolKernels.MaxBackward(in context, in {k.Geometry}, batch, {dy}, new global::System.ReadOnlySpan<int>({k.Indices}, 0, batch * {Shapes.Inv(k.OutputLength)}), {dx});",
                LayerKind.AvgPool2d => $"{Kernels}PoolKernels.AvgBackward(in context, in {k.Geometry}, batch, {Bool(kernel.Op.CountIncludePad)}, {dy}, {dx});",
                LayerKind.AdaptiveAvgPool2d => $"{Kernels}PoolKernels.GlobalAvgBackward(in context, batch, {c}, {s}, {dy}, {dx});",
                _ => $"{Kernels}DropoutKernels.Backward(in context, {dy}, new global::System.ReadOnlySpan<float>({k.Mask}, 0, batch * {Shapes.Inv(k.OutputLength)}), {dx});",
            };
            w.Line(kernel.Op.Kind switch
            {
                LayerKind.MaxPool2d => "// Each output's gradient goes to its window's arg-max (overlapping windows add up).",
                LayerKind.Dropout => "// The forward mask again: dx = dy * mask / (1 - p).",
                _ => "// Each output's gradient is spread evenly over its window.",
            });
            WriteGuarded(w, i == 0, call);
            return;
        }

        if (k.IsRowNorm)
        {
            WriteRowNormBackward(w, scope, k, dy, x, dx, i);
            return;
        }

        // The gradient that reaches the anchor (or the kernel input when there is no anchor).
        string dz = dy;
        string normInput = norm is null ? "" : anchor is not null ? scope.Get(k.Z, k.NormLength) : x;
        if (kernel.Pool is { } pool)
        {
            // The pool's gradient at full resolution, then the activation's at the recomputed pre-activation.
            string full = scope.Get(k.Dz, k.NormLength);
            w.Line(pool.Kind == LayerKind.MaxPool2d
                ? $"// Pass 0: {pool.Name}: each output's gradient to its window's arg-max."
                : $"// Pass 0: {pool.Name}: each output's gradient spread evenly over its window.");
            w.Line(pool.Kind == LayerKind.MaxPool2d
                ? $"{Kernels}PoolKernels.MaxBackward(in context, in {k.FusedPoolGeometry}, batch, {dy}, new global::System.ReadOnlySpan<int>({k.Indices}, 0, batch * {Shapes.Inv(k.OutputLength)}), {full});"
                : $"{Kernels}PoolKernels.AvgBackward(in context, in {k.FusedPoolGeometry}, batch, {Bool(pool.CountIncludePad)}, {dy}, {full});");
            if (kernel.Activation is not null)
            {
                w.Line($"// {kernel.Activation.Name}: dy * {k.ActivationName}'(z * scale + shift), BatchNorm's output recomputed (it was never stored).");
                w.Line($"{Kernels}ActivationKernels.Backward(in context, {k.ActivationExpression}, batch, {c}, {s}, {full}, {normInput}, {k.Scale}, {k.Shift}, {full});");
            }

            dy = full;
            dz = full;
        }
        else if (kernel.HasSmoothActivation)
        {
            // Smooth activations need the pre-activation, recomputed from what forward saved.
            string activation = $"{Field(kernel.Activation!)}.Activation";
            string preActivation = norm is not null ? normInput : anchor is not null ? scope.Get(k.Z, k.NormLength) : x;
            string scaleShift = norm is not null ? $"{k.Scale}, {k.Shift}" : "default, default";
            string target = anchor is null && norm is null ? dx : scope.Get(k.Dz, k.NormLength);
            string at = norm is not null ? " (z * scale + shift, BatchNorm's output recomputed)" : anchor is not null ? " (the saved anchor output)" : " (the saved input)";
            w.Line($"// {(norm is not null ? "Pass 0: " : "")}{kernel.Activation!.Name}: dy * {k.ActivationName}'(pre-activation){at}.");
            WriteGuarded(w, anchor is null && norm is null && i == 0,
                $"{Kernels}ActivationKernels.Backward(in context, {activation}, batch, {Shapes.Inv(k.Channels)}, {Shapes.Inv(k.Spatial)}, {dy}, {preActivation}, {scaleShift}, {target});");
            dy = target;
            dz = target;
        }

        if (norm is not null)
        {
            string bn = Field(norm);
            string gamma = norm.Affine ? $"{bn}.Weight!.Data" : "default";
            w.Line($"// Pass 1: {(mask == "default" ? "" : "ReLU mask + ")}{norm.Name} sums: sum dy (= d beta) and sum dy*xhat " +
                   (k.IsRenorm ? "(xhat of the batch statistics; d gamma = r * it + d * sum dy)." : "(= d gamma)."));
            w.Line($"{Kernels}BatchNormKernels.BackwardReduce({ReduceContext(k)}, batch, {c}, {s}, {dy}, {mask}, {normInput}, {k.Mean}, {k.InvStd}, {k.SumDy}, {k.SumDyXhat});");
            if (norm.Affine && k.IsRenorm)
            {
                w.Line($"{Kernels}BatchRenormKernels.AccumulateParameterGradients({k.R}, {k.D}, {k.SumDy}, {k.SumDyXhat}, {bn}.Weight!.GradTarget, {bn}.Bias!.GradTarget);");
            }
            else if (norm.Affine)
            {
                w.Line($"{Kernels}BatchNormKernels.Accumulate({bn}.Weight!.GradTarget, {k.SumDyXhat});");
                w.Line($"{Kernels}BatchNormKernels.Accumulate({bn}.Bias!.GradTarget, {k.SumDy});");
            }

            WriteConstantStatistics(w, k);
            if (k.IsRenorm)
            {
                w.Line($"// r and d are constants in backward: the input gradient is BatchNorm's with gamma * r.");
                w.Line($"{Kernels}BatchRenormKernels.EffectiveGamma({gamma}, {k.R}, {k.GammaR});");
                gamma = k.GammaR;
            }

            string target = anchor is not null ? scope.Get(k.Dz, k.NormLength) : dx;
            string call = $"{Kernels}BatchNormKernels.BackwardInput(in context, batch, {c}, {s}, {dy}, {mask}, {normInput}, {k.Mean}, {k.InvStd}, {gamma}, {k.SumDy}, {k.SumDyXhat}, {target});";
            w.Line($"// Pass 2: gradient through {norm.Name}: {(k.IsRenorm ? "gamma*r" : "gamma")}/std * (dy - mean(dy) - xhat * mean(dy*xhat)).");
            WriteGuarded(w, anchor is null && i == 0, call);
            dz = target;
        }
        else if (kernel.Activation is not null && !kernel.HasSmoothActivation)
        {
            string target = anchor is not null ? scope.Get(k.Dz, k.NormLength) : dx;
            WriteGuarded(w, anchor is null && i == 0, $"{Kernels}ActivationKernels.ReluBackward(in context, {dy}, {mask}, {target});");
            dz = target;
        }

        if (anchor is null)
        {
            return;
        }

        string anchorKernels = Kernels + (anchor.Kind == LayerKind.Conv2d ? "Conv2dKernels" : "LinearKernels");
        string biasGrad = anchor.Bias ? $"{Field(anchor)}.Bias!.GradTarget" : "default";
        w.Line($"// {anchor.Name}: {(anchor.Bias ? "weight and bias gradients" : "weight gradient (no bias)")}, then the gradient of its input.");
        w.Line($"{anchorKernels}.BackwardParameters(in context, in {k.Geometry}, batch, {x}, {dz}, {Field(anchor)}.Weight.GradTarget, {biasGrad});");
        WriteGuarded(w, i == 0, $"{anchorKernels}.BackwardInput({AnchorContext(anchor)}, in {k.Geometry}, batch, {dz}, {Field(anchor)}.Weight.Data, {dx});");
    }

    /// <summary>
    /// Backward of a kernel with a skip connection: the gradient of the add's output (activation gradient at the
    /// recomputed pre-activation) into Da, then the main path (BatchNorm, anchor) and the projection from it. An
    /// identity skip's gradient is Da itself, added to the source's gradient once that is written.
    /// </summary>
    private static void WriteResidualBackward(CodeWriter w, SliceScope scope, List<KernelNames> kernels, int i, string dy, string x, string dx)
    {
        KernelNames k = kernels[i];
        KernelPlan kernel = k.Kernel;
        LayerSpec? anchor = kernel.Anchor;
        LayerSpec? norm = kernel.Norm;
        LayerSpec residual = kernel.Residual!;
        string c = Shapes.Inv(k.Channels);
        string s = Shapes.Inv(k.Spatial);
        string main = anchor is not null ? scope.Get(k.Z, k.NormLength) : x;
        string skip = k.SkipFromInput
            ? scope.Get("_flInput", kernels[0].InputLength)
            : scope.Get(kernels[kernel.SkipKernel].Y, kernels[kernel.SkipKernel].OutputLength);
        string skipOperand = k.HasProjection ? scope.Get(k.ProjZ, k.NormLength) : skip;
        string projScaleShift = k.HasProjection ? $"{k.ProjScale}, {k.ProjShift}" : "default, default";
        string scaleShift = norm is null ? "default, default" : $"{k.Scale}, {k.Shift}";
        string da = scope.Get(k.Da, k.NormLength);
        w.Line($"// Pass 0: gradient of the add's output{(kernel.Activation is null ? "" : $" through {kernel.Activation.Name} ({k.ActivationName}, pre-activation recomputed)")}; it flows into both paths.");
        w.Line($"{Kernels}ResidualKernels.Backward(in context, {k.ActivationExpression}, batch, {c}, {s}, {dy}, {main}, {scaleShift}, {skipOperand}, {projScaleShift}, {da});");

        string dz = da;
        if (norm is not null)
        {
            string bn = Field(norm);
            string gamma = norm.Affine ? $"{bn}.Weight!.Data" : "default";
            w.Line($"// {norm.Name}: sums, then its input gradient.");
            w.Line($"{Kernels}BatchNormKernels.BackwardReduce({ReduceContext(k)}, batch, {c}, {s}, {da}, default, {main}, {k.Mean}, {k.InvStd}, {k.SumDy}, {k.SumDyXhat});");
            if (norm.Affine)
            {
                w.Line($"{Kernels}BatchNormKernels.Accumulate({bn}.Weight!.GradTarget, {k.SumDyXhat});");
                w.Line($"{Kernels}BatchNormKernels.Accumulate({bn}.Bias!.GradTarget, {k.SumDy});");
            }

            WriteConstantStatistics(w, k);
            string target = anchor is not null ? scope.Get(k.Dz, k.NormLength) : dx;
            WriteGuarded(w, anchor is null && i == 0,
                $"{Kernels}BatchNormKernels.BackwardInput(in context, batch, {c}, {s}, {da}, default, {main}, {k.Mean}, {k.InvStd}, {gamma}, {k.SumDy}, {k.SumDyXhat}, {target});");
            dz = target;
        }
        else if (anchor is null)
        {
            WriteGuarded(w, i == 0, $"{da}.CopyTo({dx});");
        }

        if (anchor is not null)
        {
            string anchorKernels = Kernels + (anchor.Kind == LayerKind.Conv2d ? "Conv2dKernels" : "LinearKernels");
            string biasGrad = anchor.Bias ? $"{Field(anchor)}.Bias!.GradTarget" : "default";
            w.Line($"// {anchor.Name}: {(anchor.Bias ? "weight and bias gradients" : "weight gradient (no bias)")}, then the gradient of its input.");
            w.Line($"{anchorKernels}.BackwardParameters(in context, in {k.Geometry}, batch, {x}, {dz}, {Field(anchor)}.Weight.GradTarget, {biasGrad});");
            WriteGuarded(w, i == 0, $"{anchorKernels}.BackwardInput({AnchorContext(anchor)}, in {k.Geometry}, batch, {dz}, {Field(anchor)}.Weight.Data, {dx});");
        }

        if (k.HasProjection)
        {
            string layer = Field(residual);
            string projZ = scope.Get(k.ProjZ, k.NormLength);
            string projDz = scope.Get(k.ProjDz, k.NormLength);
            w.Line($"// {residual.Name}'s projection: its BatchNorm (gradient into {(k.ProjectionGradientInDz ? "the anchor's gradient buffer, free again" : "its own buffer")}; the saved input stays intact), then the 1x1 convolution.");
            w.Line($"{Kernels}BatchNormKernels.BackwardReduce({k.ProjFrozen} ? context.Local : context, batch, {c}, {s}, {da}, default, {projZ}, {k.ProjMean}, {k.ProjInvStd}, {k.ProjSumDy}, {k.ProjSumDyXhat});");
            w.Line($"{Kernels}BatchNormKernels.Accumulate({layer}.ProjectionNorm!.Weight!.GradTarget, {k.ProjSumDyXhat});");
            w.Line($"{Kernels}BatchNormKernels.Accumulate({layer}.ProjectionNorm!.Bias!.GradTarget, {k.ProjSumDy});");
            w.Line($"if ({k.ProjFrozen}) {Kernels}BatchNormKernels.ConstantStatisticsBackward({k.ProjSumDy}, {k.ProjSumDyXhat});");
            w.Line($"{Kernels}BatchNormKernels.BackwardInput(in context, batch, {c}, {s}, {da}, default, {projZ}, {k.ProjMean}, {k.ProjInvStd}, {layer}.ProjectionNorm!.Weight!.Data, {k.ProjSumDy}, {k.ProjSumDyXhat}, {projDz});");
            w.Line($"{Kernels}Conv2dKernels.BackwardParameters(in context, in {k.ProjGeometry}, batch, {skip}, {projDz}, {layer}.Projection!.Weight.GradTarget, default);");
            w.Line($"{Kernels}Conv2dKernels.BackwardInput(in context, in {k.ProjGeometry}, batch, {projDz}, {layer}.Projection!.Weight.Data, {scope.Get(k.SkipDx, k.SkipLength)});");
        }
    }

    /// <summary>
    /// The context of a BatchNorm's backward sums: a frozen BatchNorm's sums feed only gamma and beta (its statistics are
    /// constants), so they stay local and run no synchronised-BatchNorm collective (<c>context.Local</c>).
    /// </summary>
    private static string ReduceContext(KernelNames k) => k.CanFreeze ? $"{k.Frozen} ? context.Local : context" : "in context";

    /// <summary>
    /// A BatchNorm that ran on its running statistics: once gamma and beta have their gradients, the sums are cleared, so
    /// the input-gradient pass computes gamma / std * dy (constant statistics, no batch terms).
    /// </summary>
    private static void WriteConstantStatistics(CodeWriter w, KernelNames k)
    {
        if (k.CanFreeze)
        {
            w.Line($"if ({k.Frozen}) {Kernels}BatchNormKernels.ConstantStatisticsBackward({k.SumDy}, {k.SumDyXhat}); // eval mode: dx = gamma / std * dy");
        }
    }

    /// <summary>Writes <paramref name="statement"/>, inside <c>if (inputGradient)</c> when it writes the model's input gradient.</summary>
    private static void WriteGuarded(CodeWriter w, bool guard, string statement)
    {
        if (!guard)
        {
            w.Line(statement);
            return;
        }

        w.Line("if (inputGradient)");
        w.OpenBrace();
        w.Line(statement);
        w.CloseBrace();
    }
}
