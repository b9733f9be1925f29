using System.Collections.Generic;
using System.Linq;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using FusedLayers.Generator.Planning;

namespace FusedLayers.Generator.Emit;

/// <summary>The forward pass: argument checks, then training or inference orchestration of the kernels.</summary>
internal static partial class ModelEmitter
{
    /// <summary>Under synchronised BatchNorm in training the one-value check is the global count's (see ModelChecks).</summary>
    private const string SyncCheck = "_flTraining ? _flExecution.StatisticsCollective : null";

    private static void WriteForward(CodeWriter w, FusionPlan plan, List<KernelNames> kernels)
    {
        w.Line("/// <inheritdoc />");
        w.Line($"public void Forward({ReadOnlySpan} input, {Span} output)");
        w.OpenBrace();
        WriteGuardEnter(w, "Forward");
        w.Line("int batch = global::FusedLayers.ModelChecks.BatchSize(_flModelName, input.Length, s_flInputShape);");
        w.Line("global::FusedLayers.ModelChecks.OutputLength(_flModelName, output.Length, batch, s_flOutputShape);");
        w.Line("if (_flTraining || _flEvalGradients)");
        w.OpenBrace();
        foreach (KernelNames k in kernels.Where(k => k.UsesBatchStatistics))
        {
            // A BatchNorm in eval mode uses its running statistics: any batch size will do.
            string check = $"global::FusedLayers.ModelChecks.MoreThanOneValuePerChannel(\"{k.Kernel.Norm!.Name}\", batch, {k.NormShape}, {SyncCheck});";
            w.Line(k.CanFreeze ? $"if ({Field(k.Kernel.Norm!)}.Training) {check}" : check);
        }

        foreach (KernelNames k in kernels.Where(k => k.HasProjection))
        {
            w.Line($"if ({Field(k.Kernel.Residual!)}.ProjectionNorm!.Training) global::FusedLayers.ModelChecks.MoreThanOneValuePerChannel(\"{k.Kernel.Residual!.StateKey}.1\", batch, {k.ResidualShape}, {SyncCheck});");
        }

        w.Line("_flForwardTraining(input, output, batch);");
        w.CloseBrace();
        w.Line("else");
        w.OpenBrace();
        foreach (KernelNames k in kernels.Where(k => k.UsesBatchStatistics && k.Kernel.Norm is { TrackRunningStats: false }))
        {
            w.Line($"global::FusedLayers.ModelChecks.MoreThanOneValuePerChannel(\"{k.Kernel.Norm!.Name}\", batch, {k.NormShape});");
        }

        w.Line("_flForwardInference(input, output, batch);");
        w.CloseBrace();
        WriteGuardExit(w);
        w.CloseBrace();
        w.Line();
        w.Line("/// <inheritdoc />");
        w.Line("public global::FusedLayers.Tensor Forward(global::FusedLayers.Tensor input) => global::FusedLayers.ModelTensors.Forward(this, input);");
        w.Line();
        WriteForwardTraining(w, kernels);
        WriteForwardInference(w, kernels);
    }

    /// <summary>Opens the one-thread-per-instance guard: <c>ModelCallGuard.Enter</c>, then a <c>try</c> block.</summary>
    private static void WriteGuardEnter(CodeWriter w, string method)
    {
        w.Line($"global::FusedLayers.ModelCallGuard.Enter(ref _flBusy, _flModelName, \"{method}\");");
        w.Line("try");
        w.OpenBrace();
    }

    /// <summary>Closes the guard opened by <see cref="WriteGuardEnter"/>.</summary>
    private static void WriteGuardExit(CodeWriter w)
    {
        w.CloseBrace();
        w.Line("finally");
        w.OpenBrace();
        w.Line("global::FusedLayers.ModelCallGuard.Exit(ref _flBusy);");
        w.CloseBrace();
    }

