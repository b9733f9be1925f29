using System;
using System.Buffers.Binary;
using System.IO;
using FusedLayers.Data;

namespace FusedLayers.Tests.Data;

/// <summary>The IDX reader on well-formed files (plain and gzip) and on every kind of broken one.</summary>
public class IdxReaderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Images_and_labels_are_read_plain_or_gzip(bool gzip)
    {
        byte[] images = IdxTestFiles.Images(3, 4, 5);
        byte[] labels = IdxTestFiles.Labels(7, 0, 9);
        using var dir = new IdxTestFiles.TempDirectory();
        string imagesPath = dir.Write("images", gzip ? IdxTestFiles.Gzip(images) : images);
        string labelsPath = dir.Write("labels", gzip ? IdxTestFiles.Gzip(labels) : labels);

        IdxImages read = IdxReader.ReadImages(imagesPath);
        Assert.Equal([3, 1, 4, 5], read.Shape);
        Assert.Equal(20, read.PixelsPerImage);
        Assert.Equal(images.AsSpan(16).ToArray(), read.Pixels);
        Assert.Equal(images.AsSpan(16 + 40, 20).ToArray(), read.Image(2).ToArray());
        Assert.Equal([7, 0, 9], IdxReader.ReadLabels(labelsPath));

        IdxDataset data = IdxDataset.Load(imagesPath, labelsPath);
        Assert.Equal(3, data.Count);
        Assert.Equal(10, data.ClassCount);
        Assert.Equal([1, 4, 5], data.SampleShape);
        Assert.Equal([7, 0, 9], data.Labels);
    }

    [Fact]
    public void Non_seekable_streams_are_read_too()
    {
        byte[] gz = IdxTestFiles.Gzip(IdxTestFiles.Labels(1, 2, 3));
        using var stream = new ForwardOnlyStream(gz);
        Assert.Equal([1, 2, 3], IdxReader.ReadLabels(stream, "pipe"));
    }

    [Fact]
    public void Images_convert_to_a_normalised_tensor()
    {
        byte[] images = IdxTestFiles.Images(2, 3, 3);
        IdxImages read = IdxReader.ReadImages(new MemoryStream(images), "memory");
        Tensor t = read.ToTensor(Normalization.FashionMnist);
        Assert.Equal([2, 1, 3, 3], t.Shape);
        for (int i = 0; i < t.Length; i++)
        {
            Assert.Equal(((images[16 + i] / 255f) - 0.2860f) / 0.3530f, t.Data[i]);
        }
    }

    [Fact]
    public void Wrong_magic_numbers_say_what_the_file_is()
    {
        byte[] labels = IdxTestFiles.Labels(1, 2);
        Assert.Contains("It is an IDX label file: were the image and label files swapped?", ReadImagesError(labels), StringComparison.Ordinal);
        Assert.Contains("magic number 0x00000801, expected 0x00000803", ReadImagesError(labels), StringComparison.Ordinal);
        Assert.Contains("It is an IDX image file", ReadLabelsError(IdxTestFiles.Images(1, 2, 2)), StringComparison.Ordinal);

        byte[] text = "hello, world, this is text"u8.ToArray();
        Assert.Contains("not an IDX file", ReadImagesError(text), StringComparison.Ordinal);

        byte[] floats = IdxTestFiles.Images(1, 2, 2);
        floats[2] = 0x0D; // float elements
        Assert.Contains("element type is 0x0D", ReadImagesError(floats), StringComparison.Ordinal);

        byte[] twoDims = IdxTestFiles.Images(1, 2, 2);
        twoDims[3] = 2;
        Assert.Contains("It has 2 dimensions", ReadImagesError(twoDims), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_truncation_of_the_header_and_the_data_is_reported()
    {
        byte[] images = IdxTestFiles.Images(2, 3, 4);
        for (int length = 0; length < images.Length; length++)
        {
            string message = ReadImagesError(images.AsSpan(0, length).ToArray());
            Assert.Contains("is truncated", message, StringComparison.Ordinal);
            if (length >= 16)
            {
                Assert.Contains($"declares 2 images of 3x4 (24 bytes of data), but only {length - 16} bytes follow the header", message, StringComparison.Ordinal);
            }

            // The same file compressed: the gzip stream ends early, or the data it holds does.
            Assert.Contains("truncated", ReadImagesError(IdxTestFiles.Gzip(images.AsSpan(0, length).ToArray())), StringComparison.Ordinal);
        }

        byte[] labels = IdxTestFiles.Labels(1, 2, 3);
        Assert.Contains("declares 3 labels (3 bytes of data), but only 2 bytes", ReadLabelsError(labels.AsSpan(0, 10).ToArray()), StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_gzip_stream_is_reported()
    {
        byte[] gz = IdxTestFiles.Gzip(IdxTestFiles.Images(50, 10, 10, i => (byte)(i * 31)));
        for (int cut = 2; cut < gz.Length; cut += 97)
        {
            IdxFormatException e = Assert.ThrowsAny<IdxFormatException>(() => IdxReader.ReadImages(new MemoryStream(gz, 0, cut), "cut.gz"));
            Assert.Contains("'cut.gz' (gzip)", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Corrupt_gzip_data_is_reported()
    {
        byte[] gz = IdxTestFiles.Gzip(IdxTestFiles.Images(4, 8, 8));
        gz[10] ^= 0xFF; // first byte of the deflate stream
        gz[11] ^= 0xFF;
        IdxFormatException e = Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(new MemoryStream(gz), "bad.gz"));
        Assert.Contains("bad.gz", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dimensions_that_overflow_are_refused_before_any_large_allocation()
    {
        byte[] huge = IdxTestFiles.Images(1, 2, 2);
        BinaryPrimitives.WriteUInt32BigEndian(huge.AsSpan(4), 0xFFFFFFFF);
        Assert.Contains("images count is 4294967295, more than 2147483647", ReadImagesError(huge), StringComparison.Ordinal);

        byte[] product = IdxTestFiles.Images(1, 2, 2);
        BinaryPrimitives.WriteInt32BigEndian(product.AsSpan(4), 100_000);
        BinaryPrimitives.WriteInt32BigEndian(product.AsSpan(8), 100_000);
        Assert.Contains("more than 2147483591 bytes", ReadImagesError(product), StringComparison.Ordinal);

        // Large but representable: the file is short, and the reader says so without allocating 2 GB.
        byte[] big = IdxTestFiles.Images(1, 2, 2);
        BinaryPrimitives.WriteInt32BigEndian(big.AsSpan(4), 2_000_000);
        BinaryPrimitives.WriteInt32BigEndian(big.AsSpan(8), 1000);
        BinaryPrimitives.WriteInt32BigEndian(big.AsSpan(12), 1);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Contains("truncated", ReadImagesError(IdxTestFiles.Gzip(big)), StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "the reader allocated for the declared size, not the data present");

        byte[] zeroRows = IdxTestFiles.Images(1, 2, 2);
        BinaryPrimitives.WriteInt32BigEndian(zeroRows.AsSpan(8), 0);
        Assert.Contains("images with 0 rows", ReadImagesError(zeroRows), StringComparison.Ordinal);
    }

    [Fact]
    public void Trailing_bytes_mean_a_wrong_count()
    {
        byte[] labels = [.. IdxTestFiles.Labels(1, 2), 3];
        Assert.Contains("has data after the 2 labels its header declares", ReadLabelsError(labels), StringComparison.Ordinal);
        Assert.Contains("has data after", ReadLabelsError(IdxTestFiles.Gzip(labels)), StringComparison.Ordinal);
    }

    [Fact]
    public void Image_and_label_counts_must_match()
    {
        using var dir = new IdxTestFiles.TempDirectory();
        string images = dir.Write("train-images", IdxTestFiles.Images(3, 2, 2));
        string labels = dir.Write("train-labels", IdxTestFiles.Labels(1, 2));
        IdxFormatException e = Assert.Throws<IdxFormatException>(() => IdxDataset.Load(images, labels));
        Assert.Contains("holds 3 images but", e.Message, StringComparison.Ordinal);
        Assert.Contains("holds 2 labels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_sets_are_legal()
    {
        IdxImages images = IdxReader.ReadImages(new MemoryStream(IdxTestFiles.Images(0, 28, 28)), "empty");
        Assert.Equal(0, images.Count);
        Assert.Empty(IdxReader.ReadLabels(new MemoryStream(IdxTestFiles.Labels()), "empty"));
    }

    private static string ReadImagesError(byte[] bytes) =>
        Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(new MemoryStream(bytes), "test-images")).Message;

    private static string ReadLabelsError(byte[] bytes) =>
        Assert.Throws<IdxFormatException>(() => IdxReader.ReadLabels(new MemoryStream(bytes), "test-labels")).Message;

    /// <summary>A stream that cannot seek, like a pipe.</summary>
    private sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream inner = new(bytes);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
