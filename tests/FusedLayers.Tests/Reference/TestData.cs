using System;
using FusedLayers.Reference;

namespace FusedLayers.Tests.Reference;

/// <summary>Seeded random data for the reference tests.</summary>
internal static class TestData
{
    /// <summary>Values uniform in <c>[lo, hi)</c>.</summary>
    public static double[] Uniform(Random random, int count, double lo = -1.0, double hi = 1.0)
    {
        var values = new double[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = lo + ((hi - lo) * random.NextDouble());
        }

        return values;
    }

    /// <summary>A tensor with values uniform in <c>[-1, 1)</c>.</summary>
    public static ReferenceTensor Tensor(Random random, params int[] shape)
    {
        var tensor = new ReferenceTensor(shape);
        Uniform(random, tensor.Length).CopyTo(tensor.Data, 0);
        return tensor;
    }

    /// <summary>A tensor whose values have magnitude in <c>[0.1, 1)</c> and random sign (away from ReLU's kink).</summary>
    public static ReferenceTensor AwayFromZero(Random random, params int[] shape)
    {
        var tensor = new ReferenceTensor(shape);
        for (int i = 0; i < tensor.Length; i++)
        {
            double magnitude = 0.1 + (0.9 * random.NextDouble());
            tensor.Data[i] = random.Next(2) == 0 ? -magnitude : magnitude;
        }

        return tensor;
    }

    /// <summary>Normally distributed values (Box-Muller).</summary>
    public static double Normal(Random random, double mean, double std)
    {
        double u1 = 1.0 - random.NextDouble(); // in (0, 1]
        double u2 = random.NextDouble();
        return mean + (std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }

    /// <summary>Fills a parameter with values uniform in <c>[lo, hi)</c>.</summary>
    public static void Fill(ReferenceParameter? parameter, Random random, double lo = -1.0, double hi = 1.0)
    {
        if (parameter is not null)
        {
            parameter.CopyFrom(Uniform(random, parameter.Length, lo, hi));
        }
    }
}
