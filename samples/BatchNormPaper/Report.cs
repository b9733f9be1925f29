using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace BatchNormPaper;

/// <summary>The printed summary (Markdown tables, ready for docs/batchnorm-paper.md) and the CSV files.</summary>
internal static class Report
{
    /// <summary>The summary of the two curves and the sweep as Markdown.</summary>
    public static string Markdown(Options options, RunResult without, RunResult with, IReadOnlyList<RunResult> sweep)
    {
        var text = new StringBuilder();
        int[] steps = TableSteps(options.Steps, without.Points.Select(p => p.Step).Union(with.Points.Select(p => p.Step)).ToArray());

        text.AppendLine(Invariant($"Figure 1(a): test accuracy on the 10,000 test images (inference mode), plain SGD, lr {options.LearningRate:G3}"));
        text.AppendLine();
        text.AppendLine("| step | without BN | with BN |");
        text.AppendLine("|---:|---:|---:|");
        foreach (int step in steps)
        {
            text.AppendLine(Invariant($"| {step:N0} | {Accuracy(without, step)} | {Accuracy(with, step)} |"));
        }

        text.AppendLine();
        foreach (RunResult run in new[] { without, with })
        {
            CurvePoint best = run.Points.MaxBy(p => p.TestAccuracy)!;
            text.AppendLine(Invariant($"- {run.Spec.NetworkName}: final {Program.Pct(run.FinalAccuracy)}, best {Program.Pct(best.TestAccuracy)} (step {best.Step:N0}); {run.Status}; {run.Seconds:F0} s"));
        }

        foreach (double threshold in new[] { 0.95, 0.97, without.FinalAccuracy })
        {
            int? a = FirstStepReaching(without, threshold), b = FirstStepReaching(with, threshold);
            string label = threshold == without.FinalAccuracy ? Invariant($"the final accuracy without BN ({Program.Pct(threshold)})") : Program.Pct(threshold);
            string ratio = a is int x && b is int y && y > 0 ? Invariant($", {(double)x / y:F1}x fewer steps with BN") : string.Empty;
            text.AppendLine(Invariant($"- first evaluation at or above {label}: without BN {StepText(a)}, with BN {StepText(b)}{ratio}"));
        }

        text.AppendLine();
        text.AppendLine(Invariant($"Figure 1(b, c): input of sigmoid unit {options.ProbeUnit} of the last hidden layer, 15th/50th/85th percentiles over the first {Math.Min(options.ProbeImages, 10_000)} test images, in inference mode (running statistics) and, with BN, also with the statistics of batches of 60"));
        text.AppendLine();
        text.AppendLine("| step | without BN p15 | p50 | p85 | with BN p15 | p50 | p85 | with BN, batch statistics p15 | p50 | p85 |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (int step in steps)
        {
            text.AppendLine(Invariant($"| {step:N0} | {PercentileCells(without, step, p => p.Inference)} | {PercentileCells(with, step, p => p.Inference)} | {PercentileCells(with, step, p => p.TrainingMode)} |"));
        }

        text.AppendLine();
        foreach (RunResult run in new[] { without, with })
        {
            text.AppendLine("- " + Drift(run));
        }

        text.AppendLine(Invariant($"- probe check (float64 forward pass vs the fused model's logits: Eval mode on 256 test images, and with BN also Train mode on one batch of 60): without BN {without.ProbeCheckBefore:E1} at the start, {without.ProbeCheckAfter:E1} at the end; with BN {with.ProbeCheckBefore:E1}, {with.ProbeCheckAfter:E1}"));
        if (sweep.Count == 0)
        {
            return text.ToString();
        }

        text.AppendLine();
        text.AppendLine(Invariant($"Learning-rate sweep: {sweep[0].Spec.Steps:N0} steps per run, plain SGD at a constant multiple of the base lr {options.LearningRate:G3}, final test accuracy"));
        text.AppendLine();
        text.AppendLine("| lr multiple | lr | without BN | | with BN | |");
        text.AppendLine("|---:|---:|---:|---|---:|---|");
        foreach (double multiple in sweep.Select(r => r.Spec.Multiple).Distinct().Order())
        {
            RunResult a = sweep.First(r => r.Spec.Multiple == multiple && r.Spec.Network == Network.WithoutBatchNorm);
            RunResult b = sweep.First(r => r.Spec.Multiple == multiple && r.Spec.Network == Network.WithBatchNorm);
            text.AppendLine(Invariant($"| {multiple:G3}x | {a.Spec.LearningRate:G3} | {FinalCell(a)} | {a.Status} | {FinalCell(b)} | {b.Status} |"));
        }

        return text.ToString();
    }

    /// <summary>Writes every evaluation of every run; returns the path.</summary>
    public static string WriteCurvesCsv(string path, IEnumerable<RunResult> results)
    {
        var text = new StringBuilder(
            "group,network,lr_multiple,lr,step,test_accuracy,test_loss,train_loss,sigmoid_input_p15,sigmoid_input_p50,sigmoid_input_p85," +
            "batch_stats_sigmoid_input_p15,batch_stats_sigmoid_input_p50,batch_stats_sigmoid_input_p85\n");
        foreach (RunResult run in results)
        {
            foreach (CurvePoint p in run.Points)
            {
                Percentiles? s = p.SigmoidInput?.Inference, t = p.SigmoidInput?.TrainingMode;
                text.Append(Invariant($"{run.Spec.Group},{Slug(run.Spec.Network)},{run.Spec.Multiple:R},{run.Spec.LearningRate:R},{p.Step},"));
                text.Append(Invariant($"{p.TestAccuracy:R},{p.TestLoss:R},{Number(p.TrainLoss)},"));
                text.AppendLine(Invariant($"{Number(s?.P15)},{Number(s?.P50)},{Number(s?.P85)},{Number(t?.P15)},{Number(t?.P50)},{Number(t?.P85)}"));
            }
        }

        File.WriteAllText(path, text.ToString());
        return path;
    }

    /// <summary>Writes one line per sweep run; returns the path.</summary>
    public static string WriteSweepCsv(string path, IEnumerable<RunResult> sweep, double baseLearningRate)
    {
        var text = new StringBuilder(Invariant($"# base lr {baseLearningRate:R}\nnetwork,lr_multiple,lr,steps,final_test_accuracy,best_test_accuracy,nonfinite_loss_at_step,status\n"));
        foreach (RunResult run in sweep.OrderBy(r => r.Spec.Network).ThenBy(r => r.Spec.Multiple))
        {
            text.AppendLine(Invariant(
                $"{Slug(run.Spec.Network)},{run.Spec.Multiple:R},{run.Spec.LearningRate:R},{run.Spec.Steps},{run.FinalAccuracy:R},{run.Points.Max(p => p.TestAccuracy):R},{run.NonFiniteAtStep?.ToString(CultureInfo.InvariantCulture) ?? string.Empty},{run.Status}"));
        }

        File.WriteAllText(path, text.ToString());
        return path;
    }

    /// <summary>"without_bn" or "with_bn".</summary>
    public static string Slug(Network network) => network == Network.WithBatchNorm ? "with_bn" : "without_bn";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Number(double? value) => value is double v && double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : string.Empty;

    /// <summary>About nine rows: 0, 2%, 4%, 10%, 20%, 40%, 60%, 80% and 100% of the steps, snapped to evaluated steps.</summary>
    private static int[] TableSteps(int total, int[] evaluated)
    {
        if (evaluated.Length <= 12)
        {
            return [.. evaluated.Order()];
        }

        double[] fractions = [0, 0.02, 0.04, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0];
        return [.. fractions.Select(f => evaluated.MinBy(s => Math.Abs(s - (f * total)))).Distinct().Order()];
    }

    private static string FinalCell(RunResult run) => run.NonFinite ? "NaN" : Program.Pct(run.FinalAccuracy);

    private static CurvePoint? At(RunResult run, int step) => run.Points.FirstOrDefault(p => p.Step == step);

    private static string Accuracy(RunResult run, int step) => At(run, step) is { } p ? Program.Pct(p.TestAccuracy) : "-";

    private static string PercentileCells(RunResult run, int step, Func<ProbeValues, Percentiles?> select) =>
        At(run, step)?.SigmoidInput is { } probe && select(probe) is { } s
            ? Invariant($"{s.P15:F2} | {s.P50:F2} | {s.P85:F2}")
            : "- | - | -";

    private static int? FirstStepReaching(RunResult run, double threshold) => run.Points.FirstOrDefault(p => p.TestAccuracy >= threshold)?.Step;

    private static string StepText(int? step) => step is int s ? s.ToString("N0", CultureInfo.InvariantCulture) : "never";

    /// <summary>How far the median and the 15-85 spread moved from the first 10% of training to the end.</summary>
    private static string Drift(RunResult run)
    {
        List<Percentiles> probe = run.Points.Where(p => p.SigmoidInput is not null).Select(p => p.SigmoidInput!.Value.Inference).ToList();
        if (probe.Count < 2)
        {
            return $"{run.Spec.NetworkName}: no probe";
        }

        Percentiles early = probe[Math.Max(1, probe.Count / 10)], last = probe[^1];
        double lowest = probe.Skip(1).Min(p => p.P50), highest = probe.Skip(1).Max(p => p.P50);
        return Invariant(
            $"{run.Spec.NetworkName}: median {early.P50:F2} at 10% of training -> {last.P50:F2} at the end (range over training after step 0: {lowest:F2} .. {highest:F2}); 15-85 spread {early.P85 - early.P15:F2} -> {last.P85 - last.P15:F2}");
    }
}
