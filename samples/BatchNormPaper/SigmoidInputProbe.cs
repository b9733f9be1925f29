using System;
using FusedLayers;

namespace BatchNormPaper;

/// <summary>The 15th, 50th and 85th percentiles of a set of values (the three curves of Figure 1(b, c)).</summary>
internal readonly record struct Percentiles(double P15, double P50, double P85)
{
    /// <summary>Percentiles of <paramref name="values"/> (sorted in place), linearly interpolated between ranks like numpy's default.</summary>
    public static Percentiles Of(double[] values)
    {
        Array.Sort(values);
        return new Percentiles(At(values, 0.15), At(values, 0.50), At(values, 0.85));
    }

    private static double At(double[] sorted, double q)
    {
        double position = q * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + ((position - below) * (sorted[above] - sorted[below]));
    }
}

/// <summary>
/// The input of one sigmoid unit of the last hidden layer, computed in plain float64 C# from the model's
/// parameters and buffers (the generated model exposes only its final output), in inference mode: for the
/// network with BatchNorm it is BatchNorm's output with the running statistics, <c>(W3 h2 - running_mean)
/// / sqrt(running_var + eps) * gamma + beta</c>, exactly the value the fused inference kernel feeds to the
/// sigmoid (it folds the same running statistics into W3). <see cref="MaxLogitDifference"/> runs the same
/// code to the logits and compares them with the fused model's <c>Forward</c> in <c>Eval</c> mode.
/// </summary>
internal sealed class SigmoidInputProbe
{
    /// <summary>Units in every hidden layer.</summary>
    public const int HiddenUnits = 100;

    /// <summary>BatchNorm's <c>eps</c>, PyTorch's default, as declared in <see cref="BatchNormSigmoidNet"/>.</summary>
    public const double BatchNormEps = 1e-5;

    private const int InputLength = 784;
    private const int Classes = 10;
    private readonly IFusedModel model;
    private readonly float[] images;
    private readonly int unit;
    private readonly double[] values;
    private readonly double[] image = new double[InputLength];

    // Index 0..2: hidden layers 1..3; index 3: the classifier. The arrays are the model's own storage,
    // so they always hold the current parameters and running statistics.
    private readonly float[][] weights = new float[4][];
    private readonly float[]?[] biases = new float[4][];
    private readonly float[]?[] gammas = new float[3][];
    private readonly float[]?[] betas = new float[3][];
    private readonly float[]?[] runningMeans = new float[3][];
    private readonly float[]?[] runningVariances = new float[3][];

    /// <summary>Probes unit <paramref name="unit"/> of <paramref name="model"/> on the first <paramref name="count"/> images.</summary>
    public SigmoidInputProbe(IFusedModel model, float[] images, int count, int unit)
    {
        this.model = model;
        this.images = images;
        this.unit = unit;
        Count = count;
        values = new double[count];
        for (int layer = 0; layer < 4; layer++)
        {
            weights[layer] = Parameter(model, $"Fc{layer + 1}.weight") ?? throw new InvalidOperationException($"The model has no Fc{layer + 1}.weight.");
            biases[layer] = Parameter(model, $"Fc{layer + 1}.bias");
            if (layer < 3)
            {
                gammas[layer] = Parameter(model, $"Bn{layer + 1}.weight");
                betas[layer] = Parameter(model, $"Bn{layer + 1}.bias");
                runningMeans[layer] = Buffer(model, $"Bn{layer + 1}.running_mean");
                runningVariances[layer] = Buffer(model, $"Bn{layer + 1}.running_var");
                if ((biases[layer] is null) == (gammas[layer] is null))
                {
                    throw new InvalidOperationException($"Hidden layer {layer + 1} must have either a bias or BatchNorm.");
                }
            }
        }
    }

    /// <summary>Images the percentiles are over.</summary>
    public int Count { get; }

    /// <summary>The percentiles of the probed unit's sigmoid input over the probe images, with the current parameters.</summary>
    public Percentiles Measure()
    {
        var h1 = new double[HiddenUnits];
        var h2 = new double[HiddenUnits];
        for (int n = 0; n < Count; n++)
        {
            Hidden(0, Image(n), h1);
            Hidden(1, h1, h2);
            values[n] = SigmoidInput(2, h2, unit);
        }

        return Percentiles.Of(values);
    }

    /// <summary>
    /// Largest |difference| between this float64 forward pass and the fused model's inference output
    /// (logits) on the first <paramref name="samples"/> probe images. Leaves the model in training mode.
    /// </summary>
    public double MaxLogitDifference(int samples)
    {
        samples = Math.Min(samples, Count);
        var fused = new float[samples * Classes];
        model.Eval();
        model.Forward(images.AsSpan(0, samples * InputLength), fused);
        model.Train();
        var h1 = new double[HiddenUnits];
        var h2 = new double[HiddenUnits];
        var h3 = new double[HiddenUnits];
        double max = 0;
        for (int n = 0; n < samples; n++)
        {
            Hidden(0, Image(n), h1);
            Hidden(1, h1, h2);
            Hidden(2, h2, h3);
            for (int k = 0; k < Classes; k++)
            {
                double logit = Dot(weights[3], k, h3) + biases[3]![k];
                max = Math.Max(max, Math.Abs(logit - fused[(n * Classes) + k]));
            }
        }

        return max;
    }

    private static float[]? Parameter(IFusedModel model, string name)
    {
        foreach (Parameter p in model.Parameters)
        {
            if (p.Name == name)
            {
                return p.Data;
            }
        }

        return null;
    }

    private static float[]? Buffer(IFusedModel model, string name)
    {
        foreach (FusedLayers.Buffer b in model.Buffers)
        {
            if (b.Name == name)
            {
                return b.FloatData;
            }
        }

        return null;
    }

    /// <summary>Probe image <paramref name="n"/> widened to float64 (into one reused array).</summary>
    private double[] Image(int n)
    {
        ReadOnlySpan<float> pixels = images.AsSpan(n * InputLength, InputLength);
        for (int i = 0; i < pixels.Length; i++)
        {
            image[i] = pixels[i];
        }

        return image;
    }

    private static double Dot(float[] weight, int row, double[] input)
    {
        double sum = 0;
        int offset = row * input.Length;
        for (int i = 0; i < input.Length; i++)
        {
            sum += weight[offset + i] * input[i];
        }

        return sum;
    }

    private static double Sigmoid(double z) => 1.0 / (1.0 + Math.Exp(-z));

    /// <summary>Hidden layer <paramref name="layer"/> (0-based) on its input.</summary>
    private void Hidden(int layer, double[] input, double[] output)
    {
        for (int j = 0; j < HiddenUnits; j++)
        {
            output[j] = Sigmoid(SigmoidInput(layer, input, j));
        }
    }

    /// <summary>
    /// The input of sigmoid <paramref name="j"/> of hidden layer <paramref name="layer"/> (0-based): <c>W u + b</c>
    /// for the plain network, inference-mode BatchNorm of <c>W u</c> for the other.
    /// </summary>
    private double SigmoidInput(int layer, double[] input, int j)
    {
        double linear = Dot(weights[layer], j, input);
        if (biases[layer] is { } bias)
        {
            return linear + bias[j];
        }

        double mean = runningMeans[layer]![j];
        double variance = runningVariances[layer]![j];
        return ((linear - mean) / Math.Sqrt(variance + BatchNormEps) * gammas[layer]![j]) + betas[layer]![j];
    }
}
