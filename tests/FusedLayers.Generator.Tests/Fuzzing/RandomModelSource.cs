using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace FusedLayers.Generator.Tests.Fuzzing;

/// <summary>
/// Builds a random <c>[FusedModel]</c> source from a tape of random choices (the property-based "choice
/// sequence" style: CsCheck generates and shrinks the tape, this class interprets it). Most models are
/// shape-consistent chains over the whole attribute set; a share of them is mutated on purpose: an
/// argument replaced by an edge value, a reserved or keyword name, an odd namespace or class name, a
/// layer with the wrong property type, two layers swapped.
/// </summary>
internal sealed class RandomModelSource
{
    private static readonly string[] EdgeInts = ["0", "-1", "int.MaxValue", "int.MinValue", "46341", "65536", "1 << 20"];
    private static readonly string[] EdgeDoubles = ["double.NaN", "double.PositiveInfinity", "-0.5", "2.0", "1e39", "1e-320", "5e-324", "0", "1e300"];
    private static readonly string[] OddNames = ["Training", "Execution", "Parameters", "K0Y", "_flK0Y", "@class", "@var", "Input", "Capacity", "ZeroGrad"];
    private static readonly string[] OddNamespaces = ["@event.Models", "Global", "A.B.C.D", ""];

    private readonly uint[] tape;
    private readonly List<(string Attribute, string Type, string Name, int[] Output)> layers = [];
    private int position;
    private int[] inputShape = [];

    private RandomModelSource(uint[] tape) => this.tape = tape.Length == 0 ? [0] : tape;

    /// <summary>The C# source of the model the tape describes.</summary>
    public string Source { get; private set; } = "";

    /// <summary>True when no mutation was applied (the model should then be free of FL errors, unless its sizes are absurd).</summary>
    public bool Unmutated { get; private set; }

    /// <summary>Interprets <paramref name="tape"/>.</summary>
    public static RandomModelSource From(uint[] tape)
    {
        var model = new RandomModelSource(tape);
        model.Build();
        return model;
    }

    private uint Next() => tape[position++ % tape.Length] ^ (uint)(position / tape.Length * 2654435761u);

    private int Pick(int count) => (int)(Next() % (uint)count);

    private T Pick<T>(IReadOnlyList<T> items) => items[Pick(items.Count)];

    private bool Chance(int percent) => Pick(100) < percent;

    private static string Inv(int value) => value.ToString(CultureInfo.InvariantCulture);

    private void Build()
    {
        int rank = 1 + Pick(3);
        int[] shape = rank switch
        {
            1 => [1 + Pick(16)],
            2 => [1 + Pick(6), 1 + Pick(6)],
            _ => [1 + Pick(4), 1 + Pick(9), 1 + Pick(9)],
        };
        int[] input = shape;
        inputShape = shape;
        int count = 1 + Pick(7);
        for (int i = 0; i < count; i++)
        {
            (string attribute, string type, int[] output) = NextLayer(shape);
            layers.Add((attribute, type, "L" + Inv(i), output));
            shape = output;
        }

        bool mutated = Chance(35);
        string ns = "Fuzz";
        string className = "Net";
        string modifiers = "public partial class";
        if (mutated)
        {
            Mutate(ref ns, ref className, ref modifiers);
        }

        Unmutated = !mutated;
        var text = new StringBuilder();
        text.Append("using FusedLayers;\n");
        if (ns.Length > 0)
        {
            text.Append("namespace ").Append(ns).Append(";\n");
        }

        text.Append("[FusedModel(InputShape = new[] { ").Append(string.Join(", ", input.Select(Inv))).Append(" })]\n");
        text.Append(modifiers).Append(' ').Append(className).Append("\n{\n");
        foreach ((string attribute, string type, string name, int[] _) in layers)
        {
            text.Append("    [").Append(attribute).Append("] public partial ").Append(type).Append(' ').Append(name).Append(" { get; }\n");
        }

        text.Append("}\n");
        Source = text.ToString();
    }

    private void Mutate(ref string ns, ref string className, ref string modifiers)
    {
        int layer = Pick(layers.Count);
        (string attribute, string type, string name, int[] output) = layers[layer];
        switch (Pick(8))
        {
            case 0:
            case 1:
                attribute = ReplaceNumber(attribute, isInt: true);
                break;
            case 2:
                attribute = ReplaceNumber(attribute, isInt: false);
                break;
            case 3:
                name = Pick(OddNames);
                break;
            case 4:
                ns = Pick(OddNamespaces);
                className = Pick(["Net", "@var", "@event", "Model1"]);
                break;
            case 5:
                type = Pick(["ReLULayer", "LinearLayer", "Conv2dLayer", "BatchNorm2dLayer", "ActivationLayer", "Conv2dLayer?"]);
                break;
            case 6 when layers.Count > 1:
                int other = (layer + 1) % layers.Count;
                (layers[layer], layers[other]) = (layers[other], layers[layer]);
                return;
            default:
                modifiers = Pick(["public partial class", "internal sealed partial class", "partial class", "public abstract partial class", "file partial class", "public partial record"]);
                break;
        }

        layers[layer] = (attribute, type, name, output);
    }

