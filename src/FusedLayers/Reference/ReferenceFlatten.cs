using System;
using System.Collections.Generic;

namespace FusedLayers.Reference;

/// <summary>
/// Flattens all dimensions but the batch (PyTorch's <c>nn.Flatten()</c>, <c>start_dim=1</c>):
/// <c>[N, d1, d2, ...]</c> to <c>[N, d1*d2*...]</c>. Row-major data is unchanged; backward reshapes back.
/// </summary>
public sealed class ReferenceFlatten : IReferenceLayer
{
    private int[]? inputShape;
    private int[]? outputShape;

    /// <summary>Creates the layer.</summary>
    /// <param name="name">Layer name.</param>
    public ReferenceFlatten(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public bool Training { get; set; } = true;

    /// <inheritdoc />
    public IReadOnlyList<ReferenceParameter> Parameters => [];

    /// <inheritdoc />
    public ReferenceTensor Forward(ReferenceTensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank < 2)
        {
            throw new ArgumentException(
                $"{Name}: expected input [N, ...] with at least 2 dimensions, got {ReferenceShape.Format(input.Shape)}.", nameof(input));
        }

        var output = new ReferenceTensor((double[])input.Data.Clone(), input.Shape[0], ReferenceShape.TrailingLength(input.Shape, 1));
        inputShape = (int[])input.Shape.Clone();
        outputShape = (int[])output.Shape.Clone();
        return output;
    }

    /// <inheritdoc />
    public ReferenceTensor Backward(ReferenceTensor gradOutput)
    {
        ReferenceShape.CheckGradOutput(Name, outputShape, gradOutput);
        return new ReferenceTensor((double[])gradOutput.Data.Clone(), inputShape!);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: ReferenceFlatten()";
}
