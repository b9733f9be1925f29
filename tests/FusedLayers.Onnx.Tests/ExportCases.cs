using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using FusedLayers.Tests.Models;

namespace FusedLayers.Onnx.Tests;

/// <summary>
/// The models under test: every generated model of FusedLayers.TestModels (the numeric suite's models, found by
/// reflection so a new one is covered without listing it), created from a seed, with non-trivial state.
/// </summary>
internal static class ExportCases
{
    /// <summary>Model type names, for <c>[MemberData]</c>.</summary>
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (Type type in ModelTypes())
        {
            data.Add(type.Name);
        }

        return data;
    }

    /// <summary>Every public generated model type of the test-model assembly with a <c>(int seed)</c> constructor.</summary>
    public static IEnumerable<Type> ModelTypes() =>
        typeof(SeedModel).Assembly.GetExportedTypes()
            .Where(t => typeof(IFusedModel).IsAssignableFrom(t) && t.GetConstructor([typeof(int)]) is not null)
            .OrderBy(t => t.Name, StringComparer.Ordinal);

    /// <summary>
    /// The model <paramref name="name"/> from <paramref name="seed"/>, in inference mode, with PyTorch-default
    /// weights and every bias, norm weight and running statistic randomised so that nothing is an identity.
    /// </summary>
    public static IFusedModel Create(string name, int seed)
    {
        Type type = ModelTypes().Single(t => t.Name == name);
        var model = (IFusedModel)Activator.CreateInstance(type, seed)!;
        var random = new Random(seed);
        var norms = new HashSet<string>(
            model.Graph.Layers.Where(l => l.Op is not (LayerOp.Conv2d or LayerOp.Linear)).SelectMany(l => l.Parameters),
            StringComparer.Ordinal);
        foreach (Parameter parameter in model.Parameters)
        {
            bool norm = norms.Contains(parameter.Name) && !parameter.Name.EndsWith(".0.weight", StringComparison.Ordinal);
            if (norm || parameter.Name.EndsWith(".bias", StringComparison.Ordinal))
            {
                bool scale = norm && parameter.Name.EndsWith(".weight", StringComparison.Ordinal);
                Fill(parameter.Data, random, scale ? 0.5 : -0.5, scale ? 1.5 : 0.5);
            }
        }

        foreach (Buffer buffer in model.Buffers.Where(b => b.ElementType == BufferElementType.Float32))
        {
            bool mean = buffer.Name.EndsWith(".running_mean", StringComparison.Ordinal);
            Fill(buffer.FloatData, random, mean ? -0.5 : 0.5, mean ? 0.5 : 2.0);
        }

        model.Eval();
        return model;
    }

    /// <summary>Uniform values in <c>[low, high)</c>.</summary>
    public static void Fill(float[] data, Random random, double low, double high)
    {
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (float)(low + ((high - low) * random.NextDouble()));
        }
    }
}
