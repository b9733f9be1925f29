using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace FusedLayers.Onnx.Protobuf;

/// <summary>
/// A minimal protocol-buffers encoder (the wire format only: varints, 32-bit floats, length-delimited fields),
/// enough for the messages of an ONNX model. A nested message is written to its own writer and copied in with
/// its length, which keeps the encoder free of a size pass; field numbers live with the callers.
/// </summary>
internal sealed class ProtoWriter
{
    private const int WireVarint = 0;
    private const int WireLengthDelimited = 2;
    private const int WireFixed32 = 5;

    private byte[] buffer = new byte[256];
    private int length;

    /// <summary>Bytes written so far.</summary>
    public int Length => length;

    /// <summary>An <c>int64</c>/<c>int32</c>/enum field (two's complement varint, as protobuf encodes negatives).</summary>
    public void Int64(int field, long value)
    {
        Tag(field, WireVarint);
        Varint(unchecked((ulong)value));
    }

    /// <summary>A <c>float</c> field.</summary>
    public void Float(int field, float value)
    {
        Tag(field, WireFixed32);
        BinaryPrimitives.WriteSingleLittleEndian(Reserve(4), value);
    }

    /// <summary>A <c>string</c> field (UTF-8).</summary>
    public void String(int field, string value)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(value);
        Bytes(field, utf8);
    }

    /// <summary>A <c>bytes</c> field.</summary>
    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, WireLengthDelimited);
        Varint((ulong)value.Length);
        value.CopyTo(Reserve(value.Length));
    }

    /// <summary>A packed <c>repeated int64</c> field.</summary>
    public void PackedInt64(int field, ReadOnlySpan<long> values)
    {
        var packed = new ProtoWriter();
        foreach (long value in values)
        {
            packed.Varint(unchecked((ulong)value));
        }

        Bytes(field, packed.Written);
    }

    /// <summary>A <c>bytes</c> field holding <paramref name="values"/> as little-endian IEEE 754 floats (ONNX's <c>raw_data</c>).</summary>
    public void RawFloats(int field, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            Bytes(field, MemoryMarshal.AsBytes(values));
            return;
        }

        Tag(field, WireLengthDelimited);
        Varint((ulong)values.Length * 4);
        Span<byte> target = Reserve(values.Length * 4);
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(target.Slice(i * 4, 4), values[i]);
        }
    }

    /// <summary>An embedded message, written by <paramref name="write"/>.</summary>
    public void Message(int field, Action<ProtoWriter> write)
    {
        var inner = new ProtoWriter();
        write(inner);
        Bytes(field, inner.Written);
    }

    /// <summary>The bytes written.</summary>
    public ReadOnlySpan<byte> Written => buffer.AsSpan(0, length);

    /// <summary>Copies the bytes written to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream) => stream.Write(buffer, 0, length);

    private void Tag(int field, int wireType) => Varint(((ulong)field << 3) | (uint)wireType);

    private void Varint(ulong value)
    {
        Span<byte> target = Reserve(10);
        int used = 0;
        while (value >= 0x80)
        {
            target[used++] = (byte)(value | 0x80);
            value >>= 7;
        }

        target[used++] = (byte)value;
        length -= 10 - used;
    }

    private Span<byte> Reserve(int count)
    {
        if (length + count > buffer.Length)
        {
            Array.Resize(ref buffer, Math.Max(buffer.Length * 2, length + count));
        }

        Span<byte> span = buffer.AsSpan(length, count);
        length += count;
        return span;
    }
}
