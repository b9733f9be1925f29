using System.Collections.Generic;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FusedLayers.Execution;
using FusedLayers.Kernels;

namespace FusedLayers.Tests.Kernels;

/// <summary>One way of running a kernel: through the public API with a context, or by forcing a path.</summary>
/// <param name="Label">For messages.</param>
/// <param name="Isa">The path that runs.</param>
/// <param name="Forced">Call the internal per-path entry point instead of the public API.</param>
public readonly record struct KernelRun(string Label, KernelIsa Isa, bool Forced);

/// <summary>
/// The instruction-set paths under test. Every path is requested on every machine: the public API must fall
/// back to what the CPU has (asserted from the hardware flags, independently of <see cref="KernelContext"/>),
/// and the Vector512 code is additionally forced through the internal entry points, where it runs in
/// software if the CPU lacks AVX-512, so its logic is checked here too.
/// </summary>
public static class KernelPaths
{
    /// <summary>All paths.</summary>
    public static readonly KernelIsa[] All = [KernelIsa.Scalar, KernelIsa.Avx2, KernelIsa.Avx512];

    /// <summary>The path a context asking for <paramref name="isa"/> must get on this machine.</summary>
    public static KernelIsa Expected(KernelIsa isa)
    {
        bool avx512 = Vector512.IsHardwareAccelerated && Avx512F.IsSupported;
        bool avx2 = Avx2.IsSupported && Fma.IsSupported && Vector256.IsHardwareAccelerated;
        return isa switch
        {
            KernelIsa.Avx512 when avx512 => KernelIsa.Avx512,
            KernelIsa.Avx512 or KernelIsa.Avx2 when avx2 => KernelIsa.Avx2,
            _ => KernelIsa.Scalar,
        };
    }

    /// <summary>
    /// Whether the code of <paramref name="isa"/> can be forced here. The Vector512 path is written with the
    /// cross-platform API, so without AVX-512 it runs on the software fallback; that is only done where 256-bit
    /// vectors are accelerated (the fallback is built from them), to keep the no-intrinsics runs short.
    /// </summary>
    public static bool CanForce(KernelIsa isa) => isa switch
    {
        KernelIsa.Avx512 => Vector256.IsHardwareAccelerated,
        KernelIsa.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        _ => true,
    };

    /// <summary>
    /// The runs for a requested path: the public API (after asserting the context's fallback), plus the
    /// forced path when the public one fell back to something else and the requested code can run here.
    /// </summary>
    public static IEnumerable<KernelRun> Runs(KernelIsa requested, int threads, out KernelContext context)
    {
        context = KernelContext.Create(requested, threads);
        Assert.Equal(Expected(requested), context.Isa);
        Assert.Equal(threads, context.Threads);
        var runs = new List<KernelRun> { new($"{requested} (public, ran {context.Isa}) x{threads}", context.Isa, Forced: false) };
        if (context.Isa != requested && CanForce(requested))
        {
            runs.Add(new KernelRun($"{requested} (forced) x{threads}", requested, Forced: true));
        }

        return runs;
    }

    /// <summary>Theory rows: every path times 1 and 2 threads times <paramref name="cases"/> case indices.</summary>
    public static TheoryData<KernelIsa, int, int> Grid(int cases)
    {
        var data = new TheoryData<KernelIsa, int, int>();
        foreach (KernelIsa isa in All)
        {
            foreach (int threads in new[] { 1, 2 })
            {
                for (int c = 0; c < cases; c++)
                {
                    data.Add(isa, threads, c);
                }
            }
        }

        return data;
    }
}
