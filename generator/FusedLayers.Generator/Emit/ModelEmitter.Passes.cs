using System.Collections.Generic;
using System.Linq;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using FusedLayers.Generator.Planning;
using B = FusedLayers.Generator.Planning.Buffers;

namespace FusedLayers.Generator.Emit;

/// <summary>
/// The emitter's loop over a kernel's scheduled passes: each pass is written as its comment and the statement(s) of its
/// runtime call, through one renderer per call (the table in <see cref="Statements"/>), wrapped in the pass's condition.
/// What runs is decided by the schedule (<see cref="ScheduleRules"/>); this file only spells the calls.
/// </summary>
internal static partial class ModelEmitter
{
    /// <summary>One kernel's forward (training-style or inference): its passes in schedule order.</summary>
    private static void WriteKernelForward(CodeWriter w, PassOperands o)
    {
        KernelNames k = o.K;
        w.Line($"// Kernel {Shapes.Inv(k.Kernel.Index)}: {string.Join(" -> ", k.Kernel.Layers().Select(l => l.Name))}.");
        if (o.Training && k.CanFreeze)
        {
            w.Line($"{k.Frozen} = !{Field(k.Kernel.Norm!)}.Training; // frozen: normalise with the running statistics");
        }

        if (o.Training && k.HasProjection)
        {
            w.Line($"{k.ProjFrozen} = !{Field(k.Kernel.Residual!)}.ProjectionNorm!.Training;");
        }

        WritePasses(w, o, o.Training ? k.Schedule.TrainingForward : k.Schedule.InferenceForward, numbered: true);
    }

    /// <summary>One kernel's backward: its passes in schedule order (the skip-gradient adds into its output gradient first).</summary>
    private static void WriteKernelBackward(CodeWriter w, PassOperands o)
    {
        KernelNames k = o.K;
        w.Line($"// Kernel {Shapes.Inv(k.Kernel.Index)} backward: {string.Join(" <- ", k.Kernel.Layers().Reverse().Select(l => l.Name))}.");
        WritePasses(w, o, k.Schedule.Backward, numbered: true);
    }

    /// <summary>
    /// Each pass: its comment (with its number in the printed schedule when <paramref name="numbered"/>; per-channel steps
    /// are not numbered), then its statements under its condition.
    /// </summary>
    private static void WritePasses(CodeWriter w, PassOperands o, IEnumerable<SchedulePass> passes, bool numbered = false)
    {
        int number = 1;
        foreach (SchedulePass pass in passes)
        {
            string comment = char.ToUpperInvariant(pass.Comment[0]) + pass.Comment.Substring(1) + ".";
            w.Line(numbered && !pass.PerChannel ? $"// Pass {Shapes.Inv(number++)}: {pass.Comment}." : "// " + comment);
            if (pass.Call == "DropoutKernels.Forward")
            {
                o.Scope.UsesContext = true;
                WriteDropoutForward(w, o);
                continue;
            }

            // Every pass over the batch's tensors takes the context (threads, ISA path), and so does folding the weights.
            o.Scope.UsesContext |= pass.Call != "copy" && (!pass.PerChannel || pass.Call == "BatchNormKernels.FoldIntoWeights");
            IReadOnlyList<string> statements = Statements(o, pass);
            string? guard = Guard(o.K, pass.Condition);
            if (guard is null)
            {
                foreach (string statement in statements)
                {
                    w.Line(statement);
                }
            }
            else if (statements.Count == 1 && pass.Condition != RuleContext.WhenInputGradient)
            {
                w.Line($"if ({guard}) {statements[0]}");
            }
            else
            {
                w.Line($"if ({guard})");
                w.OpenBrace();
                foreach (string statement in statements)
                {
                    w.Line(statement);
                }

                w.CloseBrace();
            }
        }
    }

    /// <summary>The C# condition of a pass's schedule condition; null when it always runs.</summary>
    private static string? Guard(KernelNames k, string? condition) => condition switch
    {
        null => null,
        RuleContext.WhenFrozen => k.Frozen,
        RuleContext.UnlessFrozen => "!" + k.Frozen,
        RuleContext.WhenProjectionFrozen => k.ProjFrozen,
        RuleContext.UnlessProjectionFrozen => "!" + k.ProjFrozen,
        RuleContext.WhenInputGradient => "inputGradient",
        _ => throw new System.InvalidOperationException($"Kernel {k.Kernel.Index}: no C# condition for '{condition}'."),
    };

