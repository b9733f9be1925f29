using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.InteropServices;

namespace FusedLayers.Checkpoints;

/// <summary>One named tensor of a safetensors file: dtype, shape and raw little-endian bytes.</summary>
public sealed class SafeTensor
{
    private readonly long[] shape;

    /// <summary>Creates a tensor from raw little-endian bytes (not copied).</summary>
    /// <param name="name">Key.</param>
    /// <param name="dtype">A safetensors dtype (<see cref="SafeTensorsDType"/>).</param>
    /// <param name="shape">Shape; empty for a scalar.</param>
    /// <param name="data">Exactly <c>product(shape) * element size</c> bytes.</param>
    /// <exception cref="ArgumentException">Unknown dtype, a negative dimension, or a data length that does not match.</exception>
    public SafeTensor(string name, string dtype, IReadOnlyList<long> shape, ReadOnlyMemory<byte> data)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(dtype);
        ArgumentNullException.ThrowIfNull(shape);
        int size = SafeTensorsDType.ElementSize(dtype);
        if (size == 0)
        {
            throw new ArgumentException($"Unknown safetensors dtype '{dtype}'.", nameof(dtype));
        }

        long count = ElementCountOf(shape) ?? throw new ArgumentException($"Invalid shape {Format(shape)}.", nameof(shape));
        if (count > long.MaxValue / size || count * size != data.Length)
        {
            throw new ArgumentException(
                $"{name}: {dtype} {Format(shape)} needs {count} x {size} bytes, the data has {data.Length}.", nameof(data));
        }

        Name = name;
        DType = dtype;
        this.shape = [.. shape];
        Data = data;
        ElementCount = count;
    }

    /// <summary>Key.</summary>
    public string Name { get; }

    /// <summary>dtype string, for example <c>F32</c>.</summary>
    public string DType { get; }

    /// <summary>Shape; empty for a scalar.</summary>
    public IReadOnlyList<long> Shape => shape;

    /// <summary>Number of elements (1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>The raw little-endian bytes.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>A float32 tensor holding a copy of <paramref name="values"/>.</summary>
    /// <param name="name">Key.</param>
    /// <param name="shape">Shape.</param>
    /// <param name="values">Values, row-major.</param>
    /// <returns>The tensor.</returns>
    public static SafeTensor FromFloat32(string name, IReadOnlyList<int> shape, ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values).CopyTo(bytes);
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
            }
        }

        return new SafeTensor(name, SafeTensorsDType.F32, Longs(shape), bytes);
    }

    /// <summary>An int64 tensor holding a copy of <paramref name="values"/>.</summary>
    /// <param name="name">Key.</param>
    /// <param name="shape">Shape; empty for a scalar.</param>
    /// <param name="values">Values, row-major.</param>
    /// <returns>The tensor.</returns>
    public static SafeTensor FromInt64(string name, IReadOnlyList<int> shape, ReadOnlySpan<long> values)
    {
        var bytes = new byte[values.Length * sizeof(long)];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values).CopyTo(bytes);
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(long)), values[i]);
            }
        }

        return new SafeTensor(name, SafeTensorsDType.I64, Longs(shape), bytes);
    }

    /// <summary>
    /// The values as float32, converted from any numeric dtype as PyTorch's <c>copy_</c> does
    /// (F32 exactly; F64, F16, BF16 and the integer types rounded to nearest).
    /// </summary>
    /// <returns>A new array.</returns>
    /// <exception cref="NotSupportedException">An 8-bit float dtype.</exception>
    public float[] ToFloat32()
    {
        var values = new float[checked((int)ElementCount)];
        ReadOnlySpan<byte> b = Data.Span;
        if (DType == SafeTensorsDType.F32 && BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, float>(b).CopyTo(values);
            return values;
        }

        for (int i = 0; i < values.Length; i++)
        {
            values[i] = DType switch
            {
                "F32" => BinaryPrimitives.ReadSingleLittleEndian(b[(4 * i)..]),
                "F64" => (float)BinaryPrimitives.ReadDoubleLittleEndian(b[(8 * i)..]),
                "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(b[(2 * i)..]),
                "BF16" => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b[(2 * i)..]) << 16),
                "BOOL" or "U8" => b[i],
                "I8" => (sbyte)b[i],
                "I16" => BinaryPrimitives.ReadInt16LittleEndian(b[(2 * i)..]),
                "U16" => BinaryPrimitives.ReadUInt16LittleEndian(b[(2 * i)..]),
                "I32" => BinaryPrimitives.ReadInt32LittleEndian(b[(4 * i)..]),
                "U32" => BinaryPrimitives.ReadUInt32LittleEndian(b[(4 * i)..]),
                "I64" => BinaryPrimitives.ReadInt64LittleEndian(b[(8 * i)..]),
                "U64" => BinaryPrimitives.ReadUInt64LittleEndian(b[(8 * i)..]),
                _ => throw new NotSupportedException($"{Name}: converting {DType} to F32 is not supported."),
            };
        }

        return values;
    }

    /// <summary>The values as int64, from an integer or boolean dtype.</summary>
    /// <returns>A new array.</returns>
    /// <exception cref="NotSupportedException">A floating-point dtype (a float count would be truncated silently), or U64 values past <see cref="long.MaxValue"/>.</exception>
    public long[] ToInt64()
    {
        var values = new long[checked((int)ElementCount)];
        ReadOnlySpan<byte> b = Data.Span;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = DType switch
            {
                "I64" => BinaryPrimitives.ReadInt64LittleEndian(b[(8 * i)..]),
                "I32" => BinaryPrimitives.ReadInt32LittleEndian(b[(4 * i)..]),
                "U32" => BinaryPrimitives.ReadUInt32LittleEndian(b[(4 * i)..]),
                "I16" => BinaryPrimitives.ReadInt16LittleEndian(b[(2 * i)..]),
                "U16" => BinaryPrimitives.ReadUInt16LittleEndian(b[(2 * i)..]),
                "I8" => (sbyte)b[i],
                "BOOL" or "U8" => b[i],
                "U64" => FromUInt64(BinaryPrimitives.ReadUInt64LittleEndian(b[(8 * i)..])),
                _ => throw new NotSupportedException($"{Name}: converting {DType} to I64 is not supported (only integer dtypes are)."),
            };
        }

        return values;
    }

    private long FromUInt64(ulong value) =>
        value <= long.MaxValue ? (long)value : throw new NotSupportedException($"{Name}: U64 value {value} does not fit an I64.");

    /// <inheritdoc />
    public override string ToString() => $"{Name} {DType} {Format(shape)}";

    internal static long? ElementCountOf(IReadOnlyList<long> shape)
    {
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0 || (d != 0 && count > long.MaxValue / d))
            {
                return null;
            }

            count *= d;
        }

        return count;
    }

    internal static string Format(IReadOnlyList<long> shape)
    {
        var parts = new string[shape.Count];
        for (int i = 0; i < parts.Length; i++)
        {
            parts[i] = shape[i].ToString(CultureInfo.InvariantCulture);
        }

        return "[" + string.Join(", ", parts) + "]";
    }

    private static long[] Longs(IReadOnlyList<int> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var result = new long[shape.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = shape[i];
        }

        return result;
    }
}
