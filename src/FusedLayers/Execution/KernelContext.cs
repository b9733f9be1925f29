using System;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedLayers.Execution;

/// <summary>
/// What a kernel call may use: the instruction-set path (already resolved against the CPU), the
/// number of threads, the convolution algorithm the model asks for and, for synchronised BatchNorm, a
/// cross-replica collective. Passed by value into every kernel; creating one allocates nothing.
/// </summary>
/// <param name="Isa">The path to run; never wider than the CPU supports.</param>
/// <param name="Threads">Degree of parallelism, at least 1.</param>
public readonly record struct KernelContext(KernelIsa Isa, int Threads)
{
    /// <summary>
    /// The cross-replica collective of synchronised BatchNorm, or null (the default: statistics are this process's
    /// batch only, and the check for it is the only cost). See <see cref="IBatchStatisticsCollective"/>.
    /// </summary>
    public IBatchStatisticsCollective? StatisticsCollective { get; init; }

    /// <summary>
    /// Told by Backward when parameter gradients are final (data-parallel overlap), or null (the default; the check is
    /// the only cost). See <see cref="IGradientReadyObserver"/>.
    /// </summary>
    public IGradientReadyObserver? GradientObserver { get; init; }

    /// <summary>
    /// The convolution algorithm requested (default <see cref="FusedLayers.ConvAlgorithm.Auto"/>); each convolution
    /// resolves it against its own shape and path, so a layer Winograd does not apply to runs direct.
    /// </summary>
    public ConvAlgorithm ConvAlgorithm { get; init; }

    /// <summary>
    /// The context for a layer that asks for <paramref name="layerAlgorithm"/> (its <c>[Conv2d(Algorithm = ...)]</c>):
    /// the layer's choice when the model-wide <see cref="ConvAlgorithm"/> is <c>Auto</c>, otherwise this context
    /// unchanged (a model-wide choice wins, so <c>model.Execution.ConvAlgorithm = Direct</c> turns Winograd off everywhere).
    /// </summary>
    /// <param name="layerAlgorithm">The layer's request.</param>
    /// <returns>The context to run the layer's convolution with.</returns>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public KernelContext ForLayer(ConvAlgorithm layerAlgorithm) =>
        ConvAlgorithm == ConvAlgorithm.Auto ? this with { ConvAlgorithm = layerAlgorithm } : this;

    /// <summary>
    /// This context without its <see cref="StatisticsCollective"/>: what a frozen (eval-mode) BatchNorm's backward sums run
    /// with, since they feed only its gamma and beta gradients, which gradient averaging reduces like any other.
    /// </summary>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public KernelContext Local => StatisticsCollective is null ? this : this with { StatisticsCollective = null };

    /// <summary>The widest path this process can run (honours <c>DOTNET_EnableAVX512=0</c> and similar).</summary>
    public static KernelIsa BestSupported { get; } = Detect();

    /// <summary>
    /// The path a kernel written with hardware intrinsics (not the portable Vector512 API) can run: the requested one,
    /// capped to what the CPU has. Such code cannot run emulated, so a context that asks for more (a test forcing the
    /// AVX-512 path on an AVX2 machine) gets the best native path here. The one rule behind every kernel family's
    /// entry point (Conv2d, Linear, pooling, GroupNorm, Dropout).
    /// </summary>
    /// <param name="isa">The requested path.</param>
    /// <returns>The path the hardware runs.</returns>
    internal static KernelIsa Native(KernelIsa isa) => isa > BestSupported ? BestSupported : isa;

    /// <summary>
    /// The path a kernel of <paramref name="family"/> written with the portable <c>Vector512</c>/<c>Vector256</c> API
    /// runs for this call: <see cref="Isa"/> as given (the runtime emulates a path the CPU lacks, which tests use).
    /// Every such entry point resolves its path here, once per call, and passes it down.
    /// </summary>
    /// <param name="family">The calling kernel family (for <see cref="IsaTrace"/>).</param>
    /// <returns>The path to run.</returns>
    internal KernelIsa PathFor(KernelFamily family)
    {
        IsaTrace.Record(family, Isa);
        return Isa;
    }

    /// <summary>
    /// The path a kernel of <paramref name="family"/> written with hardware intrinsics runs for this call:
    /// <see cref="Isa"/> capped by <see cref="Native"/>. Every such entry point resolves its path here, once per call.
    /// </summary>
    /// <param name="family">The calling kernel family (for <see cref="IsaTrace"/>).</param>
    /// <returns>The path to run.</returns>
    internal KernelIsa NativePathFor(KernelFamily family)
    {
        KernelIsa isa = Native(Isa);
        IsaTrace.Record(family, isa);
        return isa;
    }

    /// <summary>Single-threaded scalar code: the portable reference path of the kernels.</summary>
    public static KernelContext Portable => new(KernelIsa.Scalar, 1);

    /// <summary>The widest supported path on all cores.</summary>
    public static KernelContext Default => Create(KernelIsa.Avx512, Environment.ProcessorCount);

    /// <summary>Clamps <paramref name="maxIsa"/> to what the CPU supports and <paramref name="threads"/> to at least 1.</summary>
    /// <param name="maxIsa">The widest path the caller allows.</param>
    /// <param name="threads">Requested degree of parallelism.</param>
    public static KernelContext Create(KernelIsa maxIsa, int threads) =>
        new(maxIsa < BestSupported ? maxIsa : BestSupported, Math.Max(1, threads));

    private static KernelIsa Detect()
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            return KernelIsa.Avx512;
        }

        return Avx2.IsSupported && Fma.IsSupported && Vector256.IsHardwareAccelerated ? KernelIsa.Avx2 : KernelIsa.Scalar;
    }
}
