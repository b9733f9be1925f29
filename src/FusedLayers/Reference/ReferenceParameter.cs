using System;

namespace FusedLayers.Reference;

/// <summary>
/// A learnable float64 tensor of a reference layer with its gradient, named as in a PyTorch state dict
/// (<c>Conv.weight</c>). Gradients accumulate (<c>+=</c>) across <c>Backward</c> calls until
/// <see cref="ZeroGrad"/> clears them, as in PyTorch.
/// </summary>
public sealed class ReferenceParameter
{
    /// <summary>Creates a parameter whose data and gradient are zero.</summary>
    /// <param name="name">State-dict key, for example <c>Conv.weight</c>.</param>
    /// <param name="shape">Shape, for example <c>[out_channels, in_channels, k, k]</c>.</param>
    public ReferenceParameter(string name, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        Name = name;
        Shape = (int[])shape.Clone();
        int length = ReferenceShape.Length(shape, nameof(shape));
        Data = new double[length];
        Grad = new double[length];
    }

    /// <summary>State-dict key, for example <c>Conv.weight</c>.</summary>
    public string Name { get; }

    /// <summary>The parameter's shape (do not modify).</summary>
    public int[] Shape { get; }

    /// <summary>Values in row-major order.</summary>
    public double[] Data { get; }

    /// <summary>Accumulated gradient, same layout as <see cref="Data"/>.</summary>
    public double[] Grad { get; }

    /// <summary>Number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>Copies float32 values into <see cref="Data"/>.</summary>
    /// <param name="values">Exactly <see cref="Length"/> values in row-major order.</param>
    /// <exception cref="ArgumentException">The number of values differs from <see cref="Length"/>.</exception>
    public void CopyFrom(ReadOnlySpan<float> values)
    {
        if (values.Length != Data.Length)
        {
            throw new ArgumentException(LengthMessage(values.Length), nameof(values));
        }

        for (int i = 0; i < values.Length; i++)
        {
            Data[i] = values[i];
        }
    }

    /// <summary>Copies float64 values into <see cref="Data"/>.</summary>
    /// <param name="values">Exactly <see cref="Length"/> values in row-major order.</param>
    /// <exception cref="ArgumentException">The number of values differs from <see cref="Length"/>.</exception>
    public void CopyFrom(ReadOnlySpan<double> values)
    {
        if (values.Length != Data.Length)
        {
            throw new ArgumentException(LengthMessage(values.Length), nameof(values));
        }

        values.CopyTo(Data);
    }

    /// <summary>Sets the gradient to zero.</summary>
    public void ZeroGrad() => Array.Clear(Grad);

    /// <inheritdoc />
    public override string ToString() => $"{Name} {ReferenceShape.Format(Shape)}";

    private string LengthMessage(int count) =>
        $"{Name} {ReferenceShape.Format(Shape)} needs {Data.Length} values, got {count}.";
}
