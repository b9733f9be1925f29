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

/// <summary>
/// A MobileNetV2-style inverted residual whose skip starts at the model input; it declares no ToString, so the
/// generated summary is its ToString. Built strictly (warnings are errors) like the rest of this consumer.
/// </summary>
[FusedModel(InputShape = new[] { 4, 6, 6 })]
public partial class InvertedResidual
{
    [Conv2d(4, 8, 1, Bias = false)]
    public partial Conv2dLayer Expand { get; }

    [BatchNorm2d(8)]
    public partial BatchNorm2dLayer ExpandBn { get; }

    [ReLU6]
    public partial ActivationLayer ExpandAct { get; }

    [Conv2d(8, 4, 1, Bias = false)]
    public partial Conv2dLayer Project { get; }

    [BatchNorm2d(4)]
    public partial BatchNorm2dLayer ProjectBn { get; }

    [Residual(ResidualAttribute.ModelInput)]
    public partial ResidualLayer Add { get; }
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

        // The newer surface through the package: a skip from the model input, the summary, one Backward per
        // Forward, and a frozen parameter.
        var inverted = new InvertedResidual(seed: 3);
        inverted.Expand.Weight.RequiresGrad = false;
        float[] x = new float[batch * inverted.InputLength];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)((random.NextDouble() * 2) - 1);
        }

        float[] y = new float[batch * inverted.OutputLength];
        inverted.Forward(x, y);
        inverted.Backward(y.Select(v => 1f).ToArray());
        if (inverted.Expand.Weight.Grad.Any(g => g != 0f) || inverted.Project.Weight.Grad.All(g => g == 0f))
        {
            return Fail("the frozen weight got a gradient, or the trainable one none");
        }

        try
        {
            inverted.Backward(y);
            return Fail("a second Backward for one Forward was accepted");
        }
        catch (InvalidOperationException)
        {
        }

        if (!inverted.ToString().Contains("Total params: ", StringComparison.Ordinal))
        {
            return Fail("the summary has no parameter total");
        }

        Console.WriteLine(inverted.Summary());
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
