using System;
using System.Collections.Generic;
using System.Linq;

namespace FusedLayers.Reference;

/// <summary>
/// A skip connection inside a <see cref="ReferenceSequential"/>: <c>y = x + skip</c>, where <c>skip</c> is the
/// output of the earlier layer named <see cref="From"/>, optionally through a 1x1 convolution (no bias) and a
/// BatchNorm2d (torchvision's <c>downsample</c>, named <c>{Name}.0</c> and <c>{Name}.1</c>). The sequence sets
/// <see cref="SkipInput"/> before <see cref="Forward"/> and reads <see cref="SkipGradient"/> after
/// <see cref="Backward"/>; the gradient of <c>y</c> flows unchanged into both operands.
/// </summary>
public sealed class ReferenceResidual : IReferenceLayer
{
    private readonly ReferenceConv2d? projection;
    private readonly ReferenceBatchNorm? projectionNorm;
    private int[]? savedShape;
    private bool training = true;

    /// <summary>Creates an identity skip connection.</summary>
    /// <param name="name">Layer name.</param>
    /// <param name="from">Name of the earlier layer whose output is added.</param>
    public ReferenceResidual(string name, string from)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(from);
        Name = name;
        From = from;
    }

    /// <summary>Creates a skip connection with a 1x1 Conv2d + BatchNorm2d projection.</summary>
    /// <param name="name">Layer name.</param>
    /// <param name="from">Name of the earlier layer whose output is added.</param>
    /// <param name="inChannels">Channels of the source.</param>
    /// <param name="outChannels">Channels at the add.</param>
    /// <param name="stride">Stride of the 1x1 convolution.</param>
    public ReferenceResidual(string name, string from, int inChannels, int outChannels, int stride)
        : this(name, from)
    {
        projection = new ReferenceConv2d(name + ".0", inChannels, outChannels, 1, stride, 0, bias: false);
        projectionNorm = new ReferenceBatchNorm(name + ".1", outChannels);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Name of the earlier layer whose output is added.</summary>
    public string From { get; }

    /// <summary>The skip operand for the next <see cref="Forward"/> (set by the sequence).</summary>
    public ReferenceTensor? SkipInput { get; set; }

    /// <summary>The gradient with respect to <see cref="SkipInput"/> from the last <see cref="Backward"/>.</summary>
    public ReferenceTensor? SkipGradient { get; private set; }

    /// <inheritdoc />
    public bool Training
    {
        get => training;
        set
        {
            training = value;
            if (projection is not null)
            {
                projection.Training = value;
                projectionNorm!.Training = value;
            }
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<ReferenceParameter> Parameters =>
        projection is null ? [] : [.. projection.Parameters.Concat(projectionNorm!.Parameters)];

    /// <summary>The projection's BatchNorm (null for an identity skip), for its running statistics.</summary>
    public ReferenceBatchNorm? ProjectionNorm => projectionNorm;

    /// <inheritdoc />
    public ReferenceTensor Forward(ReferenceTensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ReferenceTensor skip = SkipInput ?? throw new InvalidOperationException($"{Name}: the skip input from '{From}' was not set.");
        if (projection is not null)
        {
            skip = projectionNorm!.Forward(projection.Forward(skip));
        }

        if (!skip.Shape.SequenceEqual(input.Shape))
        {
            throw new ArgumentException(
                $"{Name}: the main path is {ReferenceShape.Format(input.Shape)} but the skip from '{From}' is {ReferenceShape.Format(skip.Shape)}.", nameof(input));
        }

        var output = new ReferenceTensor(input.Shape);
        for (int i = 0; i < output.Length; i++)
        {
            output.Data[i] = input.Data[i] + skip.Data[i];
        }

        savedShape = input.Shape;
        return output;
    }

    /// <inheritdoc />
    public ReferenceTensor Backward(ReferenceTensor gradOutput)
    {
        ReferenceShape.CheckGradOutput(Name, savedShape, gradOutput);
        SkipGradient = projection is null ? gradOutput.Clone() : projection.Backward(projectionNorm!.Backward(gradOutput.Clone()));
        return gradOutput.Clone();
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: ReferenceResidual(from={From}{(projection is null ? "" : ", projection")})";
}
