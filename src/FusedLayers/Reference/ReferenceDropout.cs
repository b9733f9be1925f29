using System;
using System.Collections.Generic;
using FusedLayers.Kernels;

namespace FusedLayers.Reference;

/// <summary>
/// Naive dropout (PyTorch's <c>nn.Dropout</c>), any shape. Training: <c>y = x * mask / (1 - p)</c> with
/// <c>mask[i] = 1</c> iff <see cref="DropoutMask.Keep"/>(seed, step, i, p), the counter-based mask the kernels
/// draw too, and <see cref="Step"/> advancing once per training forward pass; <c>p = 0</c> is the identity and
/// <c>p = 1</c> gives <c>x * 0</c> (zeros, NaN for non-finite inputs, as PyTorch). Inference: the identity.
/// Backward: <c>dx = dy * mask / (1 - p)</c> with the mask of the last forward pass (<c>dx = dy</c> after an
/// inference or <c>p = 0</c> pass). The mask differs from PyTorch's by design (PyTorch draws from its global
/// generator); its distribution is the same.
/// </summary>
public sealed class ReferenceDropout : IReferenceLayer
{
    private int[]? shape;
    private double[]? maskScale;

    /// <summary>Creates the layer.</summary>
    /// <param name="name">Layer name.</param>
    /// <param name="p">Probability of zeroing an element (default 0.5).</param>
    /// <param name="seed">Seed of the mask stream.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside <c>[0, 1]</c>.</exception>
    public ReferenceDropout(string name, double p = 0.5, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(name);
        DropoutMask.CheckProbability(p);
        Name = name;
        P = p;
        Seed = seed;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public bool Training { get; set; } = true;

    /// <inheritdoc />
    public IReadOnlyList<ReferenceParameter> Parameters => [];

    /// <summary>Probability of zeroing an element.</summary>
    public double P { get; }

    /// <summary>Seed of the mask stream.</summary>
    public ulong Seed { get; }

    /// <summary>The step the next training forward pass draws its mask with; each training forward pass advances it by one.</summary>
    public ulong Step { get; set; }

    /// <summary>
    /// The multiplier of every element in the last forward pass (<c>1 / (1 - p)</c> where kept, 0 where dropped,
    /// 1 everywhere after an inference or <c>p = 0</c> pass); null before the first forward pass.
    /// </summary>
    public IReadOnlyList<double>? MaskScale => maskScale;

    /// <inheritdoc />
    public ReferenceTensor Forward(ReferenceTensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var output = new ReferenceTensor(input.Shape);
        var multiplier = new double[input.Length];
        if (!Training || P == 0.0)
        {
            Array.Fill(multiplier, 1.0);
            input.Data.CopyTo(output.Data, 0);
        }
        else
        {
            double scale = P == 1.0 ? 0.0 : 1.0 / (1.0 - P);
            for (int i = 0; i < input.Length; i++)
            {
                multiplier[i] = DropoutMask.Keep(Seed, Step, i, P) ? scale : 0.0;
                output.Data[i] = input.Data[i] * multiplier[i];
            }
        }

        if (Training)
        {
            Step++;
        }

        shape = (int[])input.Shape.Clone();
        maskScale = multiplier;
        return output;
    }

    /// <inheritdoc />
    public ReferenceTensor Backward(ReferenceTensor gradOutput)
    {
        ReferenceShape.CheckGradOutput(Name, shape, gradOutput);
        var gradInput = new ReferenceTensor(shape!);
        for (int i = 0; i < gradInput.Length; i++)
        {
            gradInput.Data[i] = gradOutput.Data[i] * maskScale![i];
        }

        return gradInput;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: ReferenceDropout(p={P}, seed={Seed})";
}