    private static void WriteForwardTraining(CodeWriter w, List<KernelNames> kernels)
    {
        w.Line("/// <summary>");
        w.Line("/// Training forward: batch statistics; every kernel output is kept for backward. Also the differentiable eval");
        w.Line("/// forward (Eval(withGradients: true)): BatchNorms in eval mode run on their running statistics, dropout is the identity.");
        w.Line("/// </summary>");
        w.Line($"private void _flForwardTraining({ReadOnlySpan} input, {Span} output, int batch)");
        w.OpenBrace();
        w.Line("_flSavedBatch = 0;");
        w.Line("_flSavedPass = global::FusedLayers.ModelChecks.PassNone;");
        if (kernels.Count == 0)
        {
            w.Line("input.CopyTo(output);");
            w.Line("_flSavedBatch = batch;");
            w.Line("_flSavedPass = global::FusedLayers.ModelChecks.PassSaved;");
            w.CloseBrace();
            w.Line();
            return;
        }

        w.Line("_flEnsureCapacity(batch);");
        WriteBody(w, (w, scope) =>
        {
            if (KernelNames.SavesModelInput(kernels))
            {
                w.Line(kernels[0].NeedsSavedInput
                    ? "// The first kernel's backward reads the model input again: keep a copy."
                    : "// A skip connection adds the model input, and its backward reads it again: keep a copy.");
                w.Line($"input.CopyTo({scope.Get("_flInput", kernels[0].InputLength)});");
            }

            foreach (KernelNames k in kernels)
            {
                w.Line();
                string x = k.Kernel.Index == 0 ? (k.NeedsSavedInput ? scope.Get("_flInput", k.InputLength) : "input") : scope.Get(kernels[k.Kernel.Index - 1].Y, k.InputLength);
                WriteKernelForward(w, scope, k, x, scope.Get(k.Y, k.OutputLength), batchStatistics: true, training: true, Skip(scope, kernels, k, training: true));
            }

            WriteCommit(w, scope, kernels);
            w.Line();
            w.Line($"{scope.Get(kernels[kernels.Count - 1].Y, kernels[kernels.Count - 1].OutputLength)}.CopyTo(output);");
        });

        w.Line("_flSavedBatch = batch;");
        w.Line("_flSavedPass = global::FusedLayers.ModelChecks.PassSaved;");
        w.CloseBrace();
        w.Line();
    }

    /// <summary>After every kernel succeeded: the finiteness check and the running-statistics updates.</summary>
    private static void WriteCommit(CodeWriter w, SliceScope scope, List<KernelNames> kernels)
    {
        List<KernelNames> tracking = kernels.Where(k => k.Kernel.Norm is { TrackRunningStats: true }).ToList();
        List<KernelNames> projections = kernels.Where(k => k.HasProjection).ToList();
        if (tracking.Count + projections.Count > 0)
        {
            w.Line();
            w.Line("// Every kernel succeeded: check the batch statistics, then update the running statistics.");
            w.Line("// Nothing the user can observe (weights, running statistics) changed before this point.");
            w.Line("// A BatchNorm that ran on its running statistics (eval mode) neither checks nor updates them.");
            foreach (KernelNames k in tracking)
            {
                OpenIf(w, k.CanFreeze, $"!{k.Frozen}");
                WriteFiniteCheck(w, scope, k);
                CloseIf(w, k.CanFreeze);
            }

            foreach (KernelNames k in projections)
            {
                w.Line($"if (!{k.ProjFrozen}) {Kernels}BatchNormKernels.ThrowIfNotFinite(\"{k.Kernel.Residual!.StateKey}.1\", {k.ProjMean}, {k.ProjVar});");
            }

            foreach (KernelNames k in tracking)
            {
                OpenIf(w, k.CanFreeze, $"!{k.Frozen}");
                if (LayerKinds.IsBatchNorm(k.Kernel.Norm!.Kind))
                {
                    WriteRunningUpdate(w, k);
                }
                else
                {
                    WriteOtherRunningUpdate(w, scope, k);
                }

                CloseIf(w, k.CanFreeze);
            }

            foreach (KernelNames k in projections)
            {
                LayerSpec residual = k.Kernel.Residual!;
                w.Line($"if (!{k.ProjFrozen})");
                w.OpenBrace();
                w.Line($"// {residual.Name}.1 (the projection's BatchNorm2d): running statistics, momentum 0.1; the variance enters unbiased.");
                w.Line($"{Field(residual)}.ProjectionNorm!.NumBatchesTracked++;");
                w.Line($"{Kernels}BatchNormKernels.UpdateRunningStatistics(in context, {k.ProjMean}, {k.ProjVar}, (long)batch * {Shapes.Inv(k.Spatial)}, 0.1, " +
                       $"{Field(residual)}.ProjectionNorm!.RunningMean!, {Field(residual)}.ProjectionNorm!.RunningVar!);");
                w.CloseBrace();
            }
        }

        List<KernelNames> dropouts = kernels.Where(k => k.HasMask).ToList();
        if (dropouts.Count > 0)
        {
            w.Line();
            w.Line("// The next training forward draws fresh dropout masks.");
            w.Line("if (_flTraining)");
            w.OpenBrace();
            foreach (KernelNames k in dropouts)
            {
                w.Line($"{Field(k.Kernel.Op!)}.Step++;");
            }

            w.CloseBrace();
        }
    }

