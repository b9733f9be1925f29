using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;

namespace FusedLayers.Checkpoints;

/// <summary>The JSON header of a safetensors file: parsing with validation, and building.</summary>
internal static class SafeTensorsHeader
{
    /// <summary>Reserved key of the free-form metadata.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The reference implementation's limit on the header size.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Parses and validates a whole file.</summary>
    public static (List<SafeTensor> Tensors, Dictionary<string, string> Metadata) Parse(ReadOnlyMemory<byte> file, string source)
    {
        if (file.Length < 8)
        {
            throw Error(source, $"the file has {file.Length} bytes, fewer than the 8-byte header length.");
        }

        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file.Span);
        if (n > MaxHeaderBytes)
        {
            throw Error(source, $"the header length is {n} bytes, more than the format's limit of {MaxHeaderBytes}.");
        }

        if (8 + (long)n > file.Length)
        {
            throw Error(source, $"the header length is {n} bytes, but only {file.Length - 8} bytes follow the length field: the file is truncated.");
        }

        ReadOnlyMemory<byte> json = file.Slice(8, (int)n);
        ReadOnlyMemory<byte> data = file[(8 + (int)n)..];
        if (n == 0 || json.Span[0] != (byte)'{')
        {
            throw Error(source, "the header does not start with '{': not a safetensors file, or a wrong header length.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new SafeTensorsFormatException($"'{source}': the header is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            return ParseEntries(document.RootElement, data, source);
        }
    }

    /// <summary>Builds the header bytes for <paramref name="tensors"/> stored in this order, padded with spaces to a multiple of 8.</summary>
    public static byte[] Build(IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (metadata.Count > 0)
            {
                writer.WriteStartObject(MetadataKey);
                foreach (KeyValuePair<string, string> entry in metadata)
                {
                    writer.WriteString(entry.Key, entry.Value);
                }

                writer.WriteEndObject();
            }

            long offset = 0;
            foreach (SafeTensor t in tensors)
            {
                writer.WriteStartObject(t.Name);
                writer.WriteString("dtype", t.DType);
                writer.WriteStartArray("shape");
                foreach (long d in t.Shape)
                {
                    writer.WriteNumberValue(d);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                offset += t.Data.Length;
                writer.WriteNumberValue(offset);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static (List<SafeTensor>, Dictionary<string, string>) ParseEntries(JsonElement root, ReadOnlyMemory<byte> data, string source)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Error(source, $"the header is a JSON {root.ValueKind}, expected an object.");
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var entries = new List<(string Name, string DType, long[] Shape, long Begin, long End)>();
        foreach (JsonProperty property in root.EnumerateObject())
        {
            if (!names.Add(property.Name))
            {
                throw Error(source, $"the key '{property.Name}' appears twice in the header.");
            }

            if (property.Name == MetadataKey)
            {
                ReadMetadata(property.Value, metadata, source);
                continue;
            }

            entries.Add(ReadEntry(property, source));
        }

        // The offsets must tile [0, data.Length) exactly: sorted by begin, each starts where the last ended.
        var byOffset = new List<(string Name, string DType, long[] Shape, long Begin, long End)>(entries);
        byOffset.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        foreach ((string name, _, _, long begin, long end) in byOffset)
        {
            if (begin != expected)
            {
                throw Error(source, begin < expected
                    ? $"the data of '{name}' at [{begin}, {end}) overlaps the tensor before it (which ends at {expected})."
                    : $"there is a gap in the data buffer: nothing covers [{expected}, {begin}) before '{name}'.");
            }

            expected = end;
        }

        if (expected != data.Length)
        {
            throw Error(source, expected > data.Length
                ? $"the tensors need {expected} bytes of data, but the file has only {data.Length} after the header: the file is truncated."
                : $"the tensors cover {expected} bytes of data, but the file has {data.Length} after the header: {data.Length - expected} trailing bytes.");
        }

        var tensors = new List<SafeTensor>(entries.Count);
        foreach ((string name, string dtype, long[] shape, long begin, long end) in entries)
        {
            tensors.Add(new SafeTensor(name, dtype, shape, data[(int)begin..(int)end]));
        }

        return (tensors, metadata);
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Error(source, $"'{MetadataKey}' is a JSON {value.ValueKind}, expected an object of strings.");
        }

        foreach (JsonProperty entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                throw Error(source, $"'{MetadataKey}' entry '{entry.Name}' is a JSON {entry.Value.ValueKind}, expected a string.");
            }

            metadata[entry.Name] = entry.Value.GetString()!;
        }
    }

    private static (string, string, long[], long, long) ReadEntry(JsonProperty property, string source)
    {
        string name = property.Name;
        JsonElement value = property.Value;
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Error(source, $"the entry '{name}' is a JSON {value.ValueKind}, expected an object with dtype, shape and data_offsets.");
        }

        if (!value.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw Error(source, $"the entry '{name}' has no string 'dtype'.");
        }

        string dtype = dtypeElement.GetString()!;
        int size = SafeTensorsDType.ElementSize(dtype);
        if (size == 0)
        {
            throw Error(source, $"the entry '{name}' has the unknown dtype '{dtype}'.");
        }

        long[] shape = ReadIntegers(value, "shape", name, source, count: -1);
        long[] offsets = ReadIntegers(value, "data_offsets", name, source, count: 2);
        if (offsets[1] < offsets[0])
        {
            throw Error(source, $"the entry '{name}' has data_offsets [{offsets[0]}, {offsets[1]}]: the end is before the begin.");
        }

        long? elements = SafeTensor.ElementCountOf(shape);
        if (elements is null || elements.Value > long.MaxValue / size)
        {
            throw Error(source, $"the entry '{name}' has a shape {SafeTensor.Format(shape)} whose size overflows.");
        }

        long bytes = elements.Value * size;
        if (offsets[1] - offsets[0] != bytes)
        {
            throw Error(source, string.Create(
                CultureInfo.InvariantCulture,
                $"the entry '{name}' ({dtype} {SafeTensor.Format(shape)}) needs {bytes} bytes, but its data_offsets [{offsets[0]}, {offsets[1]}] span {offsets[1] - offsets[0]}."));
        }

        return (name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] ReadIntegers(JsonElement entry, string field, string name, string source, int count)
    {
        if (!entry.TryGetProperty(field, out JsonElement array) || array.ValueKind != JsonValueKind.Array)
        {
            throw Error(source, $"the entry '{name}' has no '{field}' array.");
        }

        int length = array.GetArrayLength();
        if (count >= 0 && length != count)
        {
            throw Error(source, $"the entry '{name}' has {length} values in '{field}', expected {count}.");
        }

        var values = new long[length];
        int i = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long v) || v < 0)
            {
                throw Error(source, $"the entry '{name}' has '{field}' value {item.GetRawText()}, expected a non-negative integer.");
            }

            values[i++] = v;
        }

        return values;
    }

    private static SafeTensorsFormatException Error(string source, string message) => new($"'{source}': {message}");
}
