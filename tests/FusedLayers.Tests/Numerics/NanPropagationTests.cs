using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using FusedLayers.Reference;
using Xunit.Sdk;

namespace FusedLayers.Tests.Numerics;

/// <summary>
/// NaN and infinity propagate as in PyTorch on every path: an activation, pool, residual add or GEMM epilogue
/// never turns a NaN into a number (<c>max(x, 0)</c> with NaN depends on operand order in the vector
/// instructions). The oracle is the float64 reference, whose element-wise rules are PyTorch's
/// (<c>torch.relu(nan) = nan</c>, <c>threshold_backward</c> passes the gradient of a NaN on). Non-finite
/// values are put at the start, the middle and the tail of the vectors (the tail is the remainder loop).
/// </summary>
public class NanPropagationTests
{
    [Theory]
    [MemberData(nameof(ModelCase.NamesOnEveryPath), MemberType = typeof(ModelCase))]
    public void Inference_keeps_nan_and_infinity_where_the_reference_has_them(string name, KernelIsa isa, int threads)
    {
        ModelCase c = ModelCase.Get(name);
        IFusedModel model = c.Create(3);
        Paths.Use(model, isa, threads);
        ReferenceSequential reference = c.Reference();
        Compare.CopyParameters(model, reference);
        model.Eval();
        reference.Training = false;

        foreach (float poison in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            float[] input = Poisoned(c.Batch, model.InputLength, poison, new Random(4));
            var output = new float[c.Batch * model.OutputLength];
            model.Forward(input, output);
            ReferenceTensor expected = reference.Forward(ReferenceTensor.FromFloats(input, [c.Batch, .. model.InputShape]));
            SameNonFinite($"{poison} in, inference output", expected.Data, output);
        }
    }

    [Theory]
    [MemberData(nameof(ModelCase.NamesOnEveryPath), MemberType = typeof(ModelCase))]
    public void Training_gradients_keep_nan_where_the_reference_has_them(string name, KernelIsa isa, int threads)
    {
        ModelCase c = ModelCase.Get(name);
        IFusedModel model = c.Create(5);
        Paths.Use(model, isa, threads);
        ReferenceSequential reference = c.Reference();
        Compare.CopyParameters(model, reference);
        float[] input = Poisoned(c.Batch, model.InputLength, float.NaN, new Random(6));
        var output = new float[c.Batch * model.OutputLength];
        var before = StateComparison.Snapshot(model);
        try
        {
            model.Forward(input, output);
        }
        catch (ArgumentException error)
        {
            // Batch statistics (and instance statistics kept as running ones) of a NaN are NaN: the model refuses
            // the step with a precise error and changes nothing, instead of silently poisoning its running
            // statistics as PyTorch would. A deliberate departure from PyTorch, documented in the README.
            Assert.Contains(reference.Layers, l => l is ReferenceBatchNorm or ReferenceBatchRenorm or ReferenceInstanceNorm);
            Assert.Contains("NaN", error.Message, StringComparison.Ordinal);
            StateComparison.Unchanged(before, StateComparison.Snapshot(model));
            return;
        }

        ReferenceTensor expected = reference.Forward(ReferenceTensor.FromFloats(input, [c.Batch, .. model.InputShape]));
        SameNonFinite("training output", expected.Data, output);

        float[] gradOutput = RandomData.Uniform(new Random(7), output.Length);
        var gradInput = new float[input.Length];
        model.Backward(gradOutput, gradInput);
        ReferenceTensor expectedGradInput = reference.Backward(ReferenceTensor.FromFloats(gradOutput, expected.Shape));
        SameNonFinite("input gradient", expectedGradInput.Data, gradInput);
        foreach (Parameter parameter in model.Parameters)
        {
            SameNonFinite("grad " + parameter.Name, reference.FindParameter(parameter.Name)!.Grad, parameter.Grad);
        }
    }

    /// <summary>Uniform data with <paramref name="poison"/> at the start, middle and end of the first and last sample.</summary>
    private static float[] Poisoned(int batch, int sampleLength, float poison, Random random)
    {
        float[] data = RandomData.Uniform(random, batch * sampleLength);
        int last = (batch - 1) * sampleLength;
        foreach (int at in new[] { 0, sampleLength / 2, sampleLength - 1, last + (sampleLength / 3), last + sampleLength - 1 })
        {
            data[at] = poison;
        }

        return data;
    }

    /// <summary>Every element is NaN exactly where the reference's is, and the same infinity where the reference's is infinite.</summary>
    private static void SameNonFinite(string what, IReadOnlyList<double> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Count, actual.Length);
        for (int i = 0; i < actual.Length; i++)
        {
            bool wrong = double.IsNaN(expected[i]) ? !float.IsNaN(actual[i])
                : double.IsInfinity(expected[i]) ? actual[i] != expected[i]
                : !float.IsFinite(actual[i]) && Math.Abs(expected[i]) < 1e30;
            if (wrong)
            {
                throw new XunitException(string.Create(
                    CultureInfo.InvariantCulture, $"{what}: element {i} is {actual[i]}, the reference has {expected[i]}."));
            }

        }
    }
}
