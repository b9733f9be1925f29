using System;
using FusedLayers.Data;

namespace FusedLayers.Tests.Data;

/// <summary>The vectorised normalisation gives exactly the scalar formula, for every byte and every remainder.</summary>
public class NormalizationTests
{
    [Fact]
    public void Vectorised_and_scalar_agree_bit_for_bit_for_every_length()
    {
        Normalization n = Normalization.Mnist;
        for (int length = 0; length <= 300; length += length < 140 ? 1 : 37)
        {
            var pixels = new byte[length];
            for (int i = 0; i < length; i++)
            {
                pixels[i] = (byte)((i * 73) + 11);
            }

            var output = new float[length + 3];
            output.AsSpan(length).Fill(-99f);
            n.Apply(pixels, output);
            for (int i = 0; i < length; i++)
            {
                Assert.Equal(((pixels[i] / 255f) - 0.1307f) / 0.3081f, output[i]);
            }

            Assert.Equal([-99f, -99f, -99f], output[length..]); // nothing written past the pixels
        }
    }

    [Fact]
    public void None_maps_bytes_to_the_unit_interval()
    {
        Assert.Equal(0f, Normalization.None.Apply(0));
        Assert.Equal(1f, Normalization.None.Apply(255));
        Assert.Equal(128 / 255f, Normalization.None.Apply(128));
    }

    [Fact]
    public void Estimate_gives_the_mean_and_unbiased_standard_deviation()
    {
        byte[] pixels = [0, 255, 0, 255];
        Normalization n = Normalization.Estimate(pixels);
        Assert.Equal(0.5f, n.Mean);
        Assert.Equal((float)Math.Sqrt(4 * 0.25 / 3), n.Std);
        Assert.Throws<ArgumentException>(() => Normalization.Estimate([7, 7, 7]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Normalization(0.5f, 0f));
        Assert.Throws<ArgumentException>(() => n.Apply(pixels, new float[3]));
    }
}
