using System.Collections.Generic;

namespace FusedLayers.Reference;

/// <summary>
/// A naive float64 layer: plain loops, written to be obviously correct, used as the oracle for the
/// fused generated code. Semantics follow PyTorch's <c>nn.Module</c>s of the same name.
/// </summary>
public interface IReferenceLayer
{
    /// <summary>Layer name, the prefix of its state-dict keys (<c>Conv</c> in <c>Conv.weight</c>).</summary>
    string Name { get; }

    /// <summary>Training mode (true, the default) or inference mode; BatchNorm, InstanceNorm with running statistics, Batch Renormalization and Dropout behave differently.</summary>
    bool Training { get; set; }

    /// <summary>Learnable parameters in PyTorch order (weight, then bias); empty for stateless layers.</summary>
    IReadOnlyList<ReferenceParameter> Parameters { get; }

    /// <summary>Computes the output and saves what <see cref="Backward"/> needs.</summary>
    /// <param name="input">Input, batch dimension first.</param>
    /// <returns>A new output tensor.</returns>
    ReferenceTensor Forward(ReferenceTensor input);

    /// <summary>
    /// Back-propagates through the last <see cref="Forward"/>: adds the parameter gradients to
    /// <see cref="ReferenceParameter.Grad"/> (accumulating) and returns the gradient with respect to
    /// that forward pass's input.
    /// </summary>
    /// <param name="gradOutput">Gradient of the loss with respect to the last output (same shape).</param>
    /// <returns>A new tensor: the gradient with respect to the last input.</returns>
    /// <exception cref="System.InvalidOperationException">No forward pass happened yet.</exception>
    ReferenceTensor Backward(ReferenceTensor gradOutput);
}
