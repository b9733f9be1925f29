using System;

namespace FusedLayers;

/// <summary>PyTorch's default initialisations, drawn from a seeded <see cref="Random"/>.</summary>
internal static class ParameterInitializer
{
    /// <summary>
    /// <c>kaiming_uniform_(weight, a=sqrt(5))</c>: gain <c>sqrt(2/(1+5))</c>, so the bound is
    /// <c>gain * sqrt(3 / fan_in) = 1/sqrt(fan_in)</c>; the bias uses the same bound, as in
    /// <c>nn.Conv2d.reset_parameters</c> and <c>nn.Linear.reset_parameters</c>.
    /// </summary>
    public static void KaimingUniform(Parameter weight, Parameter? bias, int fanIn, int seed)
    {
        var random = new Random(seed);
        double bound = 1.0 / Math.Sqrt(fanIn);
        Fill(weight.Data, random, bound);
        if (bias is not null)
        {
            Fill(bias.Data, random, bound);
        }
    }

    private static void Fill(float[] values, Random random, double bound)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(((random.NextDouble() * 2.0) - 1.0) * bound);
        }
    }
}
