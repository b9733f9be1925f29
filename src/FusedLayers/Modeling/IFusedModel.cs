using System;
using System.Collections.Generic;

namespace FusedLayers;

/// <summary>
/// The surface every generated model implements, modelled on PyTorch's <c>nn.Module</c>:
/// forward and backward, a training/inference switch, named parameters and buffers, <c>zero_grad</c>.
/// Activations are flat float spans in NCHW order with the batch dimension first.
/// </summary>
public interface IFusedModel
{
    /// <summary>Shape of one input sample (without the batch dimension).</summary>
    IReadOnlyList<int> InputShape { get; }

    /// <summary>Shape of one output sample (without the batch dimension).</summary>
    IReadOnlyList<int> OutputShape { get; }

    /// <summary>Elements in one input sample.</summary>
    int InputLength { get; }

    /// <summary>Elements in one output sample.</summary>
    int OutputLength { get; }

    /// <summary>
    /// The instruction-set path (AVX-512, AVX2 or scalar, capped to the CPU) and the number of threads
    /// this model's kernels use; change it between calls to compare paths or limit cores.
    /// </summary>
    ExecutionOptions Execution { get; }

    /// <summary>True in training mode (batch statistics, running-average updates), false in inference mode.</summary>
    bool Training { get; }

    /// <summary>
    /// Switches to training mode (<paramref name="mode"/> = true) or inference mode, like <c>module.train(mode)</c>;
    /// sets every BatchNorm layer's own <c>Training</c> flag to <paramref name="mode"/> as well (set a layer's flag
    /// afterwards to freeze it).
    /// </summary>
    /// <param name="mode">True for training.</param>
    void Train(bool mode = true);

    /// <summary>
    /// Switches to inference mode, like <c>module.eval()</c> under <c>torch.inference_mode()</c>: running statistics,
    /// BatchNorm folded into the kernels, dropout off, nothing saved, so Backward cannot follow. For gradients of
    /// an eval-mode model use <see cref="Eval(bool)"/>.
    /// </summary>
    void Eval();

    /// <summary>
    /// Switches to eval mode (<see cref="Training"/> = false) and, with <paramref name="withGradients"/>, keeps Forward
    /// differentiable, like <c>module.eval()</c> with autograd on: every BatchNorm normalises with its running
    /// statistics and leaves them unchanged, dropout is the identity, and Forward saves what Backward needs (the
    /// training kernels, unfolded), so Backward gives input gradients (saliency, adversarial examples) and parameter
    /// gradients with the statistics held constant. Slower than <see cref="Eval()"/>, which it equals when
    /// <paramref name="withGradients"/> is false. Sets every BatchNorm layer's own <c>Training</c> flag to false.
    /// </summary>
    /// <param name="withGradients">Keep Forward differentiable.</param>
    /// <exception cref="NotSupportedException">
    /// <paramref name="withGradients"/> with a BatchRenorm or an InstanceNorm with running statistics, whose eval-mode
    /// backward is not implemented yet; the mode is unchanged.
    /// </exception>
    void Eval(bool withGradients);

    /// <summary>
    /// Runs the model on <c>input.Length / InputLength</c> samples and writes <c>batch * OutputLength</c>
    /// values to <paramref name="output"/>. Allocates nothing once the batch size has been seen.
    /// </summary>
    /// <param name="input">Input, <c>[N, ...InputShape]</c> flattened.</param>
    /// <param name="output">Output, <c>[N, ...OutputShape]</c> flattened.</param>
    void Forward(ReadOnlySpan<float> input, Span<float> output);

    /// <summary>Allocating convenience overload of <see cref="Forward(ReadOnlySpan{float}, Span{float})"/>.</summary>
    /// <param name="input">Input of shape <c>[N, ...InputShape]</c>.</param>
    /// <returns>Output of shape <c>[N, ...OutputShape]</c>.</returns>
    Tensor Forward(Tensor input);

    /// <summary>
    /// Back-propagates <paramref name="gradOutput"/> through the last training-mode forward pass,
    /// accumulates parameter gradients and writes the input gradient.
    /// </summary>
    /// <remarks>
    /// Like PyTorch, a Backward uses up the saved pass: a second Backward for the same Forward throws (instead of
    /// accumulating the gradients again) unless the first one passed <paramref name="retainGraph"/> = true. An
    /// inference-mode Forward in between overwrites the saved pass; Backward then says so.
    /// </remarks>
    /// <param name="gradOutput">Gradient of the loss with respect to the output.</param>
    /// <param name="gradInput">Receives the gradient with respect to the input.</param>
    /// <param name="retainGraph">Keep the saved pass for another Backward (PyTorch's <c>retain_graph</c>).</param>
    void Backward(ReadOnlySpan<float> gradOutput, Span<float> gradInput, bool retainGraph = false);

    /// <summary>As <see cref="Backward(ReadOnlySpan{float}, Span{float}, bool)"/>, without computing the input gradient.</summary>
    /// <param name="gradOutput">Gradient of the loss with respect to the output.</param>
    /// <param name="retainGraph">Keep the saved pass for another Backward (PyTorch's <c>retain_graph</c>).</param>
    void Backward(ReadOnlySpan<float> gradOutput, bool retainGraph = false);

    /// <summary>Allocating convenience overload; returns the input gradient.</summary>
    /// <param name="gradOutput">Gradient with the output's shape.</param>
    /// <param name="retainGraph">Keep the saved pass for another Backward (PyTorch's <c>retain_graph</c>).</param>
    /// <returns>The input gradient.</returns>
    Tensor Backward(Tensor gradOutput, bool retainGraph = false);

    /// <summary>Sets every parameter gradient to zero.</summary>
    void ZeroGrad();

    /// <summary>Learnable parameters in declaration order, named like PyTorch's <c>named_parameters()</c>.</summary>
    IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Buffers (running statistics) in declaration order, named like PyTorch's <c>named_buffers()</c>.</summary>
    IReadOnlyList<Buffer> Buffers { get; }

    /// <summary>
    /// The layers as declared, as a runtime-neutral graph (operations, attribute arguments, skip sources, state-dict
    /// names), for exporters such as FusedLayers.Onnx's <c>ExportOnnx</c>.
    /// </summary>
    ModelGraph Graph { get; }

    /// <summary>Re-initialises every parameter as PyTorch does by default, from <paramref name="seed"/>, and resets running statistics.</summary>
    /// <param name="seed">Seed.</param>
    void ResetParameters(int seed);
}
