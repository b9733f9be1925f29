using System;
using System.Linq;
using FusedLayers.Data;

namespace FusedLayers.Tests.Data;

/// <summary>torchvision RandomHorizontalFlip(p): mirrored rows when rand() &lt; p, one draw per sample.</summary>
public class RandomHorizontalFlipTests
{
    // Two channels of 2x3.
    private static readonly float[] Image = [1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60];

    [Fact]
    public void Rows_are_mirrored_when_the_draw_is_below_p()
    {
        var output = new float[12];
        new RandomHorizontalFlip(p: 1).Apply(Image, [2, 2, 3], output, new SeededRandom(0));
        Assert.Equal([3, 2, 1, 6, 5, 4, 30, 20, 10, 60, 50, 40], output);
        new RandomHorizontalFlip(p: 0).Apply(Image, [2, 2, 3], output, new SeededRandom(0));
        Assert.Equal(Image, output);

        // The decision is NextDouble() < p, from the generator given.
        for (ulong seed = 0; seed < 20; seed++)
        {
            bool flips = new SeededRandom(seed).NextDouble() < 0.5;
            var random = new SeededRandom(seed);
            new RandomHorizontalFlip().Apply(Image, [2, 2, 3], output, random);
            Assert.Equal(flips ? [3, 2, 1, 6, 5, 4, 30, 20, 10, 60, 50, 40] : Image, output);
            var after = new SeededRandom(seed);
            after.NextUInt64();
            Assert.Equal(after.NextUInt64(), random.NextUInt64()); // one draw
        }
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.25)]
    public void About_a_fraction_p_of_the_samples_is_flipped(double p)
    {
        var flip = new RandomHorizontalFlip(p);
        var random = new SeededRandom(99);
        var output = new float[2];
        int flipped = 0;
        const int Draws = 20_000;
        for (int i = 0; i < Draws; i++)
        {
            flip.Apply([1f, 2f], [1, 1, 2], output, random);
            flipped += output[0] == 2f ? 1 : 0;
        }

        // Binomial: sd = sqrt(n p (1 - p)) <= 71; allow 5 sd.
        Assert.InRange(flipped, (Draws * p) - 355, (Draws * p) + 355);
    }

    [Fact]
    public void Invalid_arguments_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomHorizontalFlip(1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomHorizontalFlip(double.NaN));
        Assert.Throws<ArgumentException>(() => new RandomHorizontalFlip().OutputShape([2, 3]));
        var output = Enumerable.Repeat(-1f, 11).ToArray();
        Assert.Throws<ArgumentException>(() => new RandomHorizontalFlip().Apply(Image, [2, 2, 3], output, new SeededRandom(0)));
        Assert.All(output, v => Assert.Equal(-1f, v));
    }
}
