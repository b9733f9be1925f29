using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace FusedLayers.Tests.Data;

/// <summary>Builds small IDX files in memory (no real data in the tests).</summary>
internal static class IdxTestFiles
{
    /// <summary>An image file: magic 0x00000803, count, rows, columns (big-endian), then the pixels.</summary>
    public static byte[] Images(int count, int rows, int columns, Func<int, byte>? pixel = null)
    {
        var bytes = new byte[16 + (count * rows * columns)];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x00000803);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), columns);
        for (int i = 16; i < bytes.Length; i++)
        {
            bytes[i] = pixel is null ? (byte)((i * 7) % 256) : pixel(i - 16);
        }

        return bytes;
    }

    /// <summary>A label file: magic 0x00000801, count, then one byte per label.</summary>
    public static byte[] Labels(params byte[] labels)
    {
        var bytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x00000801);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), labels.Length);
        labels.CopyTo(bytes, 8);
        return bytes;
    }

    /// <summary>The same bytes gzip-compressed.</summary>
    public static byte[] Gzip(byte[] plain)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(plain);
        }

        return output.ToArray();
    }

    /// <summary>A temporary directory deleted on dispose.</summary>
    public sealed class TempDirectory : IDisposable
    {
        public TempDirectory() => Directory.CreateDirectory(Path);

        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fusedlayers-tests-" + Guid.NewGuid().ToString("N"));

        public string Write(string name, byte[] bytes)
        {
            string path = System.IO.Path.Combine(Path, name);
            File.WriteAllBytes(path, bytes);
            return path;
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
