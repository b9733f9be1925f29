using System;
using System.Globalization;
using System.IO;

namespace FashionMnist;

/// <summary>Which optimizer trains the network (the same one on both sides with <c>--torch</c>).</summary>
internal enum OptimizerKind
{
    /// <summary>AdamW (the default).</summary>
    AdamW,

    /// <summary>SGD with Nesterov momentum 0.9 and weight decay.</summary>
    Sgd,
}

/// <summary>The command line.</summary>
internal sealed class Options
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package puts the four IDX files.</summary>
    public const string DebianDataDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Environment variable that may name the data folder instead of <c>--data</c>.</summary>
    public const string DataEnvironmentVariable = "FASHION_MNIST_DIR";

    public int Epochs { get; private set; } = 8;

    public int BatchSize { get; private set; } = 128;

    public int Threads { get; private set; } = Environment.ProcessorCount;

    /// <summary>Train on the first N training images only (0: all 60,000).</summary>
    public int Subset { get; private set; }

    public int Seed { get; private set; } = 1;

    public bool Torch { get; private set; }

    /// <summary>The folder given with <c>--data</c>, else null.</summary>
    public string? DataDirectory { get; private set; }

    public OptimizerKind Optimizer { get; private set; } = OptimizerKind.AdamW;

    /// <summary>Peak learning rate (0: the optimizer's default for this sample).</summary>
    public double LearningRate { get; private set; }

    /// <summary>Weight decay (negative: the optimizer's default for this sample).</summary>
    public double WeightDecay { get; private set; } = -1;

    public double LabelSmoothing { get; private set; } = 0.1;

    /// <summary>Random horizontal flips of the training images.</summary>
    public bool Flip { get; private set; } = true;

    /// <summary>Where the trained FusedLayers model is saved (safetensors), or null with <c>--no-save</c>.</summary>
    public string? SavePath { get; private set; } = Path.Combine("artifacts", "FashionMnist", "fashion_mnist_fused.safetensors");

    public bool Help { get; private set; }

    /// <summary>The learning rate actually used.</summary>
    public double EffectiveLearningRate => LearningRate > 0 ? LearningRate : Optimizer == OptimizerKind.Sgd ? 0.05 : 2e-3;

    /// <summary>The weight decay actually used: an L2 term for SGD, decoupled for AdamW.</summary>
    public double EffectiveWeightDecay => WeightDecay >= 0 ? WeightDecay : Optimizer == OptimizerKind.Sgd ? 5e-4 : 0.05;

    public static string Usage => """
        Trains a Conv-BatchNorm-ReLU network on Fashion-MNIST with FusedLayers (and, with --torch, the same
        network with PyTorch through TorchSharp, in the same run).

        Usage: dotnet run -c Release --project samples/FashionMnist -- [options]

          --data DIR          folder with the four IDX files (.gz or plain); default: $FASHION_MNIST_DIR,
                              else /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist)
          --epochs N          epochs (default 8)
          --batch-size N      training mini-batch (default 128)
          --threads N         threads of the kernels, and of libtorch with --torch (default: all cores)
          --subset N          train on the first N training images only (a quick check); the test set stays whole
          --seed N            seed of the initialisation, the shuffling and the flips (default 1)
          --torch             also train the same network with PyTorch (TorchSharp-cpu, libtorch) and compare
          --optimizer NAME    adamw (default) or sgd (Nesterov momentum 0.9)
          --lr X              peak learning rate, cosine-annealed to 0 per step (default 0.002 for adamw, 0.05 for sgd)
          --weight-decay X    weight decay (default 0.05 for adamw, decoupled; 5e-4 for sgd, L2)
          --label-smoothing X cross-entropy label smoothing (default 0.1)
          --no-flip           no random horizontal flips
          --save PATH         where to save the trained model as safetensors
                              (default artifacts/FashionMnist/fashion_mnist_fused.safetensors)
          --no-save           do not save the model
          -h, --help          this text
        """;

    /// <summary>Parses the arguments; throws <see cref="FormatException"/> with a message for the user.</summary>
    public static Options Parse(string[] args)
    {
        var options = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "-h" or "--help":
                    options.Help = true;
                    break;
                case "--torch":
                    options.Torch = true;
                    break;
                case "--no-flip":
                    options.Flip = false;
                    break;
                case "--no-save":
                    options.SavePath = null;
                    break;
                case "--data":
                    options.DataDirectory = Value(args, ref i);
                    break;
                case "--save":
                    options.SavePath = Value(args, ref i);
                    break;
                case "--epochs":
                    options.Epochs = PositiveInt(args, ref i);
                    break;
                case "--batch-size":
                    options.BatchSize = PositiveInt(args, ref i);
                    if (options.BatchSize < 2)
                    {
                        throw new FormatException("--batch-size must be at least 2 (BatchNorm needs more than one value per channel in training).");
                    }

                    break;
                case "--threads":
                    options.Threads = PositiveInt(args, ref i);
                    break;
                case "--subset":
                    options.Subset = PositiveInt(args, ref i);
                    break;
                case "--seed":
                    options.Seed = Int(args, ref i);
                    break;
                case "--optimizer":
                    options.Optimizer = Value(args, ref i).ToLowerInvariant() switch
                    {
                        "sgd" => OptimizerKind.Sgd,
                        "adamw" => OptimizerKind.AdamW,
                        string other => throw new FormatException($"--optimizer: unknown optimizer '{other}' (sgd or adamw)."),
                    };
                    break;
                case "--lr":
                    options.LearningRate = PositiveDouble(args, ref i);
                    break;
                case "--weight-decay":
                    options.WeightDecay = NonNegativeDouble(args, ref i);
                    break;
                case "--label-smoothing":
                    options.LabelSmoothing = NonNegativeDouble(args, ref i);
                    if (options.LabelSmoothing > 1)
                    {
                        throw new FormatException("--label-smoothing must be between 0 and 1.");
                    }

                    break;
                default:
                    throw new FormatException($"Unknown option '{arg}'.");
            }
        }

        return options;
    }

    private static string Value(string[] args, ref int i)
    {
        if (i + 1 >= args.Length)
        {
            throw new FormatException($"{args[i]} needs a value.");
        }

        return args[++i];
    }

    private static int Int(string[] args, ref int i)
    {
        string name = args[i];
        string text = Value(args, ref i);
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new FormatException($"{name}: '{text}' is not an integer.");
    }

    private static int PositiveInt(string[] args, ref int i)
    {
        string name = args[i];
        int value = Int(args, ref i);
        return value > 0 ? value : throw new FormatException($"{name} must be at least 1, got {value}.");
    }

    private static double NonNegativeDouble(string[] args, ref int i)
    {
        string name = args[i];
        string text = Value(args, ref i);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value >= 0 && double.IsFinite(value)
            ? value
            : throw new FormatException($"{name}: '{text}' is not a number >= 0.");
    }

    private static double PositiveDouble(string[] args, ref int i)
    {
        string name = args[i];
        double value = NonNegativeDouble(args, ref i);
        return value > 0 ? value : throw new FormatException($"{name} must be positive.");
    }
}
