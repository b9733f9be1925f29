using System;
using System.Collections.Generic;

namespace FusedLayers.Reference;

/// <summary>
/// Rectified linear unit (PyTorch's <c>nn.ReLU</c>): <c>y = max(0, x)</c> element-wise, any shape.
/// Backward: <c>dx = dy</c> where <c>x &gt; 0</c>, else 0 (the gradient at exactly 0 is 0, as in PyTorch).
/// </summary>
public sealed class ReferenceReLU : IReferenceLayer
{
    private ReferenceTensor? savedInput;

    /// <summary>Creates the layer.</summary>
    /// <param name="name">Layer name.</param>
    public ReferenceReLU(string name)
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
        var output = new ReferenceTensor(input.Shape);
        for (int i = 0; i < input.Length; i++)
        {
            output.Data[i] = input.Data[i] < 0.0 ? 0.0 : input.Data[i]; // NaN stays NaN, as torch.relu
        }

        savedInput = input.Clone();
        return output;
    }

    /// <inheritdoc />
    public ReferenceTensor Backward(ReferenceTensor gradOutput)
    {
        ReferenceShape.CheckGradOutput(Name, savedInput?.Shape, gradOutput);
        ReferenceTensor input = savedInput!;
        var gradInput = new ReferenceTensor(input.Shape);
        for (int i = 0; i < input.Length; i++)
        {
            gradInput.Data[i] = input.Data[i] <= 0.0 ? 0.0 : gradOutput.Data[i]; // threshold_backward
        }

        return gradInput;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: ReferenceReLU()";
}
