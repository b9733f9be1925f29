using System;
using System.Collections.Generic;

namespace FusedLayers;

/// <summary>
/// A dense float32 tensor in row-major (NCHW) order: a shape and a flat array. Used by the convenience
/// overloads of the generated models; hot loops use the span overloads instead.
/// </summary>
public sealed class Tensor
{
    /// <summary>Creates a zero-filled tensor.</summary>
    /// <param name="shape">The shape, batch dimension first.</param>
    public Tensor(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        Shape = (int[])shape.Clone();
        Data = new float[TensorShape.Length(shape)];
    }

    /// <summary>Wraps <paramref name="data"/> (not copied) with a shape.</summary>
    /// <param name="data">Values in row-major order.</param>
    /// <param name="shape">The shape; its element count must equal <c>data.Length</c>.</param>
    /// <exception cref="ArgumentException">The shape does not match the data length.</exception>
    public Tensor(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        int length = TensorShape.Length(shape);
        if (length != data.Length)
        {
            throw new ArgumentException(
                $"Shape {TensorShape.Format(shape)} needs {length} elements, but the data has {data.Length}.", nameof(data));
        }

        Shape = (int[])shape.Clone();
        Data = data;
    }

    /// <summary>The shape (do not modify).</summary>
    public int[] Shape { get; }

    /// <summary>The values in row-major order.</summary>
    public float[] Data { get; }

    /// <summary>Number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>Size of dimension <paramref name="dimension"/>.</summary>
    /// <param name="dimension">Dimension index.</param>
    public int Size(int dimension) => Shape[dimension];

    /// <summary>Returns <see cref="Shape"/> as a read-only list.</summary>
    public IReadOnlyList<int> ShapeList => Shape;

    /// <inheritdoc />
    public override string ToString() => $"Tensor {TensorShape.Format(Shape)}";
}
