using System;
using System.Linq;

namespace FusedLayers.Tests.Execution;

/// <summary>A bit-exact copy of a model's parameters, gradients and buffers, to compare before and after a call.</summary>
internal sealed class ModelStateSnapshot
{
    private readonly float[][] data;
    private readonly float[][] grads;
    private readonly float[][] floatBuffers;
    private readonly long[][] intBuffers;

    public ModelStateSnapshot(IFusedModel model)
    {
        data = model.Parameters.Select(p => p.Data.ToArray()).ToArray();
        grads = model.Parameters.Select(p => p.Grad.ToArray()).ToArray();
        floatBuffers = model.Buffers.Select(b => b.FloatData?.ToArray() ?? []).ToArray();
        intBuffers = model.Buffers.Select(b => b.Int64Data?.ToArray() ?? []).ToArray();
    }

    /// <summary>Fails with the name of the first tensor that differs in any bit.</summary>
    public void AssertSameAs(ModelStateSnapshot other, string when)
    {
        for (int i = 0; i < data.Length; i++)
        {
            AssertBits(data[i], other.data[i], $"parameter {i} {when}");
            AssertBits(grads[i], other.grads[i], $"gradient {i} {when}");
        }

        for (int i = 0; i < floatBuffers.Length; i++)
        {
            AssertBits(floatBuffers[i], other.floatBuffers[i], $"buffer {i} {when}");
            Assert.True(intBuffers[i].AsSpan().SequenceEqual(other.intBuffers[i]), $"buffer {i} {when}");
        }
    }

    public static void AssertBits(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int j = 0; j < expected.Length; j++)
        {
            if (BitConverter.SingleToInt32Bits(expected[j]) != BitConverter.SingleToInt32Bits(actual[j]))
            {
                Assert.Fail($"{what}: element {j} is {actual[j]:R}, expected {expected[j]:R}");
            }
        }
    }
}
