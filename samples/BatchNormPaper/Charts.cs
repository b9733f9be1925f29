using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ScottPlot;

namespace BatchNormPaper;

/// <summary>The PNG charts (ScottPlot): Figure 1(a), 1(b), 1(c) and the learning-rate sweep.</summary>
internal static class Charts
{
    private const int Width = 900;
    private const int Height = 560;
    private static readonly Color WithoutColor = Color.FromHex("#C44E52");
    private static readonly Color WithColor = Color.FromHex("#4C72B0");
    private static readonly Color[] Palette =
    [
        Color.FromHex("#4C72B0"), Color.FromHex("#55A868"), Color.FromHex("#DD8452"), Color.FromHex("#C44E52"),
        Color.FromHex("#8172B3"), Color.FromHex("#937860"), Color.FromHex("#DA8BC3"),
    ];

    /// <summary>Renders every chart into <see cref="Options.OutDirectory"/>; returns the paths.</summary>
    public static IReadOnlyList<string> RenderAll(Options options, RunResult without, RunResult with, IReadOnlyList<RunResult> sweep)
    {
        string suffix = options.Quick ? " (--quick)" : string.Empty;

        // One vertical range for (b), (c) and (c'), so that the panels compare at a glance.
        double[] all = without.Points.Concat(with.Points)
            .Select(p => p.SigmoidInput)
            .OfType<ProbeValues>()
            .SelectMany(p => new[] { p.Inference, p.TrainingMode ?? p.Inference })
            .SelectMany(p => new[] { p.P15, p.P85 })
            .DefaultIfEmpty(0)
            .ToArray();
        (double Low, double High) range = (Math.Floor(all.Min() * 2) / 2, (Math.Ceiling(all.Max() * 2) / 2) + 0.5);
        var paths = new List<string>
        {
            Accuracy(Path.Combine(options.OutDirectory, "batchnorm-paper-accuracy.png"), without, with, suffix),
            SigmoidInput(Path.Combine(options.OutDirectory, "batchnorm-paper-sigmoid-input-without-bn.png"), without, p => p.Inference, "(b) Without BN", "inference mode", range, options, suffix),
            SigmoidInput(Path.Combine(options.OutDirectory, "batchnorm-paper-sigmoid-input-with-bn.png"), with, p => p.Inference, "(c) With BN", "inference mode: running statistics", range, options, suffix),
            SigmoidInput(Path.Combine(options.OutDirectory, "batchnorm-paper-sigmoid-input-with-bn-batch-statistics.png"), with, p => p.TrainingMode, "(c') With BN", "training mode: statistics of batches of 60", range, options, suffix),
        };
        if (sweep.Count > 0)
        {
            paths.Add(SweepFinal(Path.Combine(options.OutDirectory, "batchnorm-paper-lr-sweep.png"), sweep, options.LearningRate, suffix));
            paths.Add(SweepCurves(Path.Combine(options.OutDirectory, "batchnorm-paper-lr-sweep-without-bn.png"), sweep, Network.WithoutBatchNorm, suffix));
            paths.Add(SweepCurves(Path.Combine(options.OutDirectory, "batchnorm-paper-lr-sweep-with-bn.png"), sweep, Network.WithBatchNorm, suffix));
        }

        return paths;
    }

    private static Plot NewPlot()
    {
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans"); // falls back to the default font where it is missing
        return plot;
    }

