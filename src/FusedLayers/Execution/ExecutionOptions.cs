using System;
using FusedLayers.Kernels;

namespace FusedLayers;

/// <summary>
/// How a model runs its kernels: the widest instruction-set path it may use (capped to what the CPU
/// supports) and how many cores. Every generated model has one, <c>model.Execution</c>; changing it
/// between calls is allowed and allocates nothing.
/// </summary>
public sealed class ExecutionOptions
{
    private KernelIsa maxIsa = KernelIsa.Avx512;
    private int maxDegreeOfParallelism = Environment.ProcessorCount;

    /// <summary>The widest path allowed (default <see cref="KernelIsa.Avx512"/>); lower it to compare paths.</summary>
    public KernelIsa MaxIsa
    {
        get => maxIsa;
        set
        {
            if (!Enum.IsDefined(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown KernelIsa.");
            }

            maxIsa = value;
        }
    }

    /// <summary>Threads a kernel may use (default: all cores). Results are bit-identical run to run for a given value.</summary>
    public int MaxDegreeOfParallelism
    {
        get => maxDegreeOfParallelism;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            maxDegreeOfParallelism = value;
        }
    }

    /// <summary>The path that will actually run: <see cref="MaxIsa"/> capped by the CPU.</summary>
    public KernelIsa EffectiveIsa => Context.Isa;

    /// <summary>The context passed to the kernels.</summary>
    public KernelContext Context => KernelContext.Create(maxIsa, maxDegreeOfParallelism);
}
