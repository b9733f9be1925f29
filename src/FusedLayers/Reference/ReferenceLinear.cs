using System;
using System.Collections.Generic;

namespace FusedLayers.Reference;

/// <summary>
/// Naive fully connected layer (PyTorch's <c>nn.Linear</c>): input <c>[N, in]</c>, output
/// <c>[N, out]</c>, <c>y = x W^T + b</c>, that is <c>y[n,o] = b[o] + sum_i W[o,i] * x[n,i]</c>.
/// </summary>
public sealed class ReferenceLinear : IReferenceLayer
{
    private readonly ReferenceParameter[] parameters;
    private ReferenceTensor? savedInput;
    private int[]? outputShape;

    /// <summary>Creates the layer with zero weight and bias (copy values in with <see cref="ReferenceParameter.CopyFrom(ReadOnlySpan{float})"/>).</summary>
    /// <param name="name">Layer name, the prefix of the state-dict keys.</param>
    /// <param name="inFeatures">Input features.</param>
    /// <param name="outFeatures">Output features.</param>
    /// <param name="bias">Whether the layer has a bias.</param>
    public ReferenceLinear(string name, int inFeatures, int outFeatures, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outFeatures);
        Name = name;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = new ReferenceParameter(name + ".weight", outFeatures, inFeatures);
        Bias = bias ? new ReferenceParameter(name + ".bias", outFeatures) : null;
        parameters = Bias is null ? [Weight] : [Weight, Bias];
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public bool Training { get; set; } = true;

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>Weight, <c>[out, in]</c>, named <c>name.weight</c>.</summary>
    public ReferenceParameter Weight { get; }

    /// <summary>Bias, <c>[out]</c>, named <c>name.bias</c>; null when the layer has no bias.</summary>
    public ReferenceParameter? Bias { get; }

    /// <inheritdoc />
    public IReadOnlyList<ReferenceParameter> Parameters => parameters;

    /// <inheritdoc />
    public ReferenceTensor Forward(ReferenceTensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 2 || input.Shape[1] != InFeatures)
        {
            throw new ArgumentException(
                $"{Name}: expected input [N, {InFeatures}], got {ReferenceShape.Format(input.Shape)}.", nameof(input));
        }

        int batch = input.Shape[0];
        var output = new ReferenceTensor(batch, OutFeatures);
        double[] x = input.Data, w = Weight.Data, y = output.Data;
        for (int n = 0; n < batch; n++)
        {
            for (int o = 0; o < OutFeatures; o++)
            {
                // y[n,o] = b[o] + sum_i W[o,i] * x[n,i]
                double sum = Bias is null ? 0.0 : Bias.Data[o];
                for (int i = 0; i < InFeatures; i++)
                {
                    sum += w[(o * InFeatures) + i] * x[(n * InFeatures) + i];
                }

                y[(n * OutFeatures) + o] = sum;
            }
        }

        savedInput = input.Clone();
        outputShape = (int[])output.Shape.Clone();
        return output;
    }

    /// <inheritdoc />
    public ReferenceTensor Backward(ReferenceTensor gradOutput)
    {
        ReferenceShape.CheckGradOutput(Name, outputShape, gradOutput);
        ReferenceTensor input = savedInput!;
        int batch = input.Shape[0];
        var gradInput = new ReferenceTensor(input.Shape);
        double[] x = input.Data, w = Weight.Data, dy = gradOutput.Data, dx = gradInput.Data, dw = Weight.Grad;
        double[]? db = Bias?.Grad;

        // dx[n,i] += W[o,i] * dy[n,o];  dW[o,i] += x[n,i] * dy[n,o];  db[o] += dy[n,o]
        for (int n = 0; n < batch; n++)
        {
            for (int o = 0; o < OutFeatures; o++)
            {
                double g = dy[(n * OutFeatures) + o];
                if (db is not null)
                {
                    db[o] += g;
                }

                for (int i = 0; i < InFeatures; i++)
                {
                    dx[(n * InFeatures) + i] += w[(o * InFeatures) + i] * g;
                    dw[(o * InFeatures) + i] += x[(n * InFeatures) + i] * g;
                }
            }
        }

        return gradInput;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: ReferenceLinear({InFeatures}, {OutFeatures}, bias={Bias is not null})";
}
