namespace FusedLayers.Kernels.Activations;

/// <summary>
/// A loop over spans that applies some activation, written once as a generic method and handed to
/// <see cref="ActivationDispatch.Run{TLoop}"/>, which picks the operator from the kind once per call.
/// Implemented by <c>ref struct</c>s holding the loop's spans, so a call allocates nothing.
/// </summary>
internal interface IActivationLoop
{
    /// <summary>Runs the loop with the activation <typeparamref name="TOp"/>.</summary>
    /// <typeparam name="TOp">The activation's operator struct.</typeparam>
    void Run<TOp>()
        where TOp : struct, IActivationOperator;
}