    /// <summary>Dropout's training-style forward: the mask in training mode, the identity (and a mask of ones) in Eval(withGradients: true).</summary>
    private static void WriteDropoutForward(CodeWriter w, PassOperands o)
    {
        KernelNames k = o.K;
        LayerSpec op = k.Kernel.Op!;
        string layer = Field(op);
        string mask = $"new global::System.Span<float>({k.Mask}, 0, batch * {Shapes.Inv(k.OutputLength)})";
        w.Line("if (_flTraining)");
        w.OpenBrace();
        w.Line($"// The mask of ({op.Name}.Seed, {op.Name}.Step) is written for backward; the step advances once the forward pass has succeeded.");
        w.Line($"{Kernels}DropoutKernels.Forward(in context, {layer}.P, {layer}.Seed, {layer}.Step, {o.X}, {o.Y}, {mask});");
        w.CloseBrace();
        w.Line("else");
        w.OpenBrace();
        w.Line("// Eval(withGradients: true): dropout is the identity, and a mask of ones makes its backward the identity too.");
        w.Line($"{o.X}.CopyTo({o.Y});");
        w.Line($"{mask}.Fill(1f);");
        w.CloseBrace();
    }

    /// <summary>The table of calls: the statement(s) that run <paramref name="pass"/> for the kernel of <paramref name="o"/>.</summary>
    private static IReadOnlyList<string> Statements(PassOperands o, SchedulePass pass)
    {
        KernelNames k = o.K;
        KernelPlan kernel = k.Kernel;
        string c = Shapes.Inv(k.Channels);
        string s = Shapes.Inv(k.Spatial);
        string R = Kernels;
        string In(int i) => o[pass.Reads[i]];
        string Out(int i) => o[pass.Writes[i]];
        bool Reads(string buffer) => pass.ReadsBuffer(buffer);
        bool Writes(string buffer) => pass.WritesBuffer(buffer);
        string Indices() => $"new global::System.ReadOnlySpan<int>({k.Indices}, 0, batch * {Shapes.Inv(k.OutputLength)})";
        string residual = kernel.Residual is null ? "" : Field(kernel.Residual);
        switch (pass.Call)
        {
            case "copy":
                return One($"{In(0)}.CopyTo({Out(0)});");
            case "Conv2dKernels.Forward" when Reads(B.Skip):
                return One($"{R}Conv2dKernels.Forward(in context, in {k.ProjGeometry}, batch, {o.Skip}, {residual}.Projection!.Weight.Data, default, {Out(0)}, false, " +
                           (Writes(B.ProjStats) ? $"{k.ProjFrozen} ? default : {k.ProjMean}, {k.ProjFrozen} ? default : {k.ProjVar});" : "default, default);"));
            case "Conv2dKernels.Forward" or "LinearKernels.Forward":
            {
                LayerSpec anchor = kernel.Anchor!;
                bool folded = Reads(B.Folded);
                string weight = folded ? k.FoldedWeight : $"{Field(anchor)}.Weight.Data";
                string bias = folded ? k.FoldedBias : anchor.Bias ? $"{Field(anchor)}.Bias!.Data" : "default";
                string epilogue = pass.Writes[0] == B.Y && kernel.Activation is not null
                    ? kernel.HasSmoothActivation ? $"{Field(kernel.Activation)}.Activation" : "true"
                    : "false";
                string statistics = Writes(B.Stats)
                    ? $"{StatisticsOperand(k, o.Training, k.Mean)}, {StatisticsOperand(k, o.Training, k.Var)}"
                    : "default, default";
                return One($"{R}{AnchorClass(anchor)}.Forward({AnchorContext(anchor)}, in {k.Geometry}, batch, {o.X}, {weight}, {bias}, {Out(0)}, {epilogue}, {statistics});");
            }

            case "ActivationKernels.Forward":
                return One($"{R}ActivationKernels.Forward(in context, {Field(kernel.Activation!)}.Activation, batch, {c}, {s}, {In(0)}, " +
                           (Reads(B.ScaleShift) ? $"{k.Scale}, {k.Shift}" : "default, default") + $", {Out(0)});");
            case "ActivationKernels.Relu":
                return One($"{R}ActivationKernels.Relu(in context, {In(0)}, {Out(0)});");
            case "BatchNormKernels.Statistics":
                return One($"{R}BatchNormKernels.Statistics(in context, batch, {c}, {s}, {In(0)}, {k.Mean}, {k.Var});");
            case "BatchNormKernels.UseRunningStatistics" when Writes(B.ProjStats):
                return One($"{R}BatchNormKernels.UseRunningStatistics({residual}.ProjectionNorm!.RunningMean!, {residual}.ProjectionNorm!.RunningVar!, {k.ProjMean}, {k.ProjVar});");
            case "BatchNormKernels.UseRunningStatistics":
            {
                string bn = Field(kernel.Norm!);
                return One($"{R}BatchNormKernels.UseRunningStatistics({bn}.RunningMean!, {bn}.RunningVar!, {k.Mean}, {k.Var});");
            }

            case "BatchNormKernels.ScaleShift" when Writes(B.ProjScaleShift):
            {
                string norm = residual + ".ProjectionNorm!";
                return One(Reads(B.ProjStats)
                    ? $"{R}BatchNormKernels.ScaleShift({k.ProjMean}, {k.ProjVar}, {norm}.Weight!.Data, {norm}.Bias!.Data, 1e-05, {k.ProjInvStd}, {k.ProjScale}, {k.ProjShift});"
                    : $"{R}BatchNormKernels.ScaleShift({norm}.RunningMean!, {norm}.RunningVar!, {norm}.Weight!.Data, {norm}.Bias!.Data, 1e-05, default, {k.ProjScale}, {k.ProjShift});");
            }

            case "BatchNormKernels.ScaleShift" or "BatchRenormKernels.TrainingScaleShift" or "BatchRenormKernels.InferenceScaleShift":
            {
                LayerSpec norm = kernel.Norm!;
                string gamma = norm.Affine ? $"{Field(norm)}.Weight!.Data" : "default";
                string beta = norm.Affine ? $"{Field(norm)}.Bias!.Data" : "default";
                return One(Reads(B.Stats) ? BatchScaleShift(k, norm, gamma, beta, Number(norm.Eps)) : RunningScaleShift(k, norm, gamma, beta, Number(norm.Eps)));
            }

            case "BatchNormKernels.FoldIntoWeights":
            {
                LayerSpec anchor = kernel.Anchor!;
                string bias = anchor.Bias ? $"{Field(anchor)}.Bias!.Data" : "default";
                return One($"{R}BatchNormKernels.FoldIntoWeights(in context, {Field(anchor)}.Weight.Data, {bias}, {k.Scale}, {k.Shift}, {k.FoldedWeight}, {k.FoldedBias});");
            }

            case "BatchNormKernels.Apply":
                return One($"{R}BatchNormKernels.Apply(in context, batch, {c}, {s}, {In(0)}, {k.Scale}, {k.Shift}, {Bool(kernel.Activation?.Kind == LayerKind.ReLU)}, {Out(0)});");
            case "PoolKernels.MaxForward":
            {
                string indices = Writes(B.Indices) ? $"new global::System.Span<int>({k.Indices}, 0, batch * {Shapes.Inv(k.OutputLength)})" : "default";
                return One(Reads(B.ScaleShift)
                    ? $"{R}PoolKernels.MaxForward(in context, in {k.FusedPoolGeometry}, batch, {In(0)}, {k.Scale}, {k.Shift}, {k.ActivationExpression}, {o.Y}, {indices});"
                    : $"{R}PoolKernels.MaxForward(in context, in {k.Geometry}, batch, {In(0)}, {o.Y}, {indices});");
            }

            case "PoolKernels.AvgForward":
                return One(Reads(B.ScaleShift)
                    ? $"{R}PoolKernels.AvgForward(in context, in {k.FusedPoolGeometry}, batch, {Bool(kernel.Pool!.CountIncludePad)}, {In(0)}, {k.Scale}, {k.Shift}, {k.ActivationExpression}, {o.Y});"
                    : $"{R}PoolKernels.AvgForward(in context, in {k.Geometry}, batch, {Bool(kernel.Op!.CountIncludePad)}, {In(0)}, {o.Y});");
            case "PoolKernels.GlobalAvgForward":
                return One($"{R}PoolKernels.GlobalAvgForward(in context, batch, {c}, {s}, {In(0)}, {o.Y});");
            case "RowNormKernels.Forward":
                return One(RowNormForward(o, pass));
            case "ResidualKernels.Forward":
                return One($"{R}ResidualKernels.Forward(in context, {k.ActivationExpression}, batch, {c}, {s}, {In(0)}, " +
                           (kernel.Norm is null ? "default, default" : $"{k.Scale}, {k.Shift}") + ", " +
                           (k.HasProjection ? $"{o[B.ProjZ]}, {k.ProjScale}, {k.ProjShift}" : $"{o.Skip}, default, default") + $", {o.Y});");
            case "ResidualKernels.Accumulate":
                return One($"{R}ResidualKernels.Accumulate(in context, {SkipGradient(o, pass.Reads[0])}, {Out(0)});");
            case "ResidualKernels.Backward":
                return One($"{R}ResidualKernels.Backward(in context, {k.ActivationExpression}, batch, {c}, {s}, {o.Dy}, {In(1)}, " +
                           (kernel.Norm is null ? "default, default" : $"{k.Scale}, {k.Shift}") + ", " +
                           (k.HasProjection ? $"{o[B.ProjZ]}, {k.ProjScale}, {k.ProjShift}" : $"{o.Skip}, default, default") + $", {Out(0)});");
            case "BatchNormKernels.BackwardReduce" when Reads(B.ProjZ):
                return One($"{R}BatchNormKernels.BackwardReduce({k.ProjFrozen} ? context.Local : context, batch, {c}, {s}, {In(0)}, default, {In(1)}, {k.ProjMean}, {k.ProjInvStd}, {k.ProjSumDy}, {k.ProjSumDyXhat});");
            case "BatchNormKernels.BackwardReduce":
            {
                bool mask = Reads(B.Y);
                return One($"{R}BatchNormKernels.BackwardReduce({ReduceContext(k)}, batch, {c}, {s}, {In(0)}, {(mask ? In(1) : "default")}, {In(mask ? 2 : 1)}, {k.Mean}, {k.InvStd}, {k.SumDy}, {k.SumDyXhat});");
            }

            case "BatchNormKernels.Accumulate":
            {
                bool projection = Reads(B.ProjSums);
                string norm = projection ? residual + ".ProjectionNorm!" : Field(kernel.Norm!);
                return One(Writes(B.GammaGrad)
                    ? $"{R}BatchNormKernels.Accumulate({norm}.Weight!.GradTarget, {(projection ? k.ProjSumDyXhat : k.SumDyXhat)});"
                    : $"{R}BatchNormKernels.Accumulate({norm}.Bias!.GradTarget, {(projection ? k.ProjSumDy : k.SumDy)});");
            }

            case "BatchRenormKernels.AccumulateParameterGradients":
            {
                string bn = Field(kernel.Norm!);
                return One($"{R}BatchRenormKernels.AccumulateParameterGradients({k.R}, {k.D}, {k.SumDy}, {k.SumDyXhat}, {bn}.Weight!.GradTarget, {bn}.Bias!.GradTarget);");
            }

            case "BatchNormKernels.ConstantStatisticsBackward":
                return One(Reads(B.ProjSums)
                    ? $"{R}BatchNormKernels.ConstantStatisticsBackward({k.ProjSumDy}, {k.ProjSumDyXhat});"
                    : $"{R}BatchNormKernels.ConstantStatisticsBackward({k.SumDy}, {k.SumDyXhat});");
            case "BatchRenormKernels.EffectiveGamma":
                return One($"{R}BatchRenormKernels.EffectiveGamma({(kernel.Norm!.Affine ? $"{Field(kernel.Norm)}.Weight!.Data" : "default")}, {k.R}, {k.GammaR});");
            case "BatchNormKernels.BackwardInput" when Reads(B.ProjZ):
                return One($"{R}BatchNormKernels.BackwardInput(in context, batch, {c}, {s}, {In(0)}, default, {In(1)}, {k.ProjMean}, {k.ProjInvStd}, {residual}.ProjectionNorm!.Weight!.Data, {k.ProjSumDy}, {k.ProjSumDyXhat}, {Out(0)});");
            case "BatchNormKernels.BackwardInput":
            {
                LayerSpec norm = kernel.Norm!;
                bool mask = Reads(B.Y);
                string gamma = k.IsRenorm ? k.GammaR : norm.Affine ? $"{Field(norm)}.Weight!.Data" : "default";
                return One($"{R}BatchNormKernels.BackwardInput(in context, batch, {c}, {s}, {In(0)}, {(mask ? In(1) : "default")}, {In(mask ? 2 : 1)}, {k.Mean}, {k.InvStd}, {gamma}, {k.SumDy}, {k.SumDyXhat}, {Out(0)});");
            }

            case "Conv2dKernels.BackwardParameters" when Reads(B.Skip):
                return One($"{R}Conv2dKernels.BackwardParameters(in context, in {k.ProjGeometry}, batch, {o.Skip}, {In(1)}, {residual}.Projection!.Weight.GradTarget, default);");
            case "Conv2dKernels.BackwardInput" when Writes(B.SkipDx):
                return One($"{R}Conv2dKernels.BackwardInput(in context, in {k.ProjGeometry}, batch, {In(0)}, {residual}.Projection!.Weight.Data, {Out(0)});");
            case "Conv2dKernels.BackwardParameters" or "LinearKernels.BackwardParameters":
            {
                LayerSpec anchor = kernel.Anchor!;
                string biasGrad = anchor.Bias ? $"{Field(anchor)}.Bias!.GradTarget" : "default";
                return One($"{R}{AnchorClass(anchor)}.BackwardParameters(in context, in {k.Geometry}, batch, {o.X}, {In(1)}, {Field(anchor)}.Weight.GradTarget, {biasGrad});");
            }

            case "Conv2dKernels.BackwardInput" or "LinearKernels.BackwardInput":
            {
                LayerSpec anchor = kernel.Anchor!;
                return One($"{R}{AnchorClass(anchor)}.BackwardInput({AnchorContext(anchor)}, in {k.Geometry}, batch, {In(0)}, {Field(anchor)}.Weight.Data, {Out(0)});");
            }

            case "PoolKernels.MaxBackward":
                return One($"{R}PoolKernels.MaxBackward(in context, in {(kernel.Pool is null ? k.Geometry : k.FusedPoolGeometry)}, batch, {o.Dy}, {Indices()}, {Out(0)});");
            case "PoolKernels.AvgBackward":
                return One($"{R}PoolKernels.AvgBackward(in context, in {(kernel.Pool is null ? k.Geometry : k.FusedPoolGeometry)}, batch, {Bool((kernel.Pool ?? kernel.Op)!.CountIncludePad)}, {o.Dy}, {Out(0)});");
            case "PoolKernels.GlobalAvgBackward":
                return One($"{R}PoolKernels.GlobalAvgBackward(in context, batch, {c}, {s}, {o.Dy}, {Out(0)});");
            case "DropoutKernels.Backward":
                return One($"{R}DropoutKernels.Backward(in context, {o.Dy}, new global::System.ReadOnlySpan<float>({k.Mask}, 0, batch * {Shapes.Inv(k.OutputLength)}), {Out(0)});");
            case "ActivationKernels.Backward":
                return One($"{R}ActivationKernels.Backward(in context, {k.ActivationExpression}, batch, {c}, {s}, {In(0)}, {In(1)}, " +
                           (Reads(B.ScaleShift) ? $"{k.Scale}, {k.Shift}" : "default, default") + $", {Out(0)});");
            case "ActivationKernels.ReluBackward":
                return One($"{R}ActivationKernels.ReluBackward(in context, {In(0)}, {In(1)}, {Out(0)});");
            case "RowNormKernels.Backward":
                return One(RowNormBackward(o, pass));
            case "BatchNormKernels.ThrowIfNotFinite":
                return One(Reads(B.ProjStats)
                    ? $"{R}BatchNormKernels.ThrowIfNotFinite(\"{kernel.Residual!.StateKey}.1\", {k.ProjMean}, {k.ProjVar});"
                    : $"{R}BatchNormKernels.ThrowIfNotFinite(\"{kernel.Norm!.Name}\", {k.Mean}, {k.Var});");
            case "RowNormKernels.ThrowIfNotFinite":
                return One($"{R}RowNormKernels.ThrowIfNotFinite(\"{kernel.Norm!.Name}\", {c}, {o.Scope.Get(k.RowMean, k.RowsPerSample)}, {o.Scope.Get(k.RowVar, k.RowsPerSample)});");
            case "BatchNormKernels.UpdateRunningStatistics" when Reads(B.ProjStats):
            {
                string norm = residual + ".ProjectionNorm!";
                return new[]
                {
                    $"{norm}.NumBatchesTracked++;",
                    $"{R}BatchNormKernels.UpdateRunningStatistics(in context, {k.ProjMean}, {k.ProjVar}, (long)batch * {s}, 0.1, {norm}.RunningMean!, {norm}.RunningVar!);",
                };
            }

            case "BatchNormKernels.UpdateRunningStatistics":
            {
                LayerSpec norm = kernel.Norm!;
                string bn = Field(norm);
                string factor = norm.CumulativeAverage ? $"1.0 / {bn}.NumBatchesTracked" : Number(norm.Momentum);
                string count = k.Spatial == 1 ? "batch" : $"(long)batch * {s}";
                return new[]
                {
                    $"{bn}.NumBatchesTracked++;",
                    $"{R}BatchNormKernels.UpdateRunningStatistics(in context, {k.Mean}, {k.Var}, {count}, {factor}, {bn}.RunningMean!, {bn}.RunningVar!);",
                };
            }

            case "RowNormKernels.UpdateInstanceRunningStatistics":
            {
                LayerSpec norm = kernel.Norm!;
                return One($"{R}RowNormKernels.UpdateInstanceRunningStatistics(batch, {c}, {s}, {o.Scope.Get(k.RowMean, k.RowsPerSample)}, {o.Scope.Get(k.RowVar, k.RowsPerSample)}, " +
                           $"{Number(norm.Momentum)}, {Field(norm)}.RunningMean!, {Field(norm)}.RunningVar!);");
            }

            case "BatchRenormKernels.UpdateRunningStatistics":
            {
                LayerSpec norm = kernel.Norm!;
                string layer = Field(norm);
                return new[]
                {
                    $"{layer}.NumBatchesTracked++;",
                    $"{R}BatchRenormKernels.UpdateRunningStatistics({k.Mean}, {k.Var}, {Number(norm.Eps)}, {Number(norm.Momentum)}, {layer}.RunningMean, {layer}.RunningStd);",
                };
            }

            default:
                throw new System.InvalidOperationException($"Kernel {kernel.Index}: the schedule's call '{pass.Call}' has no renderer.");
        }
    }

    private static string[] One(string statement) => new[] { statement };

    private static string AnchorClass(LayerSpec anchor) => anchor.Kind == LayerKind.Conv2d ? "Conv2dKernels" : "LinearKernels";

    /// <summary>The gradient a residual kernel hands its skip source (<c>"K{n} da"</c> or <c>"K{n} skip dx"</c> in the schedule).</summary>
    private static string SkipGradient(PassOperands o, string buffer)
    {
        int space = buffer.IndexOf(' ');
        int index = int.Parse(buffer.Substring(1, space - 1), System.Globalization.CultureInfo.InvariantCulture);
        KernelNames r = o.Kernels[index];
        string what = buffer.Substring(space + 1);
        return what switch
        {
            B.SkipDx => o.Scope.Get(r.SkipDx, r.SkipLength),
            B.Dy => r.IsLast ? "gradOutput" : o.Scope.Get(r.Dy, r.OutputLength),
            _ => o.Scope.Get(r.Da, r.NormLength),
        };
    }
}
