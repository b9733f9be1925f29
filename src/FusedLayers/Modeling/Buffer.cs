using System;

namespace FusedLayers;

/// <summary>Element type of a <see cref="Buffer"/>.</summary>
public enum BufferElementType
{
    /// <summary>32-bit float (running mean and variance).</summary>
    Float32,

    /// <summary>64-bit integer (<c>num_batches_tracked</c>).</summary>
    Int64,
}

/// <summary>
/// Non-learnable state named as in a PyTorch state dict: <c>Bn.running_mean</c>, <c>Bn.running_var</c>
/// (float32) and <c>Bn.num_batches_tracked</c> (int64, a scalar).
/// </summary>
public sealed class Buffer
{
    private Buffer(string name, int[] shape, float[]? floats, long[]? integers)
    {
        Name = name;
        Shape = shape;
        FloatData = floats ?? [];
        Int64Data = integers ?? [];
        ElementType = integers is null ? BufferElementType.Float32 : BufferElementType.Int64;
    }

    /// <summary>State-dict key.</summary>
    public string Name { get; }

    /// <summary>Shape; empty for a scalar.</summary>
    public int[] Shape { get; }

    /// <summary>Element type.</summary>
    public BufferElementType ElementType { get; }

    /// <summary>Values when <see cref="ElementType"/> is <see cref="BufferElementType.Float32"/>; empty otherwise.</summary>
    public float[] FloatData { get; }

    /// <summary>Values when <see cref="ElementType"/> is <see cref="BufferElementType.Int64"/>; empty otherwise.</summary>
    public long[] Int64Data { get; }

    /// <summary>Wraps float storage owned by a layer (not copied).</summary>
    /// <param name="name">State-dict key.</param>
    /// <param name="storage">The layer's storage.</param>
    public static Buffer Float32(string name, float[] storage) => new(name, [storage.Length], storage, null);

    /// <summary>Wraps a one-element int64 storage owned by a layer as a scalar (not copied).</summary>
    /// <param name="name">State-dict key.</param>
    /// <param name="storage">The layer's storage, of length 1.</param>
    public static Buffer Int64Scalar(string name, long[] storage) => new(name, [], null, storage);

    /// <inheritdoc />
    public override string ToString() => $"{Name} {ElementType} {TensorShape.Format(Shape)}";
}
