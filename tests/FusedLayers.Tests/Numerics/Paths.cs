using FusedLayers.Execution;

namespace FusedLayers.Tests.Numerics;

/// <summary>
/// Puts a model on one ISA path. A path this CPU lacks (this test machine has AVX2 but no AVX-512)
/// runs emulated: the kernels use the cross-platform <c>Vector512</c> API, which .NET executes in
/// software without the hardware, so the AVX-512 path's blocking, remainders and reductions are still
/// checked here; its speed is not.
/// </summary>
public static class Paths
{
    /// <summary>Selects <paramref name="isa"/> (emulated when unsupported) and <paramref name="threads"/>.</summary>
    public static void Use(IFusedModel model, KernelIsa isa, int threads)
    {
        model.Execution.MaxIsa = isa;
        model.Execution.MaxDegreeOfParallelism = threads;
        model.Execution.EmulatedIsa = isa > KernelContext.BestSupported ? isa : null;
    }
}
