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
                string y = scope.Get(k.Y, k.OutputLength);
                WriteKernelForward(w, new PassOperands(k, kernels, scope, training: true, x, () => y, skip: Skip(scope, kernels, k, training: true)));
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

    /// <summary>
    /// After every kernel succeeded: every kernel's finiteness checks, then every kernel's running-statistics updates (the
    /// commit passes of the schedule), so a failed check leaves all running statistics as they were.
    /// </summary>
    private static void WriteCommit(CodeWriter w, SliceScope scope, List<KernelNames> kernels)
    {
        List<KernelNames> committing = kernels.Where(k => k.Schedule.Commit.Count > 0).ToList();
        if (committing.Count > 0)
        {
            w.Line();
            w.Line("// Every kernel succeeded: check the batch statistics, then update the running statistics.");
            w.Line("// Nothing the user can observe (weights, running statistics) changed before this point.");
            w.Line("// A BatchNorm that ran on its running statistics (eval mode) neither checks nor updates them.");
            foreach (KernelNames k in committing)
            {
                WritePasses(w, new PassOperands(k, kernels, scope, training: true, "", () => ""), k.Schedule.Commit.Where(p => p.Writes.Count == 0));
            }

            foreach (KernelNames k in committing)
            {
                WritePasses(w, new PassOperands(k, kernels, scope, training: true, "", () => ""), k.Schedule.Commit.Where(p => p.Writes.Count > 0));
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
                WriteKernelForward(w, new PassOperands(k, kernels, scope, training: false, x, () => y, skip: Skip(scope, kernels, k, training: false)));
            }
        });

        w.CloseBrace();
        w.Line();
    }

    /// <summary>
    /// The skip source of a residual kernel: the output buffer of the kernel that computes it, or the model input (its
    /// saved copy in training); empty for a kernel without a skip connection.
    /// </summary>
    private static string Skip(SliceScope scope, List<KernelNames> kernels, KernelNames k, bool training) =>
        k.Kernel.Residual is null ? ""
        : k.SkipFromInput ? (training ? scope.Get("_flInput", kernels[0].InputLength) : "input")
        : scope.Get(kernels[k.Kernel.SkipKernel].Y, kernels[k.Kernel.SkipKernel].OutputLength);

    /// <summary>Whether this pass tests the kernel's BatchNorm for being frozen (training-style passes of a BatchNorm with running statistics).</summary>
    private static bool FreezeTested(KernelNames k, bool training) => training && k.CanFreeze;

    /// <summary>A statistics buffer as an epilogue operand: none (<c>default</c>) when the BatchNorm is frozen.</summary>
    private static string StatisticsOperand(KernelNames k, bool training, string buffer) =>
        FreezeTested(k, training) ? $"{k.Frozen} ? default : {buffer}" : buffer;
}
