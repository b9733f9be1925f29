using System;
using System.Collections.Generic;

namespace FusedLayers.Onnx.Tests;

/// <summary>A generated model seen through another <see cref="ModelGraph"/>: to export a layer the generator cannot declare yet.</summary>
internal sealed class GraphOverride(IFusedModel model, ModelGraph graph) : IFusedModel
{
    public ModelGraph Graph => graph;

    public IReadOnlyList<int> InputShape => model.InputShape;

    public IReadOnlyList<int> OutputShape => model.OutputShape;

    public int InputLength => model.InputLength;

    public int OutputLength => model.OutputLength;

    public ExecutionOptions Execution => model.Execution;

    public bool Training => model.Training;

    public IReadOnlyList<Parameter> Parameters => model.Parameters;

    public IReadOnlyList<Buffer> Buffers => model.Buffers;

    public void Train(bool mode = true) => model.Train(mode);

    public void Eval() => model.Eval();

    public void Eval(bool withGradients) => model.Eval(withGradients);

    public void Forward(ReadOnlySpan<float> input, Span<float> output) => model.Forward(input, output);

    public Tensor Forward(Tensor input) => model.Forward(input);

    public void Backward(ReadOnlySpan<float> gradOutput, Span<float> gradInput, bool retainGraph = false) => model.Backward(gradOutput, gradInput, retainGraph);

    public void Backward(ReadOnlySpan<float> gradOutput, bool retainGraph = false) => model.Backward(gradOutput, retainGraph);

    public Tensor Backward(Tensor gradOutput, bool retainGraph = false) => model.Backward(gradOutput, retainGraph);

    public void ZeroGrad() => model.ZeroGrad();

    public void ResetParameters(int seed) => model.ResetParameters(seed);
}
