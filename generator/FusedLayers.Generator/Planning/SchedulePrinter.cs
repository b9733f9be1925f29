using System.Collections.Generic;
using System.Linq;
using FusedLayers.Generator.Helpers;

namespace FusedLayers.Generator.Planning;

/// <summary>
/// Prints a kernel's schedule: per mode its numbered passes (per-channel steps marked <c>-</c>) with operands and
/// comments, then what the training forward keeps for backward. The generated file's header is this text.
/// </summary>
internal static class SchedulePrinter
{
    /// <summary>The schedule's lines, without comment markers or indentation.</summary>
    public static IEnumerable<string> Lines(KernelSchedule schedule)
    {
        foreach (string line in Mode("training forward", schedule.TrainingForward))
        {
            yield return line;
        }

        if (schedule.InferenceForward.Equals(schedule.TrainingForward))
        {
            yield return "inference forward   as training" +
                (schedule.Kernel.Norm is { TrackRunningStats: false } ? " (track_running_stats=False: batch statistics, no running updates)" : "");
        }
        else
        {
            foreach (string line in Mode("inference forward", schedule.InferenceForward))
            {
                yield return line;
            }
        }

        foreach (string line in Mode("backward", schedule.Backward))
        {
            yield return line;
        }

        if (schedule.Commit.Count > 0)
        {
            foreach (string line in Mode("once all succeeded", schedule.Commit))
            {
                yield return line;
            }
        }

        IReadOnlyList<string> saved = schedule.SavedForBackward();
        if (saved.Count == 0)
        {
            yield return "saved for backward  nothing";
        }
        else
        {
            bool first = true;
            foreach (string buffer in saved)
            {
                string why = schedule.Describe(buffer);
                yield return (first ? "saved for backward  " : "                    ") + buffer + (why.Length == 0 ? "" : " = " + why);
                first = false;
            }
        }
    }

    /// <summary>The whole model's schedule, kernel by kernel (what the planner tests pin).</summary>
    public static string Print(ModelSchedule schedule)
    {
        var lines = new List<string>();
        foreach (KernelSchedule kernel in schedule.Kernels)
        {
            KernelPlan plan = kernel.Kernel;
            lines.Add($"kernel {Shapes.Inv(plan.Index)}  {string.Join(" -> ", plan.Layers().Select(l => l.Name))}   {Shapes.Format(plan.InputShape)} -> {Shapes.Format(plan.OutputShape)}");
            lines.AddRange(Lines(kernel).Select(l => "  " + l));
        }

        return string.Join("\n", lines) + "\n";
    }

    private static IEnumerable<string> Mode(string title, EquatableArray<SchedulePass> passes)
    {
        if (passes.Count == 0)
        {
            yield return title.PadRight(20) + "nothing";
            yield break;
        }

        yield return title;
        int number = 1;
        foreach (SchedulePass pass in passes)
        {
            string label = pass.PerChannel ? "    -" : (number++).ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(4) + ".";
            string operands = $"({string.Join(", ", pass.Reads)} -> {(pass.Writes.Count == 0 ? "nothing" : string.Join(", ", pass.Writes))})";
            string condition = pass.Condition is null ? "" : $" [{pass.Condition}]";
            yield return $"{label} {pass.Call} {operands}{condition}: {pass.Comment}";
        }
    }
}
