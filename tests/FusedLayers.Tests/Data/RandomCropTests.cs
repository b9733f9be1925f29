using System;
using System.Linq;
using FusedLayers.Data;

namespace FusedLayers.Tests.Data;

/// <summary>torchvision RandomCrop(size, padding): exact windows of the zero-padded image, uniform positions, seeded draws.</summary>
public class RandomCropTests
{
    // One channel, 3x3: 1 2 3 / 4 5 6 / 7 8 9.
    private static readonly float[] Image = [1, 2, 3, 4, 5, 6, 7, 8, 9];

    [Fact]
    public void A_window_of_the_zero_padded_image_is_cut_at_the_drawn_position()
    {
        // Padded with 1: a 5x5 image with the 3x3 in the middle; top/left index into it.
        var output = new float[9];
        RandomCrop.Crop(Image, [1, 3, 3], padding: 1, top: 0, left: 0, size: 3, output);
        Assert.Equal([0, 0, 0, 0, 1, 2, 0, 4, 5], output);
        RandomCrop.Crop(Image, [1, 3, 3], padding: 1, top: 2, left: 1, size: 3, output);
        Assert.Equal([4, 5, 6, 7, 8, 9, 0, 0, 0], output);
        RandomCrop.Crop(Image, [1, 3, 3], padding: 1, top: 1, left: 2, size: 3, output);
        Assert.Equal([2, 3, 0, 5, 6, 0, 8, 9, 0], output);
        RandomCrop.Crop(Image, [1, 3, 3], padding: 1, top: 1, left: 1, size: 3, output);
        Assert.Equal(Image, output);

        // A 2x2 crop entirely in the padding, and a two-channel image (every channel at the same position).
        var small = new float[4];
        RandomCrop.Crop(Image, [1, 3, 3], padding: 2, top: 0, left: 5, size: 2, small);
        Assert.Equal([0, 0, 0, 0], small);
        float[] two = [.. Image, .. Image.Select(v => -v)];
        var both = new float[8];
        RandomCrop.Crop(two, [2, 3, 3], padding: 0, top: 1, left: 0, size: 2, both);
        Assert.Equal([4, 5, 7, 8, -4, -5, -7, -8], both);
    }

    [Fact]
    public void Apply_draws_the_top_row_then_the_left_column_like_get_params()
    {
        var crop = new RandomCrop(3, padding: 1);
        Assert.Equal([1, 3, 3], crop.OutputShape([1, 3, 3]));
        for (ulong seed = 0; seed < 20; seed++)
        {
            var draws = new SeededRandom(seed);
            int top = draws.NextInt(3);
            int left = draws.NextInt(3);
            var expected = new float[9];
            RandomCrop.Crop(Image, [1, 3, 3], 1, top, left, 3, expected);

            var random = new SeededRandom(seed);
            var output = new float[9];
            crop.Apply(Image, [1, 3, 3], output, random);
            Assert.Equal(expected, output);
            Assert.Equal(draws.NextUInt64(), random.NextUInt64()); // exactly two draws
        }
    }

    [Fact]
    public void Nothing_is_drawn_when_the_padded_image_is_the_crop_size()
    {
        var random = new SeededRandom(5);
        var output = new float[25];
        new RandomCrop(5, padding: 1).Apply(Image, [1, 3, 3], output, random);
        Assert.Equal(new SeededRandom(5).NextUInt64(), random.NextUInt64());
        Assert.Equal([0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 4, 5, 6, 0, 0, 7, 8, 9, 0, 0, 0, 0, 0, 0], output);
    }

    [Fact]
    public void Every_position_is_about_equally_likely()
    {
        // A 5x5 image of distinct values cropped to 1x1 (padding 1: 7x7 positions): the value identifies the position.
        float[] image = Enumerable.Range(1, 25).Select(v => (float)v).ToArray();
        var crop = new RandomCrop(1, padding: 1);
        var random = new SeededRandom(123);
        var counts = new int[26];
        var output = new float[1];
        const int Draws = 49_000;
        for (int i = 0; i < Draws; i++)
        {
            crop.Apply(image, [1, 5, 5], output, random);
            counts[(int)output[0]]++;
        }

        // 24 of the 49 positions are padding (value 0); each of the 25 image pixels has p = 1/49 (1000 expected, sd ~31).
        Assert.InRange(counts[0], 24_000 - 500, 24_000 + 500);
        Assert.All(counts.Skip(1), c => Assert.InRange(c, 850, 1150));
    }

    [Fact]
    public void Invalid_sizes_and_lengths_are_refused_before_anything_is_written()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomCrop(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomCrop(3, -1));
        var crop = new RandomCrop(6, padding: 1);
        var e = Assert.Throws<ArgumentException>(() => crop.OutputShape([1, 3, 3]));
        Assert.Contains("Required crop size (6, 6) is larger than the padded input image size (5, 5)", e.Message, StringComparison.Ordinal);
        Assert.Contains("takes images [C, H, W]", Assert.Throws<ArgumentException>(() => crop.OutputShape([9])).Message, StringComparison.Ordinal);

        var output = Enumerable.Repeat(-7f, 9).ToArray();
        var random = new SeededRandom(1);
        Assert.Throws<ArgumentException>(() => new RandomCrop(3, 1).Apply(Image.AsSpan(1), [1, 3, 3], output, random));
        Assert.Throws<ArgumentException>(() => new RandomCrop(3, 1).Apply(Image, [1, 3, 3], output.AsSpan(1), random));
        Assert.All(output, v => Assert.Equal(-7f, v));
        Assert.Equal(new SeededRandom(1).NextUInt64(), random.NextUInt64()); // nothing drawn
    }
}
