using System;

namespace FusedLayers.Reference;

/// <summary>
/// A dense float64 tensor for the naive reference layers: a shape (batch first, NCHW) and a flat
/// row-major <see cref="double"/> array.
/// </summary>
public sealed class ReferenceTensor
{
    /// <summary>Creates a zero-filled tensor.</summary>
    /// <param name="shape">The shape, batch dimension first.</param>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public ReferenceTensor(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        Shape = (int[])shape.Clone();
        Data = new double[ReferenceShape.Length(shape, nameof(shape))];
    }

    /// <summary>Wraps <paramref name="data"/> (not copied) with a shape.</summary>
    /// <param name="data">Values in row-major order.</param>
    /// <param name="shape">The shape; its element count must equal <c>data.Length</c>.</param>
    /// <exception cref="ArgumentException">The shape does not match the data length.</exception>
    public ReferenceTensor(double[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        int length = ReferenceShape.Length(shape, nameof(shape));
        if (length != data.Length)
        {
            throw new ArgumentException(
                $"Shape {ReferenceShape.Format(shape)} needs {length} elements, but the data has {data.Length}.", nameof(data));
        }

        Shape = (int[])shape.Clone();
        Data = data;
    }

    /// <summary>The shape (do not modify).</summary>
    public int[] Shape { get; }

    /// <summary>The values in row-major order.</summary>
    public double[] Data { get; }

    /// <summary>Number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>Element at a multi-dimensional index, for example <c>t[n, c, y, x]</c>.</summary>
    /// <param name="indices">One index per dimension.</param>
    /// <exception cref="ArgumentException">Wrong number of indices.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    public double this[params int[] indices]
    {
        get => Data[Offset(indices)];
        set => Data[Offset(indices)] = value;
    }

    /// <summary>Converts float32 values to a new float64 tensor.</summary>
    /// <param name="data">Values in row-major order.</param>
    /// <param name="shape">The shape; its element count must equal <c>data.Length</c>.</param>
    /// <exception cref="ArgumentException">The shape does not match the data length.</exception>
    public static ReferenceTensor FromFloats(ReadOnlySpan<float> data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var values = new double[data.Length];
        for (int i = 0; i < data.Length; i++)
        {
            values[i] = data[i];
        }

        return new ReferenceTensor(values, shape);
    }

    /// <summary>Returns the values rounded to float32, in row-major order.</summary>
    public float[] ToFloats()
    {
        var values = new float[Data.Length];
        for (int i = 0; i < Data.Length; i++)
        {
            values[i] = (float)Data[i];
        }

        return values;
    }

    /// <summary>Returns a deep copy (shape and data).</summary>
    public ReferenceTensor Clone() => new((double[])Data.Clone(), Shape);

    /// <inheritdoc />
    public override string ToString() => $"ReferenceTensor {ReferenceShape.Format(Shape)}";

    private int Offset(int[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Length != Shape.Length)
        {
            throw new ArgumentException(
                $"Expected {Shape.Length} indices for shape {ReferenceShape.Format(Shape)}, got {indices.Length}.", nameof(indices));
        }

        int offset = 0;
        for (int d = 0; d < Shape.Length; d++)
        {
            if ((uint)indices[d] >= (uint)Shape[d])
            {
                throw new ArgumentOutOfRangeException(
                    nameof(indices), $"Index {indices[d]} is out of range for dimension {d} of shape {ReferenceShape.Format(Shape)}.");
            }

            offset = (offset * Shape[d]) + indices[d];
        }

        return offset;
    }
}