    /// <summary>Replaces one number in the attribute text (an argument) by an edge value, or adds a named argument.</summary>
    private string ReplaceNumber(string attribute, bool isInt)
    {
        var numbers = new List<(int Start, int Length)>();
        for (int i = 0; i < attribute.Length; i++)
        {
            if (char.IsDigit(attribute[i]) && (i == 0 || !char.IsLetter(attribute[i - 1])))
            {
                int start = i;
                while (i < attribute.Length && (char.IsDigit(attribute[i]) || attribute[i] is '.' or 'e' or '-'))
                {
                    i++;
                }

                numbers.Add((start, i - start));
            }
        }

        string edge = isInt ? Pick(EdgeInts) : Pick(EdgeDoubles);
        if (numbers.Count == 0 || (!isInt && Chance(50)))
        {
            string option = Pick(["Eps", "Momentum", "NegativeSlope", "RMax", "DMax", "Stride", "Padding", "Dilation", "Groups"]);
            return attribute.Contains('(', StringComparison.Ordinal)
                ? attribute.Insert(attribute.Length - 1, ", " + option + " = " + edge)
                : attribute + "(" + option + " = " + edge + ")";
        }

        (int at, int length) = Pick(numbers);
        return attribute.Substring(0, at) + edge + attribute.Substring(at + length);
    }

    private (string Attribute, string Type, int[] Output) NextLayer(int[] shape)
    {
        var options = new List<Func<(string, string, int[])?>>
        {
            () => Activation(shape),
            () => ($"Dropout({Pick(["0.0", "0.25", "0.5"])})", "DropoutLayer", shape),
            () => Residual(shape),
        };
        switch (shape.Length)
        {
            case 3:
                options.Add(() => Conv(shape));
                options.Add(() => Conv(shape));
                options.Add(() => ($"BatchNorm2d({Inv(shape[0])}{BatchNormOptions()})", "BatchNorm2dLayer", shape));
                options.Add(() => ($"BatchRenorm2d({Inv(shape[0])}, RMax = 3, DMax = 5)", "BatchRenormLayer", shape));
                options.Add(() => shape[1] * shape[2] > 1 ? ($"InstanceNorm2d({Inv(shape[0])}, Affine = {Bool()})", "InstanceNorm2dLayer", shape) : null);
                options.Add(() => GroupNorm(shape));
                options.Add(() => ($"LayerNorm({Inv(shape[1])}, {Inv(shape[2])})", "LayerNormLayer", shape));
                options.Add(() => Pool(shape));
                options.Add(() => ("AdaptiveAvgPool2d(1)", "AdaptiveAvgPool2dLayer", new[] { shape[0], 1, 1 }));
                options.Add(() => ("Flatten", "FlattenLayer", new[] { shape[0] * shape[1] * shape[2] }));
                break;
            case 2:
                options.Add(() => ($"BatchNorm1d({Inv(shape[0])}{BatchNormOptions()})", "BatchNorm1dLayer", shape));
                options.Add(() => ($"BatchRenorm1d({Inv(shape[0])})", "BatchRenormLayer", shape));
                options.Add(() => shape[1] > 1 ? ($"InstanceNorm1d({Inv(shape[0])})", "InstanceNorm1dLayer", shape) : null);
                options.Add(() => ($"LayerNorm({Inv(shape[1])})", "LayerNormLayer", shape));
                options.Add(() => GroupNorm(shape));
                options.Add(() => ("Flatten", "FlattenLayer", new[] { shape[0] * shape[1] }));
                break;
            default:
                int outFeatures = 1 + Pick(12);
                options.Add(() => ($"Linear({Inv(shape[0])}, {Inv(outFeatures)}, Bias = {Bool()})", "LinearLayer", new[] { outFeatures }));
                options.Add(() => ($"Linear({Inv(shape[0])}, {Inv(outFeatures)})", "LinearLayer", new[] { outFeatures }));
                options.Add(() => ($"BatchNorm1d({Inv(shape[0])}{BatchNormOptions()})", "BatchNorm1dLayer", shape));
                options.Add(() => ($"BatchRenorm1d({Inv(shape[0])}, RMax = 2, DMax = 1)", "BatchRenormLayer", shape));
                options.Add(() => ($"LayerNorm({Inv(shape[0])}, Bias = {Bool()})", "LayerNormLayer", shape));
                break;
        }

        for (int attempt = 0; attempt < 8; attempt++)
        {
            if (Pick(options)() is { } layer)
            {
                return layer;
            }
        }

        return ("ReLU", "ReLULayer", shape);
    }

    private string Bool() => Chance(50) ? "true" : "false";

    private string BatchNormOptions() => Pick(7) switch
    {
        0 => ", Momentum = 0.3",
        1 => ", Affine = false",
        2 => ", TrackRunningStats = false",
        3 => ", CumulativeAverage = true",
        4 => ", Eps = 1e-3",
        _ => "",
    };

