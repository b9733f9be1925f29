using System;
using System.Collections.Generic;

namespace FusedLayers;

/// <summary>
/// State of a <see cref="LayerNormAttribute"/> layer: with element-wise affine, <c>weight</c> (ones) and,
/// unless <c>bias=False</c>, <c>bias</c> (zeros), both shaped <c>normalized_shape</c>, as PyTorch. No buffers.
/// </summary>
public sealed class LayerNormLayer
{
    private readonly int[] normalizedShape;

    /// <summary>Creates the layer.</summary>
    /// <param name="name">Layer name, the prefix of the state-dict keys.</param>
    /// <param name="normalizedShape">The trailing per-sample dimensions normalised over.</param>
    /// <param name="eps">Variance epsilon.</param>
    /// <param name="elementwiseAffine">Whether the weight (and bias) exist.</param>
    /// <param name="bias">Whether the bias exists (only with <paramref name="elementwiseAffine"/>).</param>
    /// <exception cref="ArgumentException"><paramref name="normalizedShape"/> is empty or has a dimension below 1.</exception>
    public LayerNormLayer(string name, int[] normalizedShape, double eps, bool elementwiseAffine, bool bias)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || Array.Exists(normalizedShape, d => d < 1))
        {
            throw new ArgumentException($"{name}: normalized_shape must have at least one dimension, all positive.", nameof(normalizedShape));
        }

        Name = name;
        this.normalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        Weight = elementwiseAffine ? new Parameter(name + ".weight", normalizedShape) : null;
        Bias = elementwiseAffine && bias ? new Parameter(name + ".bias", normalizedShape) : null;
        ResetParameters();
    }

    /// <summary>Layer name.</summary>
    public string Name { get; }

    /// <summary>The trailing per-sample dimensions normalised over (a copy).</summary>
    public int[] NormalizedShape => (int[])normalizedShape.Clone();

    /// <summary>Variance epsilon.</summary>
    public double Eps { get; }

    /// <summary>Whether the layer has a learnable weight.</summary>
    public bool ElementwiseAffine => Weight is not null;

    /// <summary>Weight, shaped <c>normalized_shape</c>, or null without element-wise affine.</summary>
    public Parameter? Weight { get; }

    /// <summary>Bias, shaped <c>normalized_shape</c>, or null without element-wise affine or with <c>bias=False</c>.</summary>
    public Parameter? Bias { get; }

    /// <summary>Weight and bias, in state-dict order.</summary>
    public IEnumerable<Parameter> Parameters()
    {
        if (Weight is not null)
        {
            yield return Weight;
        }

        if (Bias is not null)
        {
            yield return Bias;
        }
    }

    /// <summary>Weight to ones and bias to zeros.</summary>
    public void ResetParameters()
    {
        if (Weight is not null)
        {
            Array.Fill(Weight.Data, 1f);
        }

        if (Bias is not null)
        {
            Array.Clear(Bias.Data);
        }
    }
}
