using System;
using FusedLayers.Execution;

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
    private ConvAlgorithm convAlgorithm = ConvAlgorithm.Auto;

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

    /// <summary>
    /// Synchronised BatchNorm: the collective through which this model's training-mode BatchNorm and BatchRenorm
    /// layers reduce their batch statistics and backward sums across data-parallel replicas, or null (the default)
    /// for per-process statistics. Usually set by <c>FusedLayers.Distributed</c>'s <c>DistributedDataParallel</c>
    /// (<c>SyncBatchNorm = true</c>), like PyTorch's <c>convert_sync_batchnorm</c>: it applies to every BatchNorm
    /// of the model. LayerNorm, GroupNorm and InstanceNorm are per sample and never need it.
    /// </summary>
    public IBatchStatisticsCollective? StatisticsCollective { get; set; }

    /// <summary>
    /// Told by this model's Backward as soon as parameter gradients are final, or null (the default). Usually set by
    /// <c>FusedLayers.Distributed</c>'s <c>DistributedDataParallel</c>, which starts each gradient bucket's allreduce
    /// while Backward goes on. See <see cref="IGradientReadyObserver"/>.
    /// </summary>
    public IGradientReadyObserver? GradientObserver { get; set; }

    /// <summary>
    /// The convolution algorithm for every convolution of the model (default <see cref="FusedLayers.ConvAlgorithm.Auto"/>:
    /// chosen per layer). A forced Winograd variant applies to the 3x3, stride-1, dilation-1, ungrouped convolutions
    /// on a vector path; the others run direct.
    /// </summary>
    public ConvAlgorithm ConvAlgorithm
    {
        get => convAlgorithm;
        set
        {
            // A range check, not Enum.IsDefined: switching per call (as the benchmark's direct rows do) must not allocate.
            if (value is < ConvAlgorithm.Auto or > ConvAlgorithm.Winograd4x4)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown ConvAlgorithm.");
            }

            convAlgorithm = value;
        }
    }

    /// <summary>The path that will actually run: <see cref="MaxIsa"/> capped by the CPU.</summary>
    public KernelIsa EffectiveIsa => Context.Isa;

    /// <summary>The context passed to the kernels.</summary>
    public KernelContext Context => (EmulatedIsa is { } forced
        ? new KernelContext(forced, maxDegreeOfParallelism)
        : KernelContext.Create(maxIsa, maxDegreeOfParallelism)) with { StatisticsCollective = StatisticsCollective, GradientObserver = GradientObserver, ConvAlgorithm = convAlgorithm };

    /// <summary>
    /// Tests only: run this path even when the CPU lacks it. The kernels use the cross-platform
    /// <c>Vector512</c>/<c>Vector256</c> APIs, which the runtime emulates in software when the hardware is
    /// missing, so the logic of every path (blocking, remainders, reductions) is checked on any machine.
    /// </summary>
    internal KernelIsa? EmulatedIsa { get; set; }
}
