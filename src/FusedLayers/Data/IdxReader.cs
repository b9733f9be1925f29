using System;
using System.Buffers.Binary;
using System.Globalization;
using System.IO;
using System.IO.Compression;

namespace FusedLayers.Data;

/// <summary>
/// Reads the IDX files of MNIST and Fashion-MNIST (Yann LeCun's format): a 4-byte big-endian magic number
/// <c>00 00 08 nd</c> (two zero bytes, type 0x08 = unsigned byte, nd dimensions), nd big-endian 32-bit sizes,
/// then the data. Images are <c>0x00000803</c> (count, rows, columns), labels <c>0x00000801</c> (count).
/// Plain or gzip-compressed, detected by the gzip header <c>1f 8b</c>. Every malformation raises an
/// <see cref="IdxFormatException"/> that names the file and what was expected.
/// </summary>
public static class IdxReader
{
    /// <summary>Magic number of an image file: unsigned bytes, 3 dimensions.</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of a label file: unsigned bytes, 1 dimension.</summary>
    public const int LabelsMagic = 0x00000801;

    private const int ChunkBytes = 1 << 20;

    /// <summary>Reads an image file.</summary>
    /// <param name="path">Path of a plain or gzip IDX image file.</param>
    /// <returns>The images.</returns>
    /// <exception cref="IdxFormatException">The file is malformed.</exception>
    public static IdxImages ReadImages(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return ReadImages(stream, path);
    }

    /// <summary>Reads an image file from a stream (left open).</summary>
    /// <param name="stream">The stream, plain or gzip.</param>
    /// <param name="sourceName">Name for messages (a path).</param>
    /// <returns>The images.</returns>
    /// <exception cref="IdxFormatException">The data is malformed.</exception>
    public static IdxImages ReadImages(Stream stream, string sourceName)
    {
        int[] dims = [];
        byte[] pixels = Read(stream, sourceName, ImagesMagic, ["images", "rows", "columns"], d => dims = d);
        return new IdxImages(pixels, dims[0], dims[1], dims[2]);
    }

    /// <summary>Reads a label file.</summary>
    /// <param name="path">Path of a plain or gzip IDX label file.</param>
    /// <returns>One byte per label.</returns>
    /// <exception cref="IdxFormatException">The file is malformed.</exception>
    public static byte[] ReadLabels(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return ReadLabels(stream, path);
    }

    /// <summary>Reads a label file from a stream (left open).</summary>
    /// <param name="stream">The stream, plain or gzip.</param>
    /// <param name="sourceName">Name for messages (a path).</param>
    /// <returns>One byte per label.</returns>
    /// <exception cref="IdxFormatException">The data is malformed.</exception>
    public static byte[] ReadLabels(Stream stream, string sourceName) => Read(stream, sourceName, LabelsMagic, ["labels"], _ => { });