    private (string, string, int[]) Activation(int[] shape) => Pick(10) switch
    {
        0 => ("ReLU", "ReLULayer", shape),
        1 => ($"LeakyReLU(NegativeSlope = {Pick(["0.2", "0.01", "-0.5", "3"])})", "ActivationLayer", shape),
        2 => ("ReLU6", "ActivationLayer", shape),
        3 => ("SiLU", "ActivationLayer", shape),
        4 => ($"GELU(Approximate = \"{Pick(["none", "tanh"])}\")", "ActivationLayer", shape),
        5 => ("Sigmoid", "ActivationLayer", shape),
        6 => ("Tanh", "ActivationLayer", shape),
        7 => ("Hardswish", "ActivationLayer", shape),
        8 => ("Mish", "ActivationLayer", shape),
        _ => ("ReLU", "ReLULayer", shape),
    };

    private (string, string, int[])? Conv(int[] shape)
    {
        int kernel = 1 + Pick(3);
        int stride = 1 + Pick(2);
        int padding = Pick(2);
        int dilation = Chance(20) ? 2 : 1;
        int groups = Chance(25) ? shape[0] : 1;
        int outChannels = groups * (1 + Pick(4));
        int oh = ConvOut(shape[1], kernel, stride, padding, dilation);
        int ow = ConvOut(shape[2], kernel, stride, padding, dilation);
        if (oh < 1 || ow < 1)
        {
            return null;
        }

        string options = (stride > 1 ? $", Stride = {Inv(stride)}" : "") + (padding > 0 ? $", Padding = {Inv(padding)}" : "") +
                         (dilation > 1 ? ", Dilation = 2" : "") + (groups > 1 ? $", Groups = {Inv(groups)}" : "") + (Chance(20) ? ", Bias = false" : "");
        string attribute = Chance(50)
            ? $"Conv2d({Inv(shape[0])}, {Inv(outChannels)}, {Inv(kernel)}{options})"
            : $"Conv2d({Inv(shape[0])}, {Inv(outChannels)}, KernelSize = {Inv(kernel)}{options})";
        return (attribute, "Conv2dLayer", new[] { outChannels, oh, ow });
    }

    private (string, string, int[])? Pool(int[] shape)
    {
        int kernel = 1 + Pick(3);
        int stride = Pick(3);
        int padding = Pick(kernel / 2 + 1);
        int effective = stride == 0 ? kernel : stride;
        int oh = ConvOut(shape[1], kernel, effective, padding, 1);
        int ow = ConvOut(shape[2], kernel, effective, padding, 1);
        if (oh < 1 || ow < 1)
        {
            return null;
        }

        string options = (stride > 0 ? $", Stride = {Inv(stride)}" : "") + (padding > 0 ? $", Padding = {Inv(padding)}" : "");
        return Chance(50)
            ? ($"MaxPool2d({Inv(kernel)}{options})", "MaxPool2dLayer", new[] { shape[0], oh, ow })
            : ($"AvgPool2d({Inv(kernel)}{options}, CountIncludePad = {Bool()})", "AvgPool2dLayer", new[] { shape[0], oh, ow });
    }

    private (string, string, int[])? GroupNorm(int[] shape)
    {
        int[] divisors = [.. Enumerable.Range(1, shape[0]).Where(d => shape[0] % d == 0)];
        return ($"GroupNorm({Inv(Pick(divisors))}, {Inv(shape[0])})", "GroupNormLayer", shape);
    }

    private (string, string, int[])? Residual(int[] shape)
    {
        var same = layers.Where(l => l.Output.SequenceEqual(shape) && !l.Type.StartsWith("Flatten", StringComparison.Ordinal)).ToList();
        if (inputShape.SequenceEqual(shape) && (same.Count == 0 || Chance(30)))
        {
            return (Pick(["Residual(ResidualAttribute.ModelInput)", "Residual(nameof(Net))", "Residual(\"input\")"]), "ResidualLayer", shape);
        }

        if (same.Count > 0)
        {
            return ($"Residual(\"{Pick(same).Name}\")", "ResidualLayer", shape);
        }

        if (shape.Length == 3)
        {
            foreach (var layer in layers.Where(l => l.Output.Length == 3 && !l.Type.StartsWith("Flatten", StringComparison.Ordinal)))
            {
                for (int stride = 1; stride <= 2; stride++)
                {
                    if (ConvOut(layer.Output[1], 1, stride, 0, 1) == shape[1] && ConvOut(layer.Output[2], 1, stride, 0, 1) == shape[2])
                    {
                        return ($"Residual(\"{layer.Name}\", Projection = true, ProjectionStride = {Inv(stride)})", "ResidualLayer", shape);
                    }
                }
            }
        }

        return null;
    }

    private static int ConvOut(int input, int kernel, int stride, int padding, int dilation)
    {
        int padded = input + (2 * padding) - (dilation * (kernel - 1)) - 1;
        return padded < 0 ? 0 : (padded / stride) + 1;
    }
}
