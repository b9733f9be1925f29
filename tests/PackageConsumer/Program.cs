using System;
using System.Linq;
using FusedLayers;

namespace PackageConsumer;

/// <summary>Shape S of the design brief: Conv2d(3,64,k3,s1,p1) -> BatchNorm2d -> ReLU on 3x32x32.</summary>
[FusedModel(InputShape = new[] { 3, 32, 32 })]
public partial class SeedNet
{
    [Conv2d(3, 64, KernelSize = 3, Padding = 1)]
    partial Conv2dLayer Conv { get; }

    [BatchNorm2d(64)]
    partial BatchNorm2dLayer Bn { get; }

    [ReLU]
    partial ReLULayer Relu { get; }
}

/// <summary>Runs the generated model once in training and once in inference mode and checks the output.</summary>
internal static class Program
{
    private static int Main()
    {
        const int batch = 2;
        IFusedModel model = new SeedNet(seed: 42);
        if (!model.OutputShape.SequenceEqual([64, 32, 32]))
        {
            return Fail($"output shape [{string.Join(", ", model.OutputShape)}], expected [64, 32, 32]");
        }

        var random = new Random(1);
        float[] input = new float[batch * model.InputLength];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = (float)((random.NextDouble() * 2) - 1);
        }

        float[] output = new float[batch * model.OutputLength];
        foreach (bool training in new[] { true, false })
        {
            model.Train(training);
            Array.Fill(output, float.NaN);
            model.Forward(input, output);

            if (output.Any(v => !float.IsFinite(v) || v < 0))
            {
                return Fail($"{Mode(training)} forward produced a non-finite or negative value after ReLU");
            }

            int positive = output.Count(v => v > 0);
            if (positive == 0 || positive == output.Length)
            {
                return Fail($"{Mode(training)} forward: {positive} of {output.Length} outputs are positive; ReLU after BatchNorm should zero some, not all");
            }

            Console.WriteLine(
                $"PackageConsumer: {Mode(training)} forward of {nameof(SeedNet)} [{batch}, {string.Join(", ", model.InputShape)}] -> "
                + $"[{batch}, {string.Join(", ", model.OutputShape)}]: {positive}/{output.Length} positive, sum {output.Sum():F3}");
        }

        Console.WriteLine("PackageConsumer: OK");
        return 0;
    }

    private static string Mode(bool training) => training ? "training" : "inference";

    private static int Fail(string message)
    {
        Console.Error.WriteLine("PackageConsumer: FAILED: " + message);
        return 1;
    }
}
