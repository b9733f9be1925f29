using System;

namespace FusedLayers.TorchParity.Tests;

/// <summary>Seeded random float32 test data.</summary>
internal static class TestData
{
    /// <summary>Normal values (Box-Muller) with the given mean and standard deviation.</summary>
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
