using System;
using System.Collections.Generic;
using System.Linq;

namespace FusedLayers.Reference;

/// <summary>
/// Naive layer normalisation with PyTorch's semantics (<c>nn.LayerNorm</c>): the input's trailing
/// dimensions must equal <c>normalized_shape</c>; every slice over those dimensions (a row of
/// <c>D = prod(normalized_shape)</c> values) is normalised with its own mean and biased variance,
/// <c>xhat = (x - mean) / sqrt(var + eps)</c>, then <c>y = weight * xhat + bias</c> element-wise, with
/// <c>weight</c> and <c>bias</c> of shape <c>normalized_shape</c>. Training and inference are identical.
/// </summary>
public sealed class ReferenceLayerNorm : IReferenceLayer
{
    private readonly ReferenceParameter[] parameters;
    private readonly int[] normalizedShape;

    // Saved by Forward for Backward.
    private int[]? inputShape;
    private double[]? savedXHat;
    private double[]? savedInvStd;
    private double[]? savedGamma; // the weight as used, or null without element-wise affine

    /// <summary>Creates the layer: weight ones, bias zeros.</summary>
    /// <param name="name">Layer name, the prefix of the state-dict keys.</param>
    /// <param name="normalizedShape">The trailing input dimensions normalised over (at least one, all positive).</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <param name="elementwiseAffine">Whether the layer has a learnable weight (and bias, see <paramref name="bias"/>).</param>
    /// <param name="bias">Whether the layer has a learnable bias; ignored when <paramref name="elementwiseAffine"/> is false.</param>
    /// <exception cref="ArgumentException"><paramref name="normalizedShape"/> is empty or has a dimension below 1.</exception>
    public ReferenceLayerNorm(string name, int[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d < 1))
        {
            throw new ArgumentException(
                $"{name}: normalized_shape must have at least one dimension, all positive; got {ReferenceShape.Format(normalizedShape)}.",
                nameof(normalizedShape));
        }

        Name = name;
        this.normalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        var list = new List<ReferenceParameter>();
        if (elementwiseAffine)
        {
            Weight = new ReferenceParameter(name + ".weight", normalizedShape);
            Array.Fill(Weight.Data, 1.0);
            list.Add(Weight);
            if (bias)
            {
                Bias = new ReferenceParameter(name + ".bias", normalizedShape);
                list.Add(Bias);
            }
        }

        parameters = [.. list];
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public bool Training { get; set; } = true;

    /// <summary>The trailing dimensions normalised over (a copy).</summary>
    public int[] NormalizedShape => (int[])normalizedShape.Clone();

    /// <summary>Added to the variance before the square root.</summary>
    public double Eps { get; }

    /// <summary>Weight, shape <c>normalized_shape</c>, initialised to ones (<c>name.weight</c>); null without element-wise affine.</summary>
    public ReferenceParameter? Weight { get; }

    /// <summary>Bias, shape <c>normalized_shape</c>, initialised to zeros (<c>name.bias</c>); null without element-wise affine or with <c>bias=false</c>.</summary>
    public ReferenceParameter? Bias { get; }

    /// <inheritdoc />
    public IReadOnlyList<ReferenceParameter> Parameters => parameters;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The input's trailing dimensions are not <c>normalized_shape</c>.</exception>
    public ReferenceTensor Forward(ReferenceTensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int[] shape = input.Shape;
        int leading = shape.Length - normalizedShape.Length;
        if (leading < 0 || !ReferenceShape.SameShape(shape[leading..], normalizedShape))
        {
            throw new ArgumentException(
                $"{Name}: the input's trailing dimensions must be {ReferenceShape.Format(normalizedShape)}, got input {ReferenceShape.Format(shape)}.",
                nameof(input));
        }

        int rowLength = ReferenceShape.TrailingLength(normalizedShape, 0);
        int rows = input.Length / rowLength;
        var mean = new double[rows];
        var variance = new double[rows];
        var invStd = new double[rows];
        var xhat = new double[input.Length];
        ReferenceRowNormalization.Normalize(input.Data, rows, rowLength, Eps, mean, variance, invStd, xhat);

        var output = new ReferenceTensor(shape);
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < rowLength; j++)
            {
                // y = weight[j] * xhat + bias[j]
                int i = (r * rowLength) + j;
                double gamma = Weight is null ? 1.0 : Weight.Data[j];
                double beta = Bias is null ? 0.0 : Bias.Data[j];
                output.Data[i] = (gamma * xhat[i]) + beta;
            }
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
        int rowLength = ReferenceShape.TrailingLength(normalizedShape, 0);
        int rows = gradOutput.Length / rowLength;
        double[] dy = gradOutput.Data, xhat = savedXHat!;
        var gradXHat = new double[dy.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < rowLength; j++)
            {
                // dweight[j] += sum dy * xhat;  dbias[j] += sum dy;  dxhat = dy * weight[j]
                int i = (r * rowLength) + j;
                if (Weight is not null)
                {
                    Weight.Grad[j] += dy[i] * xhat[i];
                }

                if (Bias is not null)
                {
                    Bias.Grad[j] += dy[i];
                }

                gradXHat[i] = dy[i] * (savedGamma is null ? 1.0 : savedGamma[j]);
            }
        }

        var gradInput = new ReferenceTensor(inputShape!);
        ReferenceRowNormalization.Backward(gradXHat, xhat, savedInvStd!, rows, rowLength, gradInput.Data);
        return gradInput;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name}: ReferenceLayerNorm({ReferenceShape.Format(normalizedShape)}, eps={Eps}, elementwise_affine={Weight is not null}, bias={Bias is not null})";
}
