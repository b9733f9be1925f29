namespace FusedLayers;

/// <summary>
/// Told by a generated <c>Backward</c> as soon as parameter gradients are final, so that data-parallel training can
/// start a bucket's allreduce while Backward goes on with the earlier layers (PyTorch DDP's gradient hooks). Backward
/// runs the kernels last first; after each kernel with parameters it calls <see cref="GradientsReady"/> once, on the
/// thread that called Backward. Set one on <see cref="ExecutionOptions.GradientObserver"/>; with none set the hook is
/// one null check per kernel.
/// </summary>
/// <remarks>
/// Within one Backward the calls move down the parameter list and the last one names <c>Parameters[0]</c>. A second
/// Backward (gradient accumulation, <c>retainGraph</c>) calls the hook again from the top: an observer that reduces
/// gradients must tell a new pass from the next kernel of the same one (a call that names a later parameter than the
/// previous call, or any call after the one that named <c>Parameters[0]</c>).
/// </remarks>
public interface IGradientReadyObserver
{
    /// <summary>
    /// The gradients of <paramref name="first"/> and of every parameter after it in the model's <c>Parameters</c> list
    /// are final for this Backward (written and accumulated; frozen parameters included, untouched).
    /// </summary>
    /// <param name="first">A parameter of the model.</param>
    void GradientsReady(Parameter first);
}
