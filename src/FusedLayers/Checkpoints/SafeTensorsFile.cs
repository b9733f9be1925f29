using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace FusedLayers.Checkpoints;

/// <summary>
/// A safetensors file in memory: named tensors and optional <c>__metadata__</c> (string to string).
/// </summary>
/// <remarks>
/// The format (huggingface/safetensors) is small enough to write by hand, which this library does rather
/// than take a dependency: 8 bytes of little-endian unsigned header length N, N bytes of UTF-8 JSON
/// <c>{"__metadata__": {...}, "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}</c>,
/// then the data buffer, in which every tensor's raw little-endian bytes sit at <c>[begin, end)</c>.
/// Reading validates what the reference implementation validates: header within the file and at most
/// 100 MB, a JSON object, known dtypes, non-negative shapes, and offsets that tile the data buffer exactly
/// (no gap, overlap or trailing byte), each of <c>product(shape) * element size</c> bytes.
/// Writing pads the header with spaces to a multiple of 8 bytes and stores the tensors with the largest
/// elements first (int64 before float32) so that every tensor is aligned, as the reference writer does.
/// The whole file is held in memory: files up to 2 GB.
/// </remarks>
public sealed class SafeTensorsFile
{
    private readonly SafeTensor[] tensors;
    private readonly Dictionary<string, SafeTensor> byName;

    /// <summary>Creates a file from tensors and metadata.</summary>
    /// <param name="tensors">The tensors; names must be unique and not <c>__metadata__</c>.</param>
    /// <param name="metadata">Optional free-form string metadata.</param>
    /// <exception cref="ArgumentException">A repeated or reserved name.</exception>
    public SafeTensorsFile(IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        this.tensors = [.. tensors];
        byName = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
        foreach (SafeTensor t in this.tensors)
        {
            ArgumentNullException.ThrowIfNull(t, nameof(tensors));
            if (t.Name == SafeTensorsHeader.MetadataKey)
            {
                throw new ArgumentException($"'{SafeTensorsHeader.MetadataKey}' is reserved and cannot name a tensor.", nameof(tensors));
            }

            if (!byName.TryAdd(t.Name, t))
            {
                throw new ArgumentException($"The tensor name '{t.Name}' appears twice.", nameof(tensors));
            }
        }

        Metadata = metadata is null
            ? new Dictionary<string, string>(StringComparer.Ordinal)
            : new Dictionary<string, string>(metadata, StringComparer.Ordinal);
    }

    /// <summary>The tensors, in header order.</summary>
    public IReadOnlyList<SafeTensor> Tensors => tensors;

    /// <summary>The <c>__metadata__</c> entries (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor named <paramref name="name"/>, or null.</summary>
    /// <param name="name">Key.</param>
    public SafeTensor? Find(string name) => byName.GetValueOrDefault(name);

    /// <summary>Reads and validates a file.</summary>
    /// <param name="path">Path.</param>
    /// <returns>The file's contents.</returns>
    /// <exception cref="SafeTensorsFormatException">The file breaks the format.</exception>
    public static SafeTensorsFile Read(string path) => Parse(File.ReadAllBytes(path), path);

    /// <summary>Reads and validates a file from a stream (read to its end, left open).</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="sourceName">Name for messages.</param>
    /// <returns>The contents.</returns>
    /// <exception cref="SafeTensorsFormatException">The data breaks the format.</exception>
    public static SafeTensorsFile Read(Stream stream, string sourceName = "stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Parse(copy.ToArray(), sourceName);
    }

    /// <summary>Parses and validates the bytes of a file; the tensors refer to <paramref name="bytes"/> (not copied).</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="sourceName">Name for messages.</param>
    /// <returns>The contents.</returns>
    /// <exception cref="SafeTensorsFormatException">The data breaks the format.</exception>
    public static SafeTensorsFile Parse(ReadOnlyMemory<byte> bytes, string sourceName = "buffer")
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        (List<SafeTensor> parsed, Dictionary<string, string> metadata) = SafeTensorsHeader.Parse(bytes, sourceName);
        return new SafeTensorsFile(parsed, metadata);
    }

    /// <summary>Writes the file (to a temporary file beside it first, then moved over <paramref name="path"/>).</summary>
    /// <param name="path">Path.</param>
    public void Write(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string temporary = path + ".tmp";
        try
        {
            using (FileStream stream = File.Create(temporary))
            {
                Write(stream);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Writes the file to a stream (left open).</summary>
    /// <param name="stream">The stream.</param>
    public void Write(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);

        // Largest elements first (stable), so that each tensor starts at a multiple of its element size.
        SafeTensor[] ordered = [.. tensors.OrderByDescending(t => SafeTensorsDType.ElementSize(t.DType))];
        byte[] header = SafeTensorsHeader.Build(ordered, Metadata);
        Span<byte> length = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (SafeTensor t in ordered)
        {
            stream.Write(t.Data.Span);
        }
    }
}
