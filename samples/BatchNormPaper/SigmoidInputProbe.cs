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

/// <summary>One probe measurement: inference mode, and (with BatchNorm only) training mode.</summary>
/// <param name="Inference">
/// The sigmoid input with BatchNorm on its running statistics, image by image: what the network computes when
/// it is evaluated, and what the fused model's <c>Eval()</c> forward feeds to the sigmoid.
/// </param>
/// <param name="TrainingMode">
/// With BatchNorm, the sigmoid input with BatchNorm on the batch statistics (biased variance) of consecutive
/// mini-batches of 60 probe images, as in a training forward pass (the paper's N_BN^tr); null without BatchNorm,
/// where both modes are the same function.
/// </param>
internal readonly record struct ProbeValues(Percentiles Inference, Percentiles? TrainingMode);

/// <summary>
/// The input of one sigmoid unit of the last hidden layer over a fixed set of test images, computed in plain
/// float64 C# from the model's parameters and buffers (the generated model exposes only its final output).
/// For the network with BatchNorm the sigmoid input is BatchNorm's output,
/// <c>(W3 h2 - mean) / sqrt(var + eps) * gamma + beta</c>, with the running statistics (inference mode) or with
/// the statistics of the mini-batch (training mode). <see cref="MaxLogitDifference"/> runs the same code to the
/// logits and compares them with the fused model's <c>Forward</c> in both modes.
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
    private readonly bool batchNorm;
    private readonly double[][] firstLinear;

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

        batchNorm = gammas[0] is not null;
        firstLinear = new double[count][];
        for (int n = 0; n < count; n++)
        {
            firstLinear[n] = new double[HiddenUnits];
        }
    }

    /// <summary>Images the inference-mode percentiles are over (the training-mode ones use whole batches of 60 of them).</summary>
    public int Count { get; }

    /// <summary>The percentiles of the probed unit's sigmoid input with the current parameters.</summary>
    public ProbeValues Measure()
    {
        ComputeFirstLinear(Count);
        double[][] inference = SigmoidInputsOfLastHiddenLayer(0, Count, batchStatistics: false);
        var values = new double[Count];
        for (int n = 0; n < Count; n++)
        {
            values[n] = inference[n][unit];
        }

        Percentiles? trainingMode = null;
        int batches = Count / Options.BatchSize;
        if (batchNorm && batches > 0)
        {
            var batchValues = new double[batches * Options.BatchSize];
            for (int b = 0; b < batches; b++)
            {
                double[][] z = SigmoidInputsOfLastHiddenLayer(b * Options.BatchSize, Options.BatchSize, batchStatistics: true);
                for (int n = 0; n < Options.BatchSize; n++)
                {
                    batchValues[(b * Options.BatchSize) + n] = z[n][unit];
                }
            }

            trainingMode = Percentiles.Of(batchValues);
        }

        return new ProbeValues(Percentiles.Of(values), trainingMode);
    }

    /// <summary>
    /// Largest |difference| between this float64 forward pass and the fused model's logits: in inference mode on
    /// the first <paramref name="samples"/> probe images, and (with BatchNorm) in training mode on the first
    /// mini-batch of 60, after which the running statistics are put back as they were. Leaves the model in training mode.
    /// </summary>
    public double MaxLogitDifference(int samples)
    {
        samples = Math.Min(samples, Count);
        ComputeFirstLinear(samples);
        model.Eval();
        double max = CompareLogits(samples, batchStatistics: false);
        model.Train();
        if (batchNorm && samples >= Options.BatchSize)
        {
            float[][] saved = Array.ConvertAll(runningMeans, a => (float[])a!.Clone());
            float[][] savedVariances = Array.ConvertAll(runningVariances, a => (float[])a!.Clone());
            var counters = new long[3];
            for (int layer = 0; layer < 3; layer++)
            {
                counters[layer] = Counter(layer)[0];
            }

            max = Math.Max(max, CompareLogits(Options.BatchSize, batchStatistics: true));
            for (int layer = 0; layer < 3; layer++)
            {
                saved[layer].CopyTo(runningMeans[layer]!, 0);
                savedVariances[layer].CopyTo(runningVariances[layer]!, 0);
                Counter(layer)[0] = counters[layer];
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

    private static double Sigmoid(double z) => 1.0 / (1.0 + Math.Exp(-z));

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

    private long[] Counter(int layer)
    {
        foreach (FusedLayers.Buffer b in model.Buffers)
        {
            if (b.Name == $"Bn{layer + 1}.num_batches_tracked")
            {
                return b.Int64Data;
            }
        }

        throw new InvalidOperationException($"The model has no Bn{layer + 1}.num_batches_tracked.");
    }

    /// <summary>Runs the fused model (in its current mode) and this code on the first <paramref name="samples"/> images.</summary>
    private double CompareLogits(int samples, bool batchStatistics)
    {
        var fused = new float[samples * Classes];
        model.Forward(images.AsSpan(0, samples * InputLength), fused);
        double[][] last = Sigmoids(SigmoidInputsOfLastHiddenLayer(0, samples, batchStatistics));
        double max = 0;
        for (int n = 0; n < samples; n++)
        {
            for (int k = 0; k < Classes; k++)
            {
                double logit = Dot(weights[3], k, last[n]) + biases[3]![k];
                max = Math.Max(max, Math.Abs(logit - fused[(n * Classes) + k]));
            }
        }

        return max;
    }

    /// <summary><c>W1 x</c> of the first <paramref name="count"/> images (the costly part, shared by both modes).</summary>
    private void ComputeFirstLinear(int count)
    {
        var x = new double[InputLength];
        for (int n = 0; n < count; n++)
        {
            ReadOnlySpan<float> pixels = images.AsSpan(n * InputLength, InputLength);
            for (int i = 0; i < InputLength; i++)
            {
                x[i] = pixels[i];
            }

            for (int j = 0; j < HiddenUnits; j++)
            {
                firstLinear[n][j] = Dot(weights[0], j, x);
            }
        }
    }

    /// <summary>
    /// The inputs of every sigmoid of the last hidden layer for images <paramref name="start"/> ..
    /// <paramref name="start"/> + <paramref name="count"/> - 1, from <see cref="firstLinear"/>; with BatchNorm, on
    /// the statistics of these images as one batch (<paramref name="batchStatistics"/>) or on the running ones.
    /// </summary>
    private double[][] SigmoidInputsOfLastHiddenLayer(int start, int count, bool batchStatistics)
    {
        double[][] z = new double[count][];
        for (int n = 0; n < count; n++)
        {
            z[n] = (double[])firstLinear[start + n].Clone();
        }

        Normalize(0, z, batchStatistics);
        for (int layer = 1; layer < 3; layer++)
        {
            double[][] h = Sigmoids(z);
            z = new double[count][];
            for (int n = 0; n < count; n++)
            {
                z[n] = new double[HiddenUnits];
                for (int j = 0; j < HiddenUnits; j++)
                {
                    z[n][j] = Dot(weights[layer], j, h[n]);
                }
            }

            Normalize(layer, z, batchStatistics);
        }

        return z;
    }

    private static double[][] Sigmoids(double[][] z) => Array.ConvertAll(z, row => Array.ConvertAll(row, Sigmoid));

    /// <summary>
    /// Turns <c>W u</c> into the sigmoid input in place: adds the bias (plain network) or applies BatchNorm with
    /// the running statistics, or with the batch's mean and biased variance.
    /// </summary>
    private void Normalize(int layer, double[][] z, bool batchStatistics)
    {
        for (int j = 0; j < HiddenUnits; j++)
        {
            if (biases[layer] is { } bias)
            {
                foreach (double[] row in z)
                {
                    row[j] += bias[j];
                }

                continue;
            }

            double mean = runningMeans[layer]![j], variance = runningVariances[layer]![j];
            if (batchStatistics)
            {
                mean = 0;
                foreach (double[] row in z)
                {
                    mean += row[j];
                }

                mean /= z.Length;
                variance = 0;
                foreach (double[] row in z)
                {
                    variance += (row[j] - mean) * (row[j] - mean);
                }

                variance /= z.Length;
            }

            double scale = gammas[layer]![j] / Math.Sqrt(variance + BatchNormEps);
            foreach (double[] row in z)
            {
                row[j] = ((row[j] - mean) * scale) + betas[layer]![j];
            }
        }
    }
}
