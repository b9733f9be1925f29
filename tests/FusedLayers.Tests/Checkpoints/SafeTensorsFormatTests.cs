using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using FusedLayers.Checkpoints;

namespace FusedLayers.Tests.Checkpoints;

/// <summary>The safetensors layout written byte by byte, files written the way other writers do, and every malformation.</summary>
public class SafeTensorsFormatTests
{
    [Fact]
    public void The_layout_is_length_json_padding_then_aligned_little_endian_data()
    {
        var file = new SafeTensorsFile(
            [SafeTensor.FromFloat32("w", [3], [1f, -2f, 0.5f]), SafeTensor.FromInt64("n", [], [258])],
            new System.Collections.Generic.Dictionary<string, string> { ["k"] = "v" });
        using var stream = new MemoryStream();
        file.Write(stream);
        byte[] bytes = stream.ToArray();

        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, (8 + n) % 8);
        string json = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.Equal(
            "{\"__metadata__\":{\"k\":\"v\"},\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[8,20]}}",
            json.TrimEnd(' '));
        byte[] data = bytes[(8 + (int)n)..];
        Assert.Equal(20, data.Length);
        Assert.Equal(258L, BinaryPrimitives.ReadInt64LittleEndian(data));
        Assert.Equal(-2f, BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(12)));
    }

    [Fact]
    public void A_file_written_without_padding_in_another_order_reads()
    {
        // The way TorchSharp.PyBridge writes: no padding, no metadata, insertion order.
        byte[] bytes = Build("{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}",
            [.. BitConverter.GetBytes(1.5f), .. BitConverter.GetBytes(2.5f), .. BitConverter.GetBytes(9L)]);
        SafeTensorsFile file = SafeTensorsFile.Parse(bytes);
        Assert.Equal(["b", "a"], file.Tensors.Select(t => t.Name));
        Assert.Empty(file.Metadata);
        Assert.Equal([1.5f, 2.5f], file.Find("b")!.ToFloat32());
        Assert.Equal([9L], file.Find("a")!.ToInt64());
        Assert.Null(file.Find("c"));
    }

    [Fact]
    public void Empty_and_zero_size_tensors_are_legal()
    {
        SafeTensorsFile empty = SafeTensorsFile.Parse(Build("{}", []));
        Assert.Empty(empty.Tensors);
        SafeTensorsFile zero = SafeTensorsFile.Parse(Build("{\"z\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[0,0]}}", []));
        Assert.Empty(zero.Find("z")!.ToFloat32());
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 7, "only 7 after the header: the file is truncated")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 9, "1 trailing bytes")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "needs 8 bytes, but its data_offsets [0, 4] span 4")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "gap in the data buffer: nothing covers [0, 4)")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "overlaps the tensor before it")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4, "the end is before the begin")]
    [InlineData("{\"a\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "unknown dtype 'Q4'")]
    [InlineData("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "has no string 'dtype'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "has no 'shape' array")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "expected a non-negative integer")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, "expected a non-negative integer")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4, "1 values in 'data_offsets', expected 2")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,4]}}", 4, "whose size overflows")]
    [InlineData("{\"a\":[1,2]}", 0, "expected an object with dtype, shape and data_offsets")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "the key 'a' appears twice")]
    [InlineData("{\"__metadata__\":{\"k\":1}}", 0, "entry 'k' is a JSON Number, expected a string")]
    [InlineData("{\"__metadata__\":[]}", 0, "expected an object of strings")]
    [InlineData("{\"a\":", 0, "the header is not valid JSON")]
    [InlineData("[1]", 0, "does not start with '{'")]
    public void Malformed_headers_and_offsets_are_reported(string header, int dataBytes, string expected)
    {
        SafeTensorsFormatException e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Parse(Build(header, new byte[dataBytes]), "bad.safetensors"));
        Assert.StartsWith("'bad.safetensors': ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Broken_length_fields_are_reported()
    {
        Assert.Contains("fewer than the 8-byte header length", Error(new byte[5]), StringComparison.Ordinal);
        byte[] tooLong = Build("{}", []);
        BinaryPrimitives.WriteUInt64LittleEndian(tooLong, 3);
        Assert.Contains("the header length is 3 bytes, but only 2 bytes follow", Error(tooLong), StringComparison.Ordinal);
        BinaryPrimitives.WriteUInt64LittleEndian(tooLong, ulong.MaxValue);
        Assert.Contains("more than the format's limit of 100000000", Error(tooLong), StringComparison.Ordinal);
        byte[] zero = new byte[8];
        Assert.Contains("does not start with '{'", Error(zero), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_truncation_of_a_written_file_is_reported()
    {
        using var stream = new MemoryStream();
        StateDict.Save(new FusedLayers.Tests.Models.LinearBnReluModel(1), stream);
        byte[] bytes = stream.ToArray();
        for (int length = 0; length < bytes.Length; length += length < 300 ? 1 : 101)
        {
            Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Parse(bytes.AsMemory(0, length)));
        }
    }

    [Fact]
    public void Tensors_refuse_inconsistent_sizes_and_names()
    {
        Assert.Throws<ArgumentException>(() => new SafeTensor("a", "F32", [2], new byte[4]));
        Assert.Throws<ArgumentException>(() => new SafeTensor("a", "X", [1], new byte[4]));
        SafeTensor a = SafeTensor.FromFloat32("a", [1], [1f]);
        Assert.Throws<ArgumentException>(() => new SafeTensorsFile([a, a]));
        Assert.Throws<ArgumentException>(() => new SafeTensorsFile([SafeTensor.FromFloat32("__metadata__", [1], [1f])]));
        Assert.Equal("a F32 [1]", a.ToString());
    }

    [Fact]
    public void The_header_is_plain_json_that_a_json_parser_accepts()
    {
        using var stream = new MemoryStream();
        StateDict.Save(new FusedLayers.Tests.Models.TwoBlockCnn(1), stream, new System.Collections.Generic.Dictionary<string, string> { ["note"] = "quote \" and ünïcode" });
        byte[] bytes = stream.ToArray();
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        using JsonDocument doc = JsonDocument.Parse(bytes.AsMemory(8, n));
        Assert.Equal("quote \" and ünïcode", doc.RootElement.GetProperty("__metadata__").GetProperty("note").GetString());
        Assert.Equal(JsonValueKind.Array, doc.RootElement.GetProperty("Fc.weight").GetProperty("shape").ValueKind);
    }

    private static string Error(byte[] bytes) => Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Parse(bytes)).Message;

    private static byte[] Build(string header, byte[] data)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        return bytes;
    }
}
