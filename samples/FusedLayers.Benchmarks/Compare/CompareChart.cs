using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ScottPlot;

namespace FusedLayers.Benchmarks.Compare;

/// <summary>A bar chart (ScottPlot) of FusedLayers' speed-up over the best peer per block and mode, one bar per thread count.</summary>
public static class CompareChart
{
    private static readonly Color[] Palette = [Color.FromHex("#4C72B0"), Color.FromHex("#DD8452"), Color.FromHex("#55A868"), Color.FromHex("#C44E52")];

    /// <summary>
    /// Renders <paramref name="rows"/> to a PNG at <paramref name="path"/>; <paramref name="variant"/> is the run's
    /// option (<c>--quick</c>, <c>--smoke</c>) for the title, or empty.
    /// </summary>
    public static void Render(IReadOnlyList<CompareRow> rows, string path, string variant)
    {
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans"); // falls back to the default font where it is missing
        int[] threadCounts = rows.Select(r => r.Threads).Distinct().Order().ToArray();
        var groups = rows.Select(r => (r.Block, r.Mode)).Distinct().ToList();
        double groupWidth = threadCounts.Length + 1.0;
        var bars = new List<Bar>();
        for (int g = 0; g < groups.Count; g++)
        {
            for (int t = 0; t < threadCounts.Length; t++)
            {
                CompareRow? row = rows.FirstOrDefault(r => r.Block == groups[g].Block && r.Mode == groups[g].Mode && r.Threads == threadCounts[t]);
                if (row?.SpeedUp is not double speedUp)
                {
                    continue;
                }

                bars.Add(new Bar
                {
                    Position = (g * groupWidth) + t,
                    Value = speedUp,
                    FillColor = Palette[t % Palette.Length],
                    Label = speedUp.ToString("F2", CultureInfo.InvariantCulture) + "x",
                });
            }
        }

        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 11;
        var parity = plot.Add.HorizontalLine(1.0);
        parity.LineColor = Colors.Black;
        parity.LinePattern = LinePattern.Dashed;
        parity.LineWidth = 1.5f;

        double[] tickPositions = [.. Enumerable.Range(0, groups.Count).Select(g => (g * groupWidth) + ((threadCounts.Length - 1) / 2.0))];
        string[] tickLabels = [.. groups.Select(g => $"{g.Block}\n{ModeLabel(g.Mode)}")];
        plot.Axes.Bottom.SetTicks(tickPositions, tickLabels);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Margins(bottom: 0);

        for (int t = 0; t < threadCounts.Length; t++)
        {
            plot.Legend.ManualItems.Add(new LegendItem
            {
                LabelText = threadCounts[t] == 1 ? "1 thread" : $"{threadCounts[t]} threads",
                FillColor = Palette[t % Palette.Length],
            });
        }

        plot.Legend.Alignment = Alignment.UpperRight;
        plot.ShowLegend();
        plot.Title($"FusedLayers speed-up over the best peer (PyTorch via TorchSharp, ONNX Runtime){(string.IsNullOrEmpty(variant) ? string.Empty : ", compare " + variant)}");
        plot.YLabel("best peer time / FusedLayers time (dashed: parity)");
        plot.SavePng(path, 1200, 600);
    }

    private static string ModeLabel(string mode) => mode switch
    {
        "TrainForward" => "train fwd",
        "TrainStep" => "train fwd+bwd",
        "InferForward" => "inference",
        "InferForwardDirect" => "inference (direct)",
        _ => mode,
    };
}
