using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Planning;
using FusedLayers.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace FusedLayers.Generator.Tests;

/// <summary>
/// The planner on its own: the printed schedule of every model the numeric tests run (one readable snapshot, cheaper to
/// review than the generated files), the generated code checked call for call against the schedule, and rule-level
/// facts (what folds, what is kept, where a pool's prologue goes).
/// </summary>
public sealed class PlannerTests
{
    [Fact]
    public void Schedules_of_the_test_models_match_the_snapshot()
    {
        GeneratorRunOutput run = RunTestModels();
        var text = new StringBuilder();
        foreach (FusionPlan plan in Plans(run).OrderBy(p => p.Spec.ClassName, StringComparer.Ordinal))
        {
            text.Append("model ").Append(plan.Spec.ClassName).Append('\n');
            text.Append(SchedulePrinter.Print(plan.Schedule)).Append('\n');
        }

        Snapshot.Verify(text.ToString(), "txt");
    }

    [Fact]
    public void Generated_test_models_make_exactly_the_scheduled_calls()
    {
        GeneratorRunOutput run = RunTestModels();
        var problems = new List<string>();
        int checkedModels = 0;
        foreach (FusionPlan plan in Plans(run))
        {
            string header = "// FusedLayers model " + plan.Spec.Namespace + "." + plan.Spec.ClassName + "\n";
            GeneratedSource source = run.GeneratedSources.Single(s => s.Text.Replace("\r\n", "\n").Contains(header, StringComparison.Ordinal));
            problems.AddRange(ScheduleConsistency.Mismatches(plan, source.Text).Select(p => plan.Spec.ClassName + " " + p));
            checkedModels++;
        }

        Assert.True(checkedModels >= 25, $"only {checkedModels} test models were planned");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void The_consistency_check_fails_when_the_schedule_and_the_code_disagree()
    {
        GeneratorRunOutput run = GeneratorHarness.Run(
            "using FusedLayers;\nnamespace Planner;\n[FusedModel(InputShape = new[] { 3, 8, 8 })]\npublic partial class Model\n{\n" +
            "[Conv2d(3, 8, 3, Padding = 1)] public partial Conv2dLayer Conv { get; }\n[BatchNorm2d(8)] public partial BatchNorm2dLayer Bn { get; }\n}\n");
        FusionPlan plan = Assert.Single(Plans(run));
        string code = run.SingleSource.Text;
        Assert.Empty(ScheduleConsistency.Mismatches(plan, code));

        // A pass the code does not make, a call the schedule does not list, and a call moved to another kernel's comment.
        KernelSchedule kernel = plan.Schedule.Kernels[0];
        FusionPlan dropped = plan with
        {
            Schedule = new ModelSchedule(new[] { kernel with { Backward = kernel.Backward.Skip(1).ToEquatableArray() } }.ToEquatableArray()),
        };
        Assert.Contains(ScheduleConsistency.Mismatches(dropped, code), p => p.StartsWith("kernel 0 backward", StringComparison.Ordinal));
        string extra = code.Replace(
            "global::FusedLayers.Kernels.BatchNormKernels.Apply(",
            "global::FusedLayers.Kernels.ActivationKernels.Relu(in context, k0Z, k0Y);\n            global::FusedLayers.Kernels.BatchNormKernels.Apply(",
            StringComparison.Ordinal);
        Assert.NotEqual(code, extra);
        Assert.Contains(ScheduleConsistency.Mismatches(plan, extra), p => p.StartsWith("kernel 0 training forward", StringComparison.Ordinal));
        Assert.NotEmpty(ScheduleConsistency.Mismatches(plan, code.Replace("// Kernel 0 backward:", "// Kernel 7 backward:", StringComparison.Ordinal)));
    }

    [Fact]
    public void Conv_BatchNorm_ReLU_folds_in_inference_and_keeps_input_anchor_output_mask_and_statistics()
    {
        KernelSchedule k = Single("""
            [Conv2d(3, 8, 3, Padding = 1)] public partial Conv2dLayer Conv { get; }
            [BatchNorm2d(8)] public partial BatchNorm2dLayer Bn { get; }
            [ReLU] public partial ReLULayer Relu { get; }
            """, "3, 8, 8");

        Assert.True(k.Folds);
        Assert.Equal(["BatchNormKernels.ScaleShift", "BatchNormKernels.FoldIntoWeights", "Conv2dKernels.Forward"], k.InferenceForward.Select(p => p.Call));
        Assert.Equal([Buffers.Y, Buffers.Z, Buffers.Stats, Buffers.X], k.SavedForBackward());
    }

    [Fact]
    public void A_BatchNorm_after_a_residual_add_does_not_fold_and_the_add_kernel_keeps_its_own_pass()
    {
        ModelSchedule schedule = Schedule("""
            [Conv2d(4, 4, 3, Padding = 1, Bias = false)] public partial Conv2dLayer Conv { get; }
            [BatchNorm2d(4)] public partial BatchNorm2dLayer Bn { get; }
            [Residual(ResidualAttribute.ModelInput)] public partial ResidualLayer Add { get; }
            [BatchNorm2d(4)] public partial BatchNorm2dLayer After { get; }
            """, "4, 6, 6");

        Assert.Equal(2, schedule.Kernels.Count);
        Assert.False(schedule.Kernels[0].Folds);
        Assert.Equal("ResidualKernels.Forward", schedule.Kernels[0].InferenceForward.Last().Call);
        Assert.False(schedule.Kernels[1].Folds);
        Assert.Equal(["BatchNormKernels.ScaleShift", "BatchNormKernels.Apply"], schedule.Kernels[1].InferenceForward.Select(p => p.Call));
    }

    [Fact]
    public void A_pool_after_BatchNorm_takes_the_apply_as_its_prologue_and_the_full_resolution_output_is_never_kept()
    {
        KernelSchedule k = Single("""
            [Conv2d(3, 8, 3, Padding = 1)] public partial Conv2dLayer Conv { get; }
            [BatchNorm2d(8)] public partial BatchNorm2dLayer Bn { get; }
            [ReLU] public partial ReLULayer Relu { get; }
            [MaxPool2d(2)] public partial MaxPool2dLayer Pool { get; }
            """, "3, 8, 8");

        SchedulePass pool = k.TrainingForward.Last();
        Assert.Equal("PoolKernels.MaxForward", pool.Call);
        Assert.Equal([Buffers.Z, Buffers.ScaleShift], pool.Reads);
        Assert.Equal([Buffers.Y, Buffers.Indices], pool.Writes);
        Assert.DoesNotContain(Buffers.Y, k.SavedForBackward());
        Assert.Contains(Buffers.Indices, k.SavedForBackward());
        Assert.False(k.Folds); // the pool reads the planes anyway
        Assert.DoesNotContain(Buffers.Indices, k.InferenceForward.SelectMany(p => p.Writes)); // values only in inference
    }

    [Fact]
    public void A_smooth_activation_after_a_conv_keeps_the_pre_activation_in_training_only()
    {
        KernelSchedule k = Single("""
            [Conv2d(3, 8, 3, Padding = 1)] public partial Conv2dLayer Conv { get; }
            [SiLU] public partial ActivationLayer Act { get; }
            """, "3, 8, 8");

        Assert.Equal(["Conv2dKernels.Forward", "ActivationKernels.Forward"], k.TrainingForward.Select(p => p.Call));
        Assert.Equal(["Conv2dKernels.Forward"], k.InferenceForward.Select(p => p.Call));
        Assert.Contains(Buffers.Z, k.SavedForBackward());
        Assert.DoesNotContain(Buffers.Y, k.SavedForBackward());
    }

    [Fact]
    public void A_skip_source_adds_the_skip_gradient_before_its_own_backward()
    {
        ModelSchedule schedule = Schedule("""
            [Linear(8, 8)] public partial LinearLayer Fc1 { get; }
            [Linear(8, 8)] public partial LinearLayer Fc2 { get; }
            [Residual(nameof(Fc1))] public partial ResidualLayer Add { get; }
            """, "8");

        SchedulePass first = schedule.Kernels[0].Backward[0];
        Assert.Equal("ResidualKernels.Accumulate", first.Call);
        Assert.Equal(["K1 da"], first.Reads);
        Assert.Equal([Buffers.Dy], first.Writes);
        Assert.Contains(Buffers.Skip, schedule.Kernels[1].SavedForBackward());
    }

    [Fact]
    public void A_tracked_InstanceNorm_normalises_rows_in_training_and_folds_in_inference()
    {
        KernelSchedule k = Single("""
            [Conv2d(3, 4, 3, Padding = 1)] public partial Conv2dLayer Conv { get; }
            [InstanceNorm2d(4, TrackRunningStats = true)] public partial InstanceNorm2dLayer Norm { get; }
            """, "3, 6, 6");

        Assert.Equal(["Conv2dKernels.Forward", "RowNormKernels.Forward"], k.TrainingForward.Select(p => p.Call));
        Assert.True(k.Folds);
        Assert.Equal(["RowNormKernels.ThrowIfNotFinite", "RowNormKernels.UpdateInstanceRunningStatistics"], k.Commit.Select(p => p.Call));
    }

    [Fact]
    public void A_residual_add_after_LayerNorm_or_GroupNorm_joins_the_row_pass_and_a_projection_does_not()
    {
        ModelSchedule schedule = Schedule("""
            [Linear(8, 8)] public partial LinearLayer Fc1 { get; }
            [Linear(8, 8)] public partial LinearLayer Fc2 { get; }
            [LayerNorm(8)] public partial LayerNormLayer Ln { get; }
            [Residual(nameof(Fc1))] public partial ResidualLayer Add { get; }
            [GELU] public partial ActivationLayer Act { get; }
            """, "8");

        KernelSchedule k = schedule.Kernels[1];
        Assert.Equal(2, schedule.Kernels.Count);
        Assert.Equal(["LinearKernels.Forward", "RowNormKernels.Forward"], k.TrainingForward.Select(p => p.Call));
        Assert.Contains(Buffers.Skip, k.TrainingForward[1].Reads);
        Assert.Equal([Buffers.Pre, Buffers.Y, Buffers.RowStats], k.TrainingForward[1].Writes); // the pre-activation is norm + skip
        Assert.Equal([Buffers.Da], k.Backward[0].Writes); // GELU's gradient is the add's, shared with the skip source
        Assert.Equal("ResidualKernels.Accumulate", schedule.Kernels[0].Backward[0].Call);
        Assert.Equal(["K1 da"], schedule.Kernels[0].Backward[0].Reads);

        ModelSchedule projected = Schedule("""
            [Conv2d(4, 8, 3, Stride = 2, Padding = 1)] public partial Conv2dLayer Conv { get; }
            [GroupNorm(4, 8)] public partial GroupNormLayer Gn { get; }
            [Residual(ResidualAttribute.ModelInput, Projection = true, ProjectionStride = 2)] public partial ResidualLayer Down { get; }
            """, "4, 6, 6");
        Assert.Equal(2, projected.Kernels.Count);
        Assert.Equal("ResidualKernels.Forward", projected.Kernels[1].TrainingForward.Last().Call);
    }

    /// <summary>The one kernel of a model made of <paramref name="layers"/>.</summary>
    private static KernelSchedule Single(string layers, string inputShape) => Assert.Single(Schedule(layers, inputShape).Kernels);

    /// <summary>The schedule of a model made of <paramref name="layers"/> (property declarations) on <paramref name="inputShape"/>.</summary>
    private static ModelSchedule Schedule(string layers, string inputShape)
    {
        GeneratorRunOutput run = GeneratorHarness.Run(
            "using FusedLayers;\nnamespace Planner;\n" +
            $"[FusedModel(InputShape = new[] {{ {inputShape} }})]\npublic partial class Model\n{{\n{layers}\n}}\n");
        Assert.Empty(run.GeneratorDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.Empty(run.FormattedCompilationDiagnostics);
        FusionPlan plan = Assert.Single(Plans(run));
        Assert.Empty(ScheduleConsistency.Mismatches(plan, run.SingleSource.Text));
        return plan.Schedule;
    }

    private static IEnumerable<FusionPlan> Plans(GeneratorRunOutput run) =>
        IncrementalSteps.Outputs(run.RunResult, TrackingNames.Plan).Select(o => o.Value).OfType<FusionPlan>().Where(p => p.Kernels.Count > 0);

    /// <summary>The generator over the test-model project's sources (the models the numeric and parity tests run).</summary>
    private static GeneratorRunOutput RunTestModels([CallerFilePath] string thisFile = "")
    {
        string root = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", ".."));
        string models = Path.Combine(root, "tests", "FusedLayers.TestModels");
        string[] files =
        [
            Path.Combine(models, "TestModels.cs"),
            Path.Combine(models, "NormalizationModels.cs"),
            Path.Combine(models, "ResNet18Models.cs"),
            Path.Combine(root, "samples", "ResNet", "BasicBlock.cs"),
        ];
        SyntaxTree[] extra = [.. files.Skip(1).Select(f => GeneratorHarness.Parse(File.ReadAllText(f), f))];
        GeneratorRunOutput run = GeneratorHarness.Run(File.ReadAllText(files[0]), extra);
        Assert.Empty(run.GeneratorDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        return run;
    }
}
