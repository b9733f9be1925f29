using System;
using FusedLayers;
using FusedLayers.Data;

namespace BatchNormPaper;

/// <summary>
/// The paper's "small random Gaussian values": every Linear weight is drawn from N(0, std^2) and every Linear
/// bias starts at 0. BatchNorm keeps PyTorch's start (gamma 1, beta 0, running mean 0, running variance 1).
/// The weights come from one <see cref="SeededRandom"/> stream in the order Fc1..Fc4, so the two networks
/// start from the same weight matrices: they differ only in the biases versus BatchNorm.
/// </summary>
internal static class GaussianInitialization
{
    /// <summary>Overwrites the Linear layers' parameters of <paramref name="model"/>.</summary>
    public static void Apply(IFusedModel model, double std, int seed)
    {
        var random = new SeededRandom((ulong)seed);
        foreach (Parameter parameter in model.Parameters)
        {
            if (!parameter.Name.StartsWith("Fc", StringComparison.Ordinal))
            {
                continue;
            }

            if (parameter.Name.EndsWith(".weight", StringComparison.Ordinal))
            {
                Span<float> data = parameter.Data;
                for (int i = 0; i < data.Length; i++)
                {
                    data[i] = (float)(std * StandardNormal(random));
                }
            }
            else
            {
                Array.Clear(parameter.Data);
            }
        }
    }

    /// <summary>One N(0, 1) draw by the Box-Muller transform (one of the pair is used; simple and exact).</summary>
    private static double StandardNormal(SeededRandom random)
    {
        double u1 = 1.0 - random.NextDouble(); // (0, 1]: log is finite
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