    private static void WriteRunningUpdate(CodeWriter w, KernelNames k)
    {
        LayerSpec norm = k.Kernel.Norm!;
        string bn = Field(norm);
        string factor = norm.CumulativeAverage ? $"1.0 / {bn}.NumBatchesTracked" : Number(norm.Momentum);
        string how = norm.CumulativeAverage ? "cumulative average (momentum=None)" : "momentum " + Number(norm.Momentum);
        w.Line($"// {norm.Name}: running statistics, {how}; the variance enters unbiased (m / (m - 1)).");
        w.Line($"{bn}.NumBatchesTracked++;");
        string count = k.Spatial == 1 ? "batch" : $"(long)batch * {Shapes.Inv(k.Spatial)}";
        w.Line($"{Kernels}BatchNormKernels.UpdateRunningStatistics(in context, {k.Mean}, {k.Var}, {count}, {factor}, {bn}.RunningMean!, {bn}.RunningVar!);");
    }

    private static void WriteForwardInference(CodeWriter w, List<KernelNames> kernels)
    {
        w.Line("/// <summary>Inference forward: running statistics, BatchNorm folded where it follows a Conv2d or Linear; nothing saved.</summary>");
        w.Line($"private void _flForwardInference({ReadOnlySpan} input, {Span} output, int batch)");
        w.OpenBrace();
        w.Line("// The inference pass reuses the training pass's buffers: a saved pass is gone, and Backward says why.");
        w.Line("_flSavedPass = _flSavedPass is global::FusedLayers.ModelChecks.PassSaved or global::FusedLayers.ModelChecks.PassDiscarded");
        w.Line("    ? global::FusedLayers.ModelChecks.PassDiscarded");
        w.Line("    : global::FusedLayers.ModelChecks.PassInference;");
        if (kernels.Count == 0)
        {
            w.Line("input.CopyTo(output);");
            w.CloseBrace();
            w.Line();
            return;
        }

        if (kernels.Count > 1 || kernels.Any(k => (k.HasZ && !k.Folds) || k.HasIndices || k.IsRowNorm))
        {
            w.Line("_flEnsureCapacity(batch);");
        }

        WriteBody(w, (w, scope) =>
        {
            foreach (KernelNames k in kernels)
            {
                w.Line();
                string x = k.Kernel.Index == 0 ? "input" : scope.Get(kernels[k.Kernel.Index - 1].Y, k.InputLength);
                string y = k.IsLast ? "output" : scope.Get(k.Y, k.OutputLength);
                WriteKernelForward(w, scope, k, x, y, batchStatistics: k.Kernel.Norm is { TrackRunningStats: false }, training: false, Skip(scope, kernels, k, training: false));
            }
        });

        w.CloseBrace();
        w.Line();
    }

