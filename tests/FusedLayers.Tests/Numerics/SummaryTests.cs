using System;
using System.Globalization;
using System.Linq;

namespace FusedLayers.Tests.Numerics;

/// <summary>
/// <c>Summary()</c> / <c>ToString()</c>: the build-time table agrees with the model at run time (parameter total,
/// one row per layer, the per-sample output shape of the last layer).
/// </summary>
public class SummaryTests
{
    [Theory]
    [MemberData(nameof(ModelCase.Names), MemberType = typeof(ModelCase))]
    public void Summary_totals_match_the_parameters_and_every_layer_has_a_row(string name)
    {
        ModelCase c = ModelCase.Get(name);
        IFusedModel model = c.Create(1);
        string summary = model.ToString()!;
        dynamic dynamicModel = model;
        Assert.Equal(summary, (string)dynamicModel.Summary());

        long parameters = model.Parameters.Sum(p => (long)p.Length);
        Assert.Contains("Total params: " + parameters.ToString("N0", CultureInfo.InvariantCulture) + "\n", summary, StringComparison.Ordinal);
        foreach (string layer in c.Reference().Layers.Select(l => l.Name))
        {
            Assert.Contains("\n" + layer + " (", summary, StringComparison.Ordinal);
        }

        string lastShape = "[N, " + string.Join(", ", model.OutputShape) + "]";
        string[] rows = summary.Split('\n');
        string lastRow = rows[Array.FindLastIndex(rows, r => r.StartsWith("====", StringComparison.Ordinal)) - 1];
        Assert.Contains(lastShape, lastRow, StringComparison.Ordinal);
        Assert.Contains("FLOPs per sample: ", summary, StringComparison.Ordinal);
    }
}
