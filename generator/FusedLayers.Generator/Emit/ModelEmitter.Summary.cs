using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using FusedLayers.Generator.Planning;
using FusedLayers.Generator.Validation;

namespace FusedLayers.Generator.Emit;

/// <summary>
/// <c>Summary()</c> (and <c>ToString()</c>): a torchinfo-like table known entirely at build time — each layer with
/// its output shape, parameter count and the kernel it runs in, then the totals (parameters, FLOPs per sample,
/// training workspace per sample). Emitted as one string constant.
/// </summary>
internal static partial class ModelEmitter
{
    private static void WriteSummary(CodeWriter w, FusionPlan plan, List<KernelNames> kernels)
    {
        string text = SummaryText(plan, kernels);
        w.Line("/// <summary>");
        w.Line("/// The model as torchinfo prints it: each layer with its output shape, parameter count and fused kernel, then");
        w.Line("/// total parameters, FLOPs per sample (2 x the multiply-accumulates of Conv2d and Linear, projections included)");
        w.Line("/// and the training workspace per sample (what Forward keeps for Backward plus gradient scratch).");
        w.Line("/// </summary>");
        w.Line("/// <returns>The summary table.</returns>");
        w.Line("public string Summary() => _flSummary;");
        w.Line();
        if (!plan.Spec.HasUserToString)
        {
            w.Line("/// <inheritdoc cref=\"Summary\" />");
            w.Line("public override string ToString() => _flSummary;");
            w.Line();
        }

        w.Line("private const string _flSummary =");
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string literal = "\"" + lines[i].Replace("\\", "\\\\").Replace("\"", "\\\"") + (i < lines.Length - 1 ? "\\n" : "") + "\"";
            w.Line("    " + literal + (i < lines.Length - 1 ? " +" : ";"));
        }

        w.Line();
    }

    private static string SummaryText(FusionPlan plan, List<KernelNames> kernels)
    {
        ModelSpec spec = plan.Spec;
        var kernelOf = new Dictionary<string, int>();
        var skipChannels = new Dictionary<string, int>();
        foreach (KernelNames k in kernels)
        {
            foreach (LayerSpec layer in k.Kernel.Layers())
            {
                kernelOf[layer.Name] = k.Kernel.Index;
            }

            if (k.Kernel.Residual is { } residual && k.Kernel.SkipShape.Count > 0)
            {
                skipChannels[residual.Name] = k.Kernel.SkipShape[0];
            }
        }

        var rows = new List<string[]> { new[] { "Layer (type)", "Output shape", "Param #", "Kernel" } };
        long parameters = 0, macs = 0;
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            LayerSpec layer = spec.Layers[i];
            LayerShape shape = plan.Validation.Shapes[i];
            int skip = skipChannels.TryGetValue(layer.Name, out int c) ? c : 0;
            long count = ParameterCount(layer, shape, skip);
            parameters += count;
            macs += MultiplyAccumulates(layer, shape, skip);
            rows.Add(new[]
            {
                layer.Name + " (" + LayerKinds.AttributeName(layer.Kind) + ")",
                Shapes.Format(new[] { -1 }.Concat(shape.Output)).Replace("-1", "N"),
                count == 0 ? "-" : count.ToString("N0", CultureInfo.InvariantCulture),
                kernelOf.TryGetValue(layer.Name, out int kernel) ? Shapes.Inv(kernel) : "(reshape)",
            });
        }

        long workspace = WorkspaceBuffers(kernels).Sum(b => (long)b.PerSample * 4);
        int[] widths = Enumerable.Range(0, 4).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var text = new StringBuilder();
        string rule = new string('=', widths.Sum() + 6);
        text.Append(spec.ClassName).Append(": input [N, ").Append(string.Join(", ", spec.InputShape.Select(Shapes.Inv))).Append("], ")
            .Append(Shapes.Inv(kernels.Count)).Append(" fused kernels\n").Append(rule).Append('\n');
        for (int r = 0; r < rows.Count; r++)
        {
            text.Append(rows[r][0].PadRight(widths[0])).Append("  ").Append(rows[r][1].PadRight(widths[1])).Append("  ")
                .Append(rows[r][2].PadLeft(widths[2])).Append("  ").Append(rows[r][3]).Append('\n');
            if (r == 0)
            {
                text.Append(new string('-', rule.Length)).Append('\n');
            }
        }

        text.Append(rule).Append('\n')
            .Append("Total params: ").Append(parameters.ToString("N0", CultureInfo.InvariantCulture)).Append('\n')
            .Append("FLOPs per sample: ").Append((2 * macs).ToString("N0", CultureInfo.InvariantCulture)).Append(" (Conv2d and Linear multiply-adds x 2)\n")
            .Append("Training workspace per sample: ").Append(workspace.ToString("N0", CultureInfo.InvariantCulture)).Append(" bytes (saved for backward + gradient scratch)");
        return text.ToString();
    }

    /// <summary>Learnable parameters of one layer, as PyTorch counts them (running statistics are buffers, not counted).</summary>
    private static long ParameterCount(LayerSpec layer, LayerShape shape, int skipChannels) => layer.Kind switch
    {
        LayerKind.Conv2d => ((long)layer.OutChannels * (layer.InChannels / layer.Groups) * layer.KernelSize * layer.KernelSize) + (layer.Bias ? layer.OutChannels : 0),
        LayerKind.Linear => ((long)layer.OutChannels * layer.InChannels) + (layer.Bias ? layer.OutChannels : 0),
        LayerKind.BatchNorm1d or LayerKind.BatchNorm2d or LayerKind.GroupNorm or LayerKind.InstanceNorm1d or LayerKind.InstanceNorm2d
            or LayerKind.BatchRenorm1d or LayerKind.BatchRenorm2d => layer.Affine ? 2L * layer.NumFeatures : 0,
        LayerKind.LayerNorm => layer.Affine ? Shapes.LongLength(layer.NormalizedShape) * (layer.Bias ? 2 : 1) : 0,
        LayerKind.Residual when layer.Projection => ((long)shape.Output[0] * skipChannels) + (2L * shape.Output[0]),
        _ => 0,
    };

    /// <summary>Multiply-accumulates per sample of a Conv2d, a Linear or a residual projection (1x1 from the skip source).</summary>
    private static long MultiplyAccumulates(LayerSpec layer, LayerShape shape, int skipChannels) => layer.Kind switch
    {
        LayerKind.Residual when layer.Projection => Shapes.LongLength(shape.Output) * skipChannels,
        LayerKind.Conv2d => Shapes.LongLength(shape.Output) * (layer.InChannels / layer.Groups) * layer.KernelSize * layer.KernelSize,
        LayerKind.Linear => (long)layer.OutChannels * layer.InChannels,
        _ => 0,
    };
}