    /// <summary>One kernel's forward, reading <paramref name="x"/> and writing <paramref name="y"/>.</summary>
    private static void WriteKernelForward(CodeWriter w, SliceScope scope, KernelNames k, string x, string y, bool batchStatistics, bool training, string skip)
    {
        KernelPlan kernel = k.Kernel;
        if (kernel.Residual is not null)
        {
            WriteResidualForward(w, scope, k, x, y, batchStatistics, training, skip);
            return;
        }

        if (kernel.Op is not null)
        {
            WriteOpForward(w, k, kernel.Op, x, y, training);
            return;
        }

        if (k.IsRowNorm && batchStatistics)
        {
            WriteRowNormForward(w, scope, k, x, y, training);
            return;
        }

        LayerSpec? anchor = kernel.Anchor;
        LayerSpec? norm = kernel.Norm;
        string relu = Bool(kernel.Activation?.Kind == LayerKind.ReLU);
        bool smooth = kernel.HasSmoothActivation;
        string activation = smooth ? $"{Field(kernel.Activation!)}.Activation" : "";
        string epilogue = smooth ? activation : relu;
        string withActivation = kernel.Activation is null ? "" : " + " + k.ActivationName;
        w.Line($"// Kernel {Shapes.Inv(kernel.Index)}: {string.Join(" -> ", kernel.Layers().Select(l => l.Name))}.");
        string gamma = norm is { Affine: true } ? $"{Field(norm)}.Weight!.Data" : "default";
        string beta = norm is { Affine: true } ? $"{Field(norm)}.Bias!.Data" : "default";
        string eps = norm is null ? "" : Number(norm.Eps);
        string c = Shapes.Inv(k.Channels);
        string s = Shapes.Inv(k.Spatial);

        if (anchor is not null)
        {
            string anchorKernels = Kernels + (anchor.Kind == LayerKind.Conv2d ? "Conv2dKernels" : "LinearKernels");
            string weight = $"{Field(anchor)}.Weight.Data";
            string bias = anchor.Bias ? $"{Field(anchor)}.Bias!.Data" : "default";
            if (norm is null && smooth && training)
            {
                w.Line($"// Pass 1: {anchor.Name}; its output is the pre-activation that {k.ActivationName}'s backward needs, so it is kept.");
                w.Line($"{anchorKernels}.Forward({AnchorContext(anchor)}, in {k.Geometry}, batch, {x}, {weight}, {bias}, {scope.Get(k.Z, k.NormLength)}, false, default, default);");
                w.Line($"// Pass 2: {kernel.Activation!.Name} ({k.ActivationName}).");
                w.Line($"{Kernels}ActivationKernels.Forward(in context, {activation}, batch, {c}, {s}, {scope.Get(k.Z, k.NormLength)}, default, default, {y});");
            }
            else if (norm is null)
            {
                w.Line($"// {anchor.Name}{(kernel.Activation is null ? "" : $" with the {k.ActivationName} epilogue")}, one pass.");
                w.Line($"{anchorKernels}.Forward({AnchorContext(anchor)}, in {k.Geometry}, batch, {x}, {weight}, {bias}, {y}, {epilogue}, default, default);");
            }
            else if (batchStatistics)
            {
                WriteFreezeDecision(w, k, training);
                w.Line($"// Pass 1: {anchor.Name}, with {norm.Name}'s per-channel batch statistics taken in the epilogue{(FreezeTested(k, training) ? " (none when it is frozen)" : "")}.");
                w.Line($"{anchorKernels}.Forward({AnchorContext(anchor)}, in {k.Geometry}, batch, {x}, {weight}, {bias}, {scope.Get(k.Z, k.NormLength)}, false, {StatisticsOperand(k, training, k.Mean)}, {StatisticsOperand(k, training, k.Var)});");
                WriteFreeze(w, k, training);
                w.Line(BatchScaleShift(k, norm, gamma, beta, eps));
                w.Line($"// Pass 2: {norm.Name} apply{withActivation}.");
                WriteApply(w, k, scope.Get(k.Z, k.NormLength), y, relu, activation, training);
            }
            else if (kernel.Pool is not null)
            {
                w.Line($"// {anchor.Name}, then {norm.Name} from the running statistics as the prologue of {kernel.Pool.Name} (not folded: the pool pass reads the planes anyway).");
                w.Line($"{anchorKernels}.Forward({AnchorContext(anchor)}, in {k.Geometry}, batch, {x}, {weight}, {bias}, {scope.Get(k.Z, k.NormLength)}, false, default, default);");
                w.Line(RunningScaleShift(k, norm, gamma, beta, eps));
                WriteApply(w, k, scope.Get(k.Z, k.NormLength), y, relu, activation, training);
            }
            else
            {
                w.Line($"// {norm.Name} folded into {anchor.Name} from the running statistics (refolded every call, so later");
                w.Line("// changes to weights or statistics are always seen), then one pass" + (kernel.Activation is null ? "." : $" with the {k.ActivationName} epilogue."));
                w.Line(RunningScaleShift(k, norm, gamma, beta, eps));
                w.Line($"{Kernels}BatchNormKernels.FoldIntoWeights(in context, {weight}, {bias}, {k.Scale}, {k.Shift}, {k.FoldedWeight}, {k.FoldedBias});");
                w.Line($"{anchorKernels}.Forward({AnchorContext(anchor)}, in {k.Geometry}, batch, {x}, {k.FoldedWeight}, {k.FoldedBias}, {y}, {epilogue}, default, default);");
            }
        }
        else if (norm is not null)
        {
            if (batchStatistics)
            {
                WriteFreezeDecision(w, k, training);
                w.Line($"// Pass 1: {norm.Name}'s per-channel batch statistics{(FreezeTested(k, training) ? " (skipped when it is frozen)" : "")}.");
                w.Line($"{(FreezeTested(k, training) ? $"if (!{k.Frozen}) " : "")}{Kernels}BatchNormKernels.Statistics(in context, batch, {c}, {s}, {x}, {k.Mean}, {k.Var});");
                WriteFreeze(w, k, training);
                w.Line(BatchScaleShift(k, norm, gamma, beta, eps));
            }
            else
            {
                w.Line($"// {norm.Name} from the running statistics.");
                w.Line(RunningScaleShift(k, norm, gamma, beta, eps));
            }

            w.Line($"// {(batchStatistics ? "Pass 2: " : "One pass: ")}{norm.Name} apply{withActivation}.");
            WriteApply(w, k, x, y, relu, activation, training);
        }
        else if (smooth)
        {
            w.Line($"{Kernels}ActivationKernels.Forward(in context, {activation}, batch, {c}, {s}, {x}, default, default, {y});");
        }
        else
        {
            w.Line($"{Kernels}ActivationKernels.Relu(in context, {x}, {y});");
        }
    }