    /// <summary>Figure 1(a): test accuracy against training steps, both networks.</summary>
    private static string Accuracy(string path, RunResult without, RunResult with, string suffix)
    {
        Plot plot = NewPlot();
        AddLine(plot, without.Points.Select(p => (double)p.Step), without.Points.Select(p => p.TestAccuracy), WithoutColor, "Without BN");
        AddLine(plot, with.Points.Select(p => (double)p.Step), with.Points.Select(p => p.TestAccuracy), WithColor, "With BN");

        // The paper's axis: 0.7 to 1. The network without BN is below 0.7 for its first ~1,500 steps (see the table).
        plot.Axes.SetLimits(0, Math.Max(without.Points[^1].Step, with.Points[^1].Step), 0.7, 1.0);
        plot.Title($"(a) MNIST test accuracy, 784-100-100-100-10 sigmoid network, SGD lr {without.Spec.LearningRate:G3}{suffix}");
        plot.XLabel("training steps (mini-batches of 60)");
        plot.YLabel("test accuracy (axis from 0.7 as in the paper)");
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, Width, Height);
        return path;
    }

    /// <summary>Figure 1(b) or (c): the 15th, 50th and 85th percentiles of the probed sigmoid input.</summary>
    private static string SigmoidInput(string path, RunResult run, Func<ProbeValues, Percentiles?> select, string panel, string mode, (double Low, double High) range, Options options, string suffix)
    {
        Plot plot = NewPlot();
        (double Step, Percentiles Value)[] points = run.Points
            .Where(p => p.SigmoidInput is { } probe && select(probe) is not null)
            .Select(p => ((double)p.Step, select(p.SigmoidInput!.Value)!.Value))
            .ToArray();
        double[] steps = points.Select(p => p.Step).ToArray();
        Color color = run.Spec.Network == Network.WithBatchNorm ? WithColor : WithoutColor;
        AddLine(plot, steps, points.Select(p => p.Value.P85), color, "85th percentile", LinePattern.Dashed);
        AddLine(plot, steps, points.Select(p => p.Value.P50), color, "median");
        AddLine(plot, steps, points.Select(p => p.Value.P15), color, "15th percentile", LinePattern.Dotted);
        plot.Title($"{panel}: input of sigmoid unit {options.ProbeUnit} of the last hidden layer{suffix}\n{mode}, over {Math.Min(options.ProbeImages, 10_000)} test images");
        plot.XLabel("training steps");
        plot.YLabel("sigmoid input (15th, 50th, 85th percentiles)");
        plot.Axes.SetLimits(0, steps.DefaultIfEmpty(1).Max(), range.Low, range.High);
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, Width, Height);
        return path;
    }

    /// <summary>Final test accuracy against the learning rate (log axis), both networks; failed runs are crosses.</summary>
    private static string SweepFinal(string path, IReadOnlyList<RunResult> sweep, double baseRate, string suffix)
    {
        Plot plot = NewPlot();
        double[] multiples = sweep.Select(r => r.Spec.Multiple).Distinct().Order().ToArray();
        foreach ((Network network, Color color, string name) in new[] { (Network.WithoutBatchNorm, WithoutColor, "Without BN"), (Network.WithBatchNorm, WithColor, "With BN") })
        {
            RunResult[] runs = multiples.Select(m => sweep.First(r => r.Spec.Network == network && r.Spec.Multiple == m)).ToArray();
            var line = plot.Add.ScatterLine(runs.Select(r => Math.Log10(r.Spec.Multiple)).ToArray(), runs.Select(Plotted).ToArray(), color);
            line.LegendText = name;
            line.LineWidth = 2;
            line.MarkerShape = MarkerShape.FilledCircle;
            line.MarkerSize = 9;
            foreach (RunResult failed in runs.Where(r => r.Failed))
            {
                plot.Add.Marker(Math.Log10(failed.Spec.Multiple), Plotted(failed), MarkerShape.Eks, 18, color);
                var label = plot.Add.Text(failed.NonFinite ? "NaN" : failed.Diverged ? "diverged" : "chance", Math.Log10(failed.Spec.Multiple), Plotted(failed));
                label.LabelFontColor = color;
                label.LabelFontSize = 12;
                label.OffsetY = network == Network.WithBatchNorm ? -24 : 8;
                label.Alignment = Alignment.MiddleCenter;
            }
        }

        plot.Axes.Bottom.SetTicks(
            multiples.Select(Math.Log10).ToArray(),
            multiples.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m:G3}x\n{m * baseRate:G3}")).ToArray());
        double pad = multiples.Length > 1 ? 0.1 * (Math.Log10(multiples[^1]) - Math.Log10(multiples[0])) : 0.5;
        plot.Axes.SetLimits(Math.Log10(multiples[0]) - pad, Math.Log10(multiples[^1]) + pad, 0, 1.05);
        plot.Title($"Learning-rate sweep: final test accuracy after {sweep[0].Spec.Steps:N0} steps{suffix}");
        plot.XLabel("learning rate (multiple of the base rate, and value); log scale");
        plot.YLabel("final test accuracy (x: diverged or at chance)");
        plot.ShowLegend(Alignment.LowerLeft);
        plot.SavePng(path, Width, Height);
        return path;
    }

    /// <summary>Test accuracy against steps for every sweep run of one network, one colour per learning rate.</summary>
    private static string SweepCurves(string path, IReadOnlyList<RunResult> sweep, Network network, string suffix)
    {
        Plot plot = NewPlot();
        RunResult[] runs = sweep.Where(r => r.Spec.Network == network).OrderBy(r => r.Spec.Multiple).ToArray();
        for (int i = 0; i < runs.Length; i++)
        {
            RunResult run = runs[i];
            string name = string.Create(CultureInfo.InvariantCulture, $"lr {run.Spec.LearningRate:G3} ({run.Spec.Multiple:G3}x){(run.Failed ? ", diverged" : string.Empty)}");
            AddLine(plot, run.Points.Select(p => (double)p.Step), run.Points.Select(p => p.TestAccuracy), Palette[i % Palette.Length], name);
        }

        string title = network == Network.WithBatchNorm ? "With BN" : "Without BN";
        plot.Axes.SetLimits(0, sweep[0].Spec.Steps, 0, 1.0);
        plot.Title($"Learning-rate sweep, {title}: test accuracy during training{suffix}");
        plot.XLabel("training steps");
        plot.YLabel("test accuracy");
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, Width, Height);
        return path;
    }

    /// <summary>A run's final accuracy, or 0.1 (chance) when the loss became NaN.</summary>
    private static double Plotted(RunResult run) => run.NonFinite ? 0.1 : run.FinalAccuracy;

    private static void AddLine(Plot plot, IEnumerable<double> xs, IEnumerable<double> ys, Color color, string name, LinePattern? pattern = null)
    {
        var line = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray(), color);
        line.LegendText = name;
        line.LineWidth = 2;
        line.LinePattern = pattern ?? LinePattern.Solid;
    }
}
