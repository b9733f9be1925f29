using System;
using System.Collections.Generic;

namespace FusedLayers.Reference;

/// <summary>
/// Naive group normalisation with PyTorch's semantics (<c>nn.GroupNorm</c>): input <c>[N, C, *]</c>, the
/// <c>C</c> channels split into <c>num_groups</c> consecutive groups of <c>C / G</c> channels; every
/// (sample, group) slice of <c>(C / G) * spatial</c> values is normalised with its own mean and biased
/// variance, <c>xhat = (x - mean) / sqrt(var + eps)</c>, then <c>y = weight[c] * xhat + bias[c]</c> per
/// channel. Training and inference are identical.
/// </summary>
public sealed class ReferenceGroupNorm : IReferenceLayer
{
    private readonly ReferenceParameter[] parameters;

    // Saved by Forward for Backward.
    private int[]? inputShape;
    private double[]? savedXHat;
    private double[]? savedInvStd;
    private double[]? savedGamma;

    /// <summary>Creates the layer: weight ones, bias zeros.</summary>
    /// <param name="name">Layer name, the prefix of the state-dict keys.</param>
    /// <param name="numGroups">Groups <c>G</c>.</param>
    /// <param name="numChannels">Channels <c>C</c>, a multiple of <paramref name="numGroups"/>.</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <param name="affine">Whether the layer has a learnable per-channel weight and bias.</param>
    /// <exception cref="ArgumentException"><paramref name="numChannels"/> is not divisible by <paramref name="numGroups"/>.</exception>
    public ReferenceGroupNorm(string name, int numGroups, int numChannels, double eps = 1e-5, bool affine = true)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numGroups);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numChannels);
        if (numChannels % numGroups != 0)
        {
            // PyTorch raises ValueError("num_channels must be divisible by num_groups").
            throw new ArgumentException($"{name}: num_channels ({numChannels}) must be divisible by num_groups ({numGroups}).", nameof(numChannels));
        }

        Name = name;
        NumGroups = numGroups;
        NumChannels = numChannels;
        Eps = eps;
        if (affine)
        {
            Weight = new ReferenceParameter(name + ".weight", numChannels);
            Bias = new ReferenceParameter(name + ".bias", numChannels);
            Array.Fill(Weight.Data, 1.0);
            parameters = [Weight, Bias];
        }
        else
        {
            parameters = [];
        }
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public bool Training { get; set; } = true;

    /// <summary>Groups <c>G</c>.</summary>
    public int NumGroups { get; }

    /// <summary>Channels <c>C</c>.</summary>
    public int NumChannels { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public double Eps { get; }

    /// <summary>Whether the layer has a learnable weight and bias.</summary>
    public bool Affine => Weight is not null;

    /// <summary>Weight, <c>[C]</c>, initialised to ones (<c>name.weight</c>); null when not affine.</summary>
    public ReferenceParameter? Weight { get; }

    /// <summary>Bias, <c>[C]</c>, initialised to zeros (<c>name.bias</c>); null when not affine.</summary>
    public ReferenceParameter? Bias { get; }

    /// <inheritdoc />
    public IReadOnlyList<ReferenceParameter> Parameters => parameters;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The input is not <c>[N, C, ...]</c>.</exception>
    public ReferenceTensor Forward(ReferenceTensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int[] shape = input.Shape;
        if (shape.Length < 2 || shape[1] != NumChannels)
        {
            throw new ArgumentException(
                $"{Name}: expected input [N, {NumChannels}, ...], got {ReferenceShape.Format(shape)}.", nameof(input));
        }

        int spatial = ReferenceShape.TrailingLength(shape, 2);
        int rows = shape[0] * NumGroups;
        int rowLength = NumChannels / NumGroups * spatial; // a group's channels are contiguous in [N, C, *]
        var mean = new double[rows];
        var variance = new double[rows];
        var invStd = new double[rows];
        var xhat = new double[input.Length];
        ReferenceRowNormalization.Normalize(input.Data, rows, rowLength, Eps, mean, variance, invStd, xhat);

        var output = new ReferenceTensor(shape);
        for (int i = 0; i < input.Length; i++)
        {
            // y = weight[c] * xhat + bias[c]
            int c = i / spatial % NumChannels;
            double gamma = Weight is null ? 1.0 : Weight.Data[c];
            double beta = Bias is null ? 0.0 : Bias.Data[c];
            output.Data[i] = (gamma * xhat[i]) + beta;
        }

        inputShape = (int[])shape.Clone();
        savedXHat = xhat;
        savedInvStd = invStd;
        savedGamma = (double[]?)Weight?.Data.Clone();
        return output;
    }

    /// <inheritdoc />
    public ReferenceTensor Backward(ReferenceTensor gradOutput)
    {
        ReferenceShape.CheckGradOutput(Name, inputShape, gradOutput);
        int spatial = ReferenceShape.TrailingLength(inputShape!, 2);
        int rows = inputShape![0] * NumGroups;
        int rowLength = NumChannels / NumGroups * spatial;
        double[] dy = gradOutput.Data, xhat = savedXHat!;
        var gradXHat = new double[dy.Length];
        for (int i = 0; i < dy.Length; i++)
        {
            // dweight[c] += sum dy * xhat;  dbias[c] += sum dy;  dxhat = dy * weight[c]
            int c = i / spatial % NumChannels;
            if (Weight is not null)
            {
                Weight.Grad[c] += dy[i] * xhat[i];
                Bias!.Grad[c] += dy[i];
            }

            gradXHat[i] = dy[i] * (savedGamma is null ? 1.0 : savedGamma[c]);
        }

        var gradInput = new ReferenceTensor(inputShape);
        ReferenceRowNormalization.Backward(gradXHat, xhat, savedInvStd!, rows, rowLength, gradInput.Data);
        return gradInput;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name}: ReferenceGroupNorm({NumGroups}, {NumChannels}, eps={Eps}, affine={Affine})";
}