    /// <summary>
    /// The skip source of a residual kernel: the output buffer of the kernel that computes it, or the model input (its
    /// saved copy in training); empty for a kernel without a skip connection.
    /// </summary>
    private static string Skip(SliceScope scope, List<KernelNames> kernels, KernelNames k, bool training) =>
        k.Kernel.Residual is null ? ""
        : k.SkipFromInput ? (training ? scope.Get("_flInput", kernels[0].InputLength) : "input")
        : scope.Get(kernels[k.Kernel.SkipKernel].Y, kernels[k.Kernel.SkipKernel].OutputLength);

    /// <summary>
    /// A kernel with a skip connection: the anchor (into Z), the BatchNorm's scale/shift, the projection (its own 1x1
    /// convolution and BatchNorm scale/shift), then one pass for BatchNorm-apply + add + activation.
    /// </summary>
    private static void WriteResidualForward(CodeWriter w, SliceScope scope, KernelNames k, string x, string y, bool batchStatistics, bool training, string skip)
    {
        KernelPlan kernel = k.Kernel;
        LayerSpec? anchor = kernel.Anchor;
        LayerSpec? norm = kernel.Norm;
        LayerSpec residual = kernel.Residual!;
        string c = Shapes.Inv(k.Channels);
        string s = Shapes.Inv(k.Spatial);
        w.Line($"// Kernel {Shapes.Inv(kernel.Index)}: {string.Join(" -> ", kernel.Layers().Select(l => l.Name))}.");
        string main = x;
        if (anchor is not null)
        {
            string anchorKernels = Kernels + (anchor.Kind == LayerKind.Conv2d ? "Conv2dKernels" : "LinearKernels");
            string bias = anchor.Bias ? $"{Field(anchor)}.Bias!.Data" : "default";
            bool stats = norm is not null && batchStatistics;
            main = scope.Get(k.Z, k.NormLength);
            if (stats)
            {
                WriteFreezeDecision(w, k, training);
            }

            w.Line($"// {anchor.Name}{(stats ? $", with {norm!.Name}'s batch statistics in the epilogue{(FreezeTested(k, training) ? " (none when it is frozen)" : "")}" : "")}.");
            w.Line($"{anchorKernels}.Forward({AnchorContext(anchor)}, in {k.Geometry}, batch, {x}, {Field(anchor)}.Weight.Data, {bias}, {main}, false, {(stats ? StatisticsOperand(k, training, k.Mean) : "default")}, {(stats ? StatisticsOperand(k, training, k.Var) : "default")});");
        }

        if (norm is not null)
        {
            string gamma = norm.Affine ? $"{Field(norm)}.Weight!.Data" : "default";
            string beta = norm.Affine ? $"{Field(norm)}.Bias!.Data" : "default";
            if (batchStatistics)
            {
                if (anchor is null)
                {
                    WriteFreezeDecision(w, k, training);
                    w.Line($"{(FreezeTested(k, training) ? $"if (!{k.Frozen}) " : "")}{Kernels}BatchNormKernels.Statistics(in context, batch, {c}, {s}, {x}, {k.Mean}, {k.Var});");
                }

                WriteFreeze(w, k, training);
                w.Line(BatchScaleShift(k, norm, gamma, beta, Number(norm.Eps)));
            }
            else
            {
                w.Line($"// {norm.Name} from the running statistics (not folded: the add needs a pass of its own anyway).");
                w.Line(RunningScaleShift(k, norm, gamma, beta, Number(norm.Eps)));
            }
        }

        string skipOperand = skip, skipScale = "default", skipShift = "default";
        if (k.HasProjection)
        {
            string layer = Field(residual);
            skipOperand = scope.Get(k.ProjZ, k.NormLength);
            skipScale = k.ProjScale;
            skipShift = k.ProjShift;
            if (training)
            {
                w.Line($"{k.ProjFrozen} = !{layer}.ProjectionNorm!.Training;");
            }

            w.Line($"// {residual.Name}'s projection: 1x1 convolution of '{residual.From}'{(training ? ", with its BatchNorm's batch statistics in the epilogue (none when it is frozen)" : "")}.");
            w.Line($"{Kernels}Conv2dKernels.Forward(in context, in {k.ProjGeometry}, batch, {skip}, {layer}.Projection!.Weight.Data, default, {skipOperand}, false, {(training ? $"{k.ProjFrozen} ? default : {k.ProjMean}" : "default")}, {(training ? $"{k.ProjFrozen} ? default : {k.ProjVar}" : "default")});");
            if (training)
            {
                w.Line($"if ({k.ProjFrozen}) {Kernels}BatchNormKernels.UseRunningStatistics({layer}.ProjectionNorm!.RunningMean!, {layer}.ProjectionNorm!.RunningVar!, {k.ProjMean}, {k.ProjVar});");
            }

            w.Line(training
                ? $"{Kernels}BatchNormKernels.ScaleShift({k.ProjMean}, {k.ProjVar}, {layer}.ProjectionNorm!.Weight!.Data, {layer}.ProjectionNorm!.Bias!.Data, 1e-05, {k.ProjInvStd}, {k.ProjScale}, {k.ProjShift});"
                : $"{Kernels}BatchNormKernels.ScaleShift({layer}.ProjectionNorm!.RunningMean!, {layer}.ProjectionNorm!.RunningVar!, {layer}.ProjectionNorm!.Weight!.Data, {layer}.ProjectionNorm!.Bias!.Data, 1e-05, default, {k.ProjScale}, {k.ProjShift});");
        }

        string what = (norm is null ? "" : norm.Name + " apply + ") + $"add '{residual.From}'" + (kernel.Activation is null ? "" : " + " + k.ActivationName);
        w.Line($"// One pass: {what}.");
        w.Line($"{Kernels}ResidualKernels.Forward(in context, {k.ActivationExpression}, batch, {c}, {s}, {main}, {(norm is null ? "default" : k.Scale)}, {(norm is null ? "default" : k.Shift)}, {skipOperand}, {skipScale}, {skipShift}, {y});");
    }

    /// <summary>A pooling or dropout kernel.</summary>
    private static void WriteOpForward(CodeWriter w, KernelNames k, LayerSpec op, string x, string y, bool training)
    {
        w.Line($"// Kernel {Shapes.Inv(k.Kernel.Index)}: {op.Name}.");
        switch (op.Kind)
        {
            case LayerKind.MaxPool2d:
                w.Line(training ? "// Max pooling; the arg-max of each window is kept for backward." : "// Max pooling, values only (no backward follows an inference pass).");
                w.Line($"{Kernels}PoolKernels.MaxForward(in context, in {k.Geometry}, batch, {x}, {y}, {PoolIndices(k, training)});");
                break;
            case LayerKind.AvgPool2d:
                w.Line($"{Kernels}PoolKernels.AvgForward(in context, in {k.Geometry}, batch, {Bool(op.CountIncludePad)}, {x}, {y});");
                break;
            case LayerKind.AdaptiveAvgPool2d:
                w.Line($"{Kernels}PoolKernels.GlobalAvgForward(in context, batch, {Shapes.Inv(k.Channels)}, {Shapes.Inv(k.Spatial)}, {x}, {y});");
                break;
            default:
                if (training)
                {
                    string layer = Field(op);
                    string mask = $"new global::System.Span<float>({k.Mask}, 0, batch * {Shapes.Inv(k.OutputLength)})";
                    w.Line("if (_flTraining)");
                    w.OpenBrace();
                    w.Line($"// Dropout: the mask of ({op.Name}.Seed, {op.Name}.Step) is written to the mask buffer for backward; the step advances once the forward pass has succeeded.");
                    w.Line($"{Kernels}DropoutKernels.Forward(in context, {layer}.P, {layer}.Seed, {layer}.Step, {x}, {y}, {mask});");
                    w.CloseBrace();
                    w.Line("else");
                    w.OpenBrace();
                    w.Line("// Eval(withGradients: true): dropout is the identity, and a mask of ones makes its backward the identity too.");
                    w.Line($"{x}.CopyTo({y});");
                    w.Line($"{mask}.Fill(1f);");
                    w.CloseBrace();
                }
                else
                {
                    w.Line("// Dropout is the identity in inference.");
                    w.Line($"{x}.CopyTo({y});");
                }

                break;
        }
    }

    /// <summary>
    /// In a training-style pass, a BatchNorm with running statistics records, before its statistics pass, whether it
    /// is in eval mode (frozen BatchNorm; Eval(withGradients: true)): a frozen one takes no batch statistics, and
    /// under synchronised BatchNorm runs no collective.
    /// </summary>
    private static void WriteFreezeDecision(CodeWriter w, KernelNames k, bool training)
    {
        if (FreezeTested(k, training))
        {
            w.Line($"{k.Frozen} = !{Field(k.Kernel.Norm!)}.Training; // frozen: normalise with the running statistics");
        }
    }

    /// <summary>After the statistics pass: a frozen BatchNorm's statistics buffers take its running statistics.</summary>
    private static void WriteFreeze(CodeWriter w, KernelNames k, bool training)
    {
        if (FreezeTested(k, training))
        {
            string bn = Field(k.Kernel.Norm!);
            w.Line($"if ({k.Frozen}) {Kernels}BatchNormKernels.UseRunningStatistics({bn}.RunningMean!, {bn}.RunningVar!, {k.Mean}, {k.Var});");
        }
    }

    /// <summary>Whether this pass tests the kernel's BatchNorm for being frozen (training-style passes of a BatchNorm with running statistics).</summary>
    private static bool FreezeTested(KernelNames k, bool training) => training && k.CanFreeze;

    /// <summary>A statistics buffer as an epilogue operand: none (<c>default</c>) when the BatchNorm is frozen.</summary>
    private static string StatisticsOperand(KernelNames k, bool training, string buffer) =>
        FreezeTested(k, training) ? $"{k.Frozen} ? default : {buffer}" : buffer;

    /// <summary>Opens <c>if (condition) {</c> when <paramref name="open"/>.</summary>
    private static void OpenIf(CodeWriter w, bool open, string condition)
    {
        if (open)
        {
            w.Line($"if ({condition})");
            w.OpenBrace();
        }
    }

    /// <summary>Closes what <see cref="OpenIf"/> opened.</summary>
    private static void CloseIf(CodeWriter w, bool open)
    {
        if (open)
        {
            w.CloseBrace();
        }
    }

    /// <summary>A max pool's arg-max buffer in a training pass; none (values only) in an inference pass, which no backward follows.</summary>
    private static string PoolIndices(KernelNames k, bool training) =>
        training ? $"new global::System.Span<int>({k.Indices}, 0, batch * {Shapes.Inv(k.OutputLength)})" : "default";

    /// <summary>The BatchNorm-apply pass: with ReLU (or nothing) in BatchNormKernels, with another activation in ActivationKernels.</summary>
    private static void WriteApply(CodeWriter w, KernelNames k, string x, string y, string relu, string activation, bool training)
    {
        string c = Shapes.Inv(k.Channels);
        string s = Shapes.Inv(k.Spatial);
        if (k.Kernel.Pool is { } pool)
        {
            w.Line($"// ... as the prologue of {pool.Name}: each plane is normalised{(k.Kernel.Activation is null ? "" : " and activated")} in cache and pooled; the full-resolution result is never stored.");
            w.Line(pool.Kind == LayerKind.MaxPool2d
                ? $"{Kernels}PoolKernels.MaxForward(in context, in {k.FusedPoolGeometry}, batch, {x}, {k.Scale}, {k.Shift}, {k.ActivationExpression}, {y}, {PoolIndices(k, training)});"
                : $"{Kernels}PoolKernels.AvgForward(in context, in {k.FusedPoolGeometry}, batch, {Bool(pool.CountIncludePad)}, {x}, {k.Scale}, {k.Shift}, {k.ActivationExpression}, {y});");
            return;
        }

        w.Line(k.Kernel.HasSmoothActivation
            ? $"{Kernels}ActivationKernels.Forward(in context, {activation}, batch, {c}, {s}, {x}, {k.Scale}, {k.Shift}, {y});"
            : $"{Kernels}BatchNormKernels.Apply(in context, batch, {c}, {s}, {x}, {k.Scale}, {k.Shift}, {relu}, {y});");
    }
}
