using System;

namespace FusedLayers;

/// <summary>The allocating <see cref="Tensor"/> overloads of generated models, written once here.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // for generated code; out of IntelliSense
public static class ModelTensors
{
    /// <summary>Checks that <paramref name="input"/> is <c>[N, ...InputShape]</c>, runs the span forward pass and returns a new output tensor.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">Input tensor.</param>
    /// <returns>Output tensor <c>[N, ...OutputShape]</c>.</returns>
    public static Tensor Forward(IFusedModel model, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(model);
        int batch = ModelChecks.BatchedShape(model.GetType().Name, nameof(input), input, model.InputShape);
        var output = new Tensor(Batched(batch, model.OutputShape));
        model.Forward(input.Data, output.Data);
        return output;
    }

    /// <summary>Runs the span backward pass for an output gradient of shape <c>[N, ...OutputShape]</c>; returns the input gradient.</summary>
    /// <param name="model">The model.</param>
    /// <param name="gradOutput">Output gradient.</param>
    /// <param name="retainGraph">Keep the saved pass for another Backward.</param>
    /// <returns>Input gradient <c>[N, ...InputShape]</c>.</returns>
    public static Tensor Backward(IFusedModel model, Tensor gradOutput, bool retainGraph = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        int batch = ModelChecks.BatchedShape(model.GetType().Name, nameof(gradOutput), gradOutput, model.OutputShape);
        var gradInput = new Tensor(Batched(batch, model.InputShape));
        model.Backward(gradOutput.Data, gradInput.Data, retainGraph);
        return gradInput;
    }

    private static int[] Batched(int batch, System.Collections.Generic.IReadOnlyList<int> sample)
    {
        var shape = new int[sample.Count + 1];
        shape[0] = batch;
        for (int i = 0; i < sample.Count; i++)
        {
            shape[i + 1] = sample[i];
        }

        return shape;
    }
}
