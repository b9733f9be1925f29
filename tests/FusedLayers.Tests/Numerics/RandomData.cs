using System;

namespace FusedLayers.Tests.Numerics;

/// <summary>Seeded random test data.</summary>
public static class RandomData
{
    /// <summary>Uniform values in [-1, 1) times <paramref name="scale"/>, plus <paramref name="offset"/>.</summary>
    public static float[] Uniform(Random random, int length, double scale = 1.0, double offset = 0.0)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)((((random.NextDouble() * 2) - 1) * scale) + offset);
        }

        return values;
    }

    /// <summary>Standard normal values (Box-Muller) times <paramref name="std"/> plus <paramref name="mean"/>.</summary>
    public static float[] Normal(Random random, int length, double mean = 0.0, double std = 1.0)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            double u1 = 1.0 - random.NextDouble();
            double u2 = random.NextDouble();
            values[i] = (float)(mean + (std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2)));
        }

        return values;
    }
}