    private static byte[] Read(Stream stream, string source, int magic, string[] dimNames, Action<int[]> onDims)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(source);
        Stream input = Decompressed(stream, source, out bool gzip);
        try
        {
            string what = gzip ? $"'{source}' (gzip)" : $"'{source}'";
            int headerBytes = 4 + (4 * dimNames.Length);
            Span<byte> header = stackalloc byte[16];
            header = header[..headerBytes];
            int got = ReadFully(input, header[..4], what);
            if (got < 4)
            {
                throw new IdxFormatException($"{what} is truncated: it ends after {got} bytes, inside the 4-byte IDX magic number.");
            }

            int found = BinaryPrimitives.ReadInt32BigEndian(header);
            if (found != magic)
            {
                throw new IdxFormatException(WrongMagic(what, found, magic));
            }

            got = 4 + ReadFully(input, header[4..], what);
            if (got < headerBytes)
            {
                throw new IdxFormatException($"{what} is truncated: it ends after {got} bytes, inside the {headerBytes}-byte header.");
            }

            var dims = new int[dimNames.Length];
            long total = 1;
            for (int d = 0; d < dims.Length; d++)
            {
                uint size = BinaryPrimitives.ReadUInt32BigEndian(header[(4 + (4 * d))..]);
                if (size > int.MaxValue)
                {
                    throw new IdxFormatException(string.Create(
                        CultureInfo.InvariantCulture,
                        $"{what}: the header's {dimNames[d]} count is {size}, more than {int.MaxValue}: the header is corrupt."));
                }

                if (d > 0 && size == 0)
                {
                    throw new IdxFormatException($"{what}: the header declares images with 0 {dimNames[d]}.");
                }

                dims[d] = (int)size;
                total *= size;
                if (total > Array.MaxLength)
                {
                    throw new IdxFormatException(string.Create(
                        CultureInfo.InvariantCulture,
                        $"{what}: the header declares {Describe(dimNames, header[4..], d + 1)}, more than {Array.MaxLength} bytes (the largest .NET array): the header is corrupt."));
                }
            }

            onDims(dims);
            string declared = Describe(dimNames, header[4..], dims.Length);
            byte[] data = ReadPayload(input, (int)total, what, declared);
            Span<byte> probe = stackalloc byte[1];
            if (ReadFully(input, probe, what) != 0)
            {
                throw new IdxFormatException(
                    $"{what} has data after the {declared} its header declares: is the count in the header wrong?");
            }

            return data;
        }
        finally
        {
            if (!ReferenceEquals(input, stream))
            {
                input.Dispose();
            }
        }
    }

    private static Stream Decompressed(Stream stream, string source, out bool gzip)
    {
        Stream seekable = stream;
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            seekable = copy;
        }

        long start = seekable.Position;
        Span<byte> magic = stackalloc byte[2];
        int got = seekable.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        seekable.Position = start;
        gzip = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        if (!gzip)
        {
            return seekable;
        }

        return new GZipStream(seekable, CompressionMode.Decompress, leaveOpen: ReferenceEquals(seekable, stream));
    }

    private static int ReadFully(Stream input, Span<byte> buffer, string what)
    {
        try
        {
            return input.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new IdxFormatException($"{what} is not a valid gzip stream: {e.Message}", e);
        }
    }

    /// <summary>Reads <paramref name="length"/> bytes, growing the buffer as data arrives, so that a corrupt count in a short file does not allocate gigabytes.</summary>
    private static byte[] ReadPayload(Stream input, int length, string what, string declared)
    {
        if (input.CanSeek && input.Length - input.Position < length)
        {
            throw Truncated(what, declared, length, input.Length - input.Position);
        }

        byte[] data = new byte[Math.Min(length, ChunkBytes)];
        int filled = 0;
        while (true)
        {
            int got = ReadFully(input, data.AsSpan(filled), what);
            filled += got;
            if (filled < data.Length)
            {
                throw Truncated(what, declared, length, filled);
            }

            if (filled == length)
            {
                return data;
            }

            Array.Resize(ref data, (int)Math.Min(length, 2L * data.Length));
        }
    }

    private static IdxFormatException Truncated(string what, string declared, long expected, long found) =>
        new(string.Create(
            CultureInfo.InvariantCulture,
            $"{what} is truncated: the header declares {declared} ({expected} bytes of data), but only {found} bytes follow the header."));

    private static string Describe(string[] names, ReadOnlySpan<byte> dims, int count)
    {
        uint n = BinaryPrimitives.ReadUInt32BigEndian(dims);
        if (names.Length == 1 || count == 1)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{n} {names[0]}");
        }

        uint rows = BinaryPrimitives.ReadUInt32BigEndian(dims[4..]);
        return count == 2
            ? string.Create(CultureInfo.InvariantCulture, $"{n} {names[0]} of {rows} rows")
            : string.Create(CultureInfo.InvariantCulture, $"{n} {names[0]} of {rows}x{BinaryPrimitives.ReadUInt32BigEndian(dims[8..])}");
    }

    private static string WrongMagic(string what, int found, int expected)
    {
        string kind = expected == ImagesMagic ? "image" : "label";
        string layout = expected == ImagesMagic ? "unsigned bytes, 3 dimensions: images, rows, columns" : "unsigned bytes, 1 dimension: labels";
        string hint = found switch
        {
            ImagesMagic => " It is an IDX image file: were the image and label files swapped?",
            LabelsMagic => " It is an IDX label file: were the image and label files swapped?",
            _ when (found & unchecked((int)0xFFFF0000)) != 0 => " An IDX file starts with two zero bytes: this is not an IDX file (nor gzip).",
            _ when ((found >> 8) & 0xFF) != 0x08 => string.Create(CultureInfo.InvariantCulture, $" Its element type is 0x{(found >> 8) & 0xFF:X2}, only 0x08 (unsigned byte) is supported."),
            _ => string.Create(CultureInfo.InvariantCulture, $" It has {found & 0xFF} dimensions."),
        };
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{what} is not an IDX {kind} file: magic number 0x{found:X8}, expected 0x{expected:X8} ({layout}).{hint}");
    }
}
