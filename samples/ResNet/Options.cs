using System;
using System.Globalization;

namespace ResNet;

/// <summary>The command line.</summary>
internal sealed class Options
{
    /// <summary>Images per batch (default 8, the batch of the benchmark's ResNet rows).</summary>
    public int BatchSize { get; private set; } = 8;

    /// <summary>SGD steps printed before the timing.</summary>
    public int Steps { get; private set; } = 5;

    /// <summary>Timed iterations per case; the median is printed.</summary>
    public int Iterations { get; private set; } = 7;

    /// <summary>Untimed warm-up iterations per case.</summary>
    public int Warmup { get; private set; } = 2;

    /// <summary>Seed of the weights and the synthetic batch.</summary>
    public int Seed { get; private set; } = 1;

    /// <summary>Whether to run the PyTorch twin (TorchSharp) next to FusedLayers.</summary>
    public bool Torch { get; private set; } = true;

    /// <summary>The network: <c>resnet18</c> (torchvision's ResNet-18, the default) or <c>stage</c> (its stem and first two blocks).</summary>
    public string Model { get; private set; } = "resnet18";

    /// <summary>True for <c>-h</c> / <c>--help</c>.</summary>
    public bool Help { get; private set; }

    public static string Usage => """
        Trains torchvision's ResNet-18 (3x224x224, 1000 classes; composed of eight BasicBlock uses, with
        torchvision's state-dict names) for a few SGD steps on one synthetic batch with random labels, checks
        it against torchvision's own resnet18 (TorchVision, TorchSharp's port) given the same state dict, then
        times a training step and an inference pass at 1 thread and at all cores next to it.

        Usage: dotnet run -c Release --project samples/ResNet -- [options]

          --batch-size N    images per batch, at least 2 (default 8)
          --steps N         SGD steps printed before the timing (default 5)
          --iterations N    timed iterations per case, the median is printed (default 7)
          --warmup N        untimed iterations per case before those (default 2)
          --seed N          seed of the weights, the images and the labels (default 1)
          --model NAME      resnet18 (default) or stage (ResNet-18's stem and first two blocks, 56x56)
          --no-torch        FusedLayers only
          -h, --help        this text
        """;

    /// <summary>Parses the arguments; throws <see cref="FormatException"/> with a message for the user.</summary>
    public static Options Parse(string[] args)
    {
        var options = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-h" or "--help":
                    options.Help = true;
                    break;
                case "--no-torch":
                    options.Torch = false;
                    break;
                case "--model":
                    options.Model = i + 1 < args.Length && args[i + 1] is "resnet18" or "stage"
                        ? args[++i]
                        : throw new FormatException("--model takes resnet18 or stage.");
                    break;
                case "--batch-size":
                    options.BatchSize = Integer(args, ref i, minimum: 2);
                    break;
                case "--steps":
                    options.Steps = Integer(args, ref i, minimum: 0);
                    break;
                case "--iterations":
                    options.Iterations = Integer(args, ref i, minimum: 1);
                    break;
                case "--warmup":
                    options.Warmup = Integer(args, ref i, minimum: 0);
                    break;
                case "--seed":
                    options.Seed = Integer(args, ref i, minimum: 0);
                    break;
                default:
                    throw new FormatException($"Unknown option '{args[i]}'.");
            }
        }

        return options;
    }

    private static int Integer(string[] args, ref int i, int minimum)
    {
        string name = args[i];
        if (++i >= args.Length)
        {
            throw new FormatException($"{name} needs a value.");
        }

        if (!int.TryParse(args[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < minimum)
        {
            throw new FormatException($"{name}: '{args[i]}' is not an integer of at least {minimum}.");
        }

        return value;
    }
}
