using System;
using System.Collections.Generic;

namespace FusedLayers.Tests.Checkpoints;

/// <summary>A deep copy of a model's parameters and buffers, for before/after comparisons.</summary>
internal sealed class ModelState
{
    private readonly Dictionary<string, float[]> floats = [];
    private readonly Dictionary<string, long[]> integers = [];

    public ModelState(IFusedModel model)
    {
        foreach (Parameter p in model.Parameters)
        {
            floats[p.Name] = (float[])p.Data.Clone();
        }

        foreach (Buffer b in model.Buffers)
        {
            if (b.ElementType == BufferElementType.Int64)
            {
                integers[b.Name] = (long[])b.Int64Data.Clone();
            }
            else
            {
                floats[b.Name] = (float[])b.FloatData.Clone();
            }
        }
    }

    /// <summary>Asserts that <paramref name="model"/> holds exactly this state, bit for bit.</summary>
    public void AssertEqual(IFusedModel model)
    {
        foreach (Parameter p in model.Parameters)
        {
            Assert.True(floats[p.Name].AsSpan().SequenceEqual(p.Data), $"{p.Name} differs");
        }

        foreach (Buffer b in model.Buffers)
        {
            bool same = b.ElementType == BufferElementType.Int64
                ? integers[b.Name].AsSpan().SequenceEqual(b.Int64Data)
                : floats[b.Name].AsSpan().SequenceEqual(b.FloatData);
            Assert.True(same, $"{b.Name} differs");
        }
    }

    /// <summary>A model after a few training steps with SGD, so that every parameter and buffer is off its initial value.</summary>
    public static T Trained<T>(T model, int seed, int steps = 2)
        where T : IFusedModel
    {
        var random = new Random(seed);
        var sgd = new FusedLayers.Training.Sgd(model.Parameters, 0.05, momentum: 0.9);
        model.Train();
        for (int step = 0; step < steps; step++)
        {
            float[] input = Numerics.RandomData.Normal(random, 4 * model.InputLength, 0.5, 2.0);
            var output = new float[4 * model.OutputLength];
            model.Forward(input, output);
            model.ZeroGrad();
            model.Backward(Numerics.RandomData.Normal(random, output.Length));
            sgd.Step();
        }

        return model;
    }
}
