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
                WriteKernelBackward(w, BackwardOperands(scope, kernels, i));
                if (hooks[i] is { } hook)
                {
                    w.Line(hook);
                }
            }
        });

        w.CloseBrace();
        w.Line();
    }

    /// <summary>
    /// Kernel <paramref name="i"/>'s operands in backward: the gradient of its output (the caller's for the last kernel),
    /// its saved input (the previous kernel's output, or the saved model input), the gradient of its input (the previous
    /// kernel's output gradient, or the model's input gradient) and, for a skip connection, the saved skip source.
    /// </summary>
    private static PassOperands BackwardOperands(SliceScope scope, List<KernelNames> kernels, int i)
    {
        KernelNames k = kernels[i];
        string dy = k.IsLast ? "gradOutput" : scope.Get(k.Dy, k.OutputLength);
        string x = i == 0 ? (k.NeedsSavedInput ? scope.Get("_flInput", k.InputLength) : "") : scope.Get(kernels[i - 1].Y, k.InputLength);
        string dx = i == 0 ? "gradInput" : scope.Get(kernels[i - 1].Dy, k.InputLength);
        string skip = k.Kernel.Residual is null ? ""
            : k.SkipFromInput ? scope.Get("_flInput", kernels[0].InputLength)
            : scope.Get(kernels[k.Kernel.SkipKernel].Y, kernels[k.Kernel.SkipKernel].OutputLength);
        return new PassOperands(k, kernels, scope, training: true, x, () => scope.Get(k.Y, k.OutputLength), dy, dx, skip);
    }

    /// <summary>
    /// The context of a BatchNorm's backward sums: a frozen BatchNorm's sums feed only gamma and beta (its statistics are
    /// constants), so they stay local and run no synchronised-BatchNorm collective (<c>context.Local</c>).
    /// </summary>
    private static string ReduceContext(KernelNames k) => k.CanFreeze ? $"{k.Frozen} ? context.Local : context" : "in context";
}
