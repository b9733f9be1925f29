using System.Collections.Generic;
using System.Linq;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using B = FusedLayers.Generator.Planning.Buffers;

namespace FusedLayers.Generator.Planning;

/// <summary>
/// Builds each kernel's schedule from its layers: one rule per kernel shape (anchor [+ norm] [+ activation], norm-led,
/// residual, pool-fused, row normalisation, standalone pool/dropout, activation alone), each naming the runtime calls of
/// every mode with their operands. The emitter writes these calls; <c>ScheduleConsistencyTests</c> checks that the
/// generated code makes exactly these calls, in this order, for every test model.
/// </summary>
internal static class ScheduleRules
{
    /// <summary>The schedule of every kernel in <paramref name="kernels"/>.</summary>
    public static ModelSchedule Build(EquatableArray<KernelPlan> kernels)
    {
        var schedules = new List<KernelSchedule>();
        foreach (KernelPlan kernel in kernels)
        {
            schedules.Add(Build(kernels, kernel));
        }

        return new ModelSchedule(schedules.ToEquatableArray());
    }

    private static KernelSchedule Build(EquatableArray<KernelPlan> kernels, KernelPlan kernel)
    {
        var context = new RuleContext(kernels, kernel);
        var training = new PassBuilder();
        var inference = new PassBuilder();
        var backward = new PassBuilder();
        var commit = new PassBuilder();

        SkipGradientsInto(context, backward);
        if (context.IsRowNorm && !context.IsTrackedInstanceNorm)
        {
            // Rows normalised with their own statistics, in training and inference alike (an identity skip added per row).
            RowNormRule.Forward(context, training, train: true);
            RowNormRule.Forward(context, inference, train: false);
            RowNormRule.Backward(context, backward);
        }
        else if (kernel.Residual is not null)
        {
            ResidualRule.Forward(context, training, train: true);
            ResidualRule.Forward(context, inference, train: false);
            ResidualRule.Backward(context, backward);
        }
        else if (kernel.Op is not null)
        {
            StandaloneRule.Forward(context, training, train: true);
            StandaloneRule.Forward(context, inference, train: false);
            StandaloneRule.Backward(context, backward);
        }
        else if (context.IsRowNorm)
        {
            // A tracked InstanceNorm: rows in training, a per-channel scale and shift in inference (BatchNorm's passes, folded).
            RowNormRule.Forward(context, training, train: true);
            EpilogueRule.Forward(context, inference, train: false, batchStatistics: false);
            RowNormRule.Backward(context, backward);
        }
        else
        {
            EpilogueRule.Forward(context, training, train: true, batchStatistics: true);
            EpilogueRule.Forward(context, inference, train: false, batchStatistics: kernel.Norm is { TrackRunningStats: false });
            EpilogueRule.Backward(context, backward);
        }

        if (kernel.Index == 0)
        {
            ModelInputSkipGradients(context, backward);
        }

        CommitRule.Build(context, commit);
        return new KernelSchedule(kernel, training.Build(), inference.Build(), backward.Build(), commit.Build(), context.Descriptions());
    }

    /// <summary>
    /// A kernel whose output also feeds skip connections: before its own backward, each skip path's gradient is added to
    /// the gradient of its output (the next kernel's backward has written it by then).
    /// </summary>
    private static void SkipGradientsInto(RuleContext c, PassBuilder backward)
    {
        foreach (KernelPlan r in c.Kernels.Where(r => r.Residual is not null && !r.SkipFromInput && r.SkipKernel == c.Kernel.Index))
        {
            backward.Pass("ResidualKernels.Accumulate", new[] { SkipGradient(r) }, new[] { B.Dy },
                $"'{r.Residual!.Name}' also reads this kernel's output: its skip path's gradient is added to dy");
        }
    }

    /// <summary>Skip connections from the model input: their gradients join the input gradient once kernel 0 has written it.</summary>
    private static void ModelInputSkipGradients(RuleContext c, PassBuilder backward)
    {
        foreach (KernelPlan r in c.Kernels.Where(r => r.Residual is not null && r.SkipFromInput))
        {
            backward.Pass("ResidualKernels.Accumulate", new[] { SkipGradient(r) }, new[] { B.Dx },
                $"the model input also feeds '{r.Residual!.Name}': its skip path's gradient joins the input gradient", RuleContext.WhenInputGradient);
        }
    }

    /// <summary>The gradient a residual kernel hands to its skip source: its projection's input gradient, or the add's gradient itself.</summary>
    /// <remarks>A row normalisation without an activation adds the skip last, so the add's gradient is the kernel's <c>dy</c>.</remarks>
    private static string SkipGradient(KernelPlan residualKernel) =>
        $"K{Shapes.Inv(residualKernel.Index)} " +
        (residualKernel.Residual!.Projection ? B.SkipDx
            : residualKernel.Norm is { } norm && LayerKinds.IsRowNorm(norm.Kind) && residualKernel.Activation is null ? B.Dy
            : B.Da);
}
