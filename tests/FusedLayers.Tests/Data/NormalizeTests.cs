using System;
using System.Linq;
using FusedLayers.Data;

namespace FusedLayers.Tests.Data;

/// <summary>torchvision Normalize(mean, std): (x - mean[c]) / std[c] per channel, in float32.</summary>
public class NormalizeTests
{
    [Fact]
    public void Each_channel_uses_its_own_mean_and_std()
    {
        // Two channels of 3x3 (long enough for the vector loop and its scalar tail).
        float[] image = Enumerable.Range(0, 18).Select(i => i * 0.1f).ToArray();
        var normalize = new Normalize([0.5f, -1f], [0.25f, 3f]);
        var output = new float[18];
        normalize.Apply(image, [2, 3, 3], output, new SeededRandom(0));
        for (int i = 0; i < 18; i++)
        {
            float expected = i < 9 ? (image[i] - 0.5f) / 0.25f : (image[i] - -1f) / 3f;
            Assert.Equal(expected, output[i]);
        }

        var broadcast = new float[2];
        new Normalize([0.5f], [0.25f]).Apply([0f, 1f], [2, 1, 1], broadcast, new SeededRandom(0));
        Assert.Equal([-2f, 2f], broadcast); // one mean and std for every channel
        Assert.Equal([0.5f, -1f], normalize.Mean);
        Assert.Equal([0.25f, 3f], normalize.Std);
    }

    [Fact]
    public void Invalid_statistics_and_shapes_are_refused()
    {
        Assert.Throws<ArgumentNullException>(() => new Normalize(null!, [1f]));
        Assert.Throws<ArgumentException>(() => new Normalize([], [1f]));
        Assert.Contains("2 means but 3 stds", Assert.Throws<ArgumentException>(() => new Normalize([0f, 0f], [1f, 1f, 1f])).Message, StringComparison.Ordinal);
        Assert.Contains("std[1] is 0", Assert.Throws<ArgumentException>(() => new Normalize([0f, 0f], [1f, 0f])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Normalize([float.NaN], [1f]));
        var normalize = new Normalize([0f, 0f, 0f], [1f, 1f, 1f]);
        Assert.Contains("has 1 channels", Assert.Throws<ArgumentException>(() => normalize.OutputShape([1, 4, 4])).Message, StringComparison.Ordinal);
        Assert.Equal([3, 2, 2], normalize.OutputShape([3, 2, 2]));
    }
}
