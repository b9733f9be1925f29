using System.Runtime.Intrinsics;
using FusedLayers.Execution;

namespace FusedLayers.Benchmarks;

/// <summary>
/// The machine's measured FMA peak: independent fused multiply-add chains (12 accumulators, more than
/// latency x throughput) on the widest vector the CPU has, on every thread of the run. Its GFLOP/s is
/// the denominator of the "% of peak" column, measured in the same process as the kernels.
/// </summary>
public sealed class FmaPeak : ParallelWork
{
    /// <summary>Loop trips per thread.</summary>
    public const int Iterations = 2_000_000;

    private const int Accumulators = 12;

    private float sink;

    /// <summary>FLOPs per thread: iterations x accumulators x lanes x 2.</summary>
    public static double FlopsPerThread => (double)Iterations * Accumulators * Lanes * 2;

    /// <summary>Lanes of the vector used.</summary>
    public static int Lanes => KernelContext.BestSupported == KernelIsa.Avx512 ? Vector512<float>.Count : Vector256<float>.Count;

    /// <summary>Runs the chains on <paramref name="threads"/> threads.</summary>
    public void Run(int threads) => KernelThreadPool.Run(this, threads, threads);

    /// <inheritdoc />
    public override void Execute(int index)
    {
        sink += KernelContext.BestSupported == KernelIsa.Avx512 ? Chains512() : Chains256();
    }

    private static float Chains512()
    {
        Vector512<float> m = Vector512.Create(0.9999999f), a = Vector512.Create(1e-7f);
        Vector512<float> c0 = m, c1 = m, c2 = m, c3 = m, c4 = m, c5 = m, c6 = m, c7 = m, c8 = m, c9 = m, c10 = m, c11 = m;
        for (int i = 0; i < Iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, m, a);
            c1 = Vector512.FusedMultiplyAdd(c1, m, a);
            c2 = Vector512.FusedMultiplyAdd(c2, m, a);
            c3 = Vector512.FusedMultiplyAdd(c3, m, a);
            c4 = Vector512.FusedMultiplyAdd(c4, m, a);
            c5 = Vector512.FusedMultiplyAdd(c5, m, a);
            c6 = Vector512.FusedMultiplyAdd(c6, m, a);
            c7 = Vector512.FusedMultiplyAdd(c7, m, a);
            c8 = Vector512.FusedMultiplyAdd(c8, m, a);
            c9 = Vector512.FusedMultiplyAdd(c9, m, a);
            c10 = Vector512.FusedMultiplyAdd(c10, m, a);
            c11 = Vector512.FusedMultiplyAdd(c11, m, a);
        }

        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    private static float Chains256()
    {
        Vector256<float> m = Vector256.Create(0.9999999f), a = Vector256.Create(1e-7f);
        Vector256<float> c0 = m, c1 = m, c2 = m, c3 = m, c4 = m, c5 = m, c6 = m, c7 = m, c8 = m, c9 = m, c10 = m, c11 = m;
        for (int i = 0; i < Iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, m, a);
            c1 = Vector256.FusedMultiplyAdd(c1, m, a);
            c2 = Vector256.FusedMultiplyAdd(c2, m, a);
            c3 = Vector256.FusedMultiplyAdd(c3, m, a);
            c4 = Vector256.FusedMultiplyAdd(c4, m, a);
            c5 = Vector256.FusedMultiplyAdd(c5, m, a);
            c6 = Vector256.FusedMultiplyAdd(c6, m, a);
            c7 = Vector256.FusedMultiplyAdd(c7, m, a);
            c8 = Vector256.FusedMultiplyAdd(c8, m, a);
            c9 = Vector256.FusedMultiplyAdd(c9, m, a);
            c10 = Vector256.FusedMultiplyAdd(c10, m, a);
            c11 = Vector256.FusedMultiplyAdd(c11, m, a);
        }

        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }
}
