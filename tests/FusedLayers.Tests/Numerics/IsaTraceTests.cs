using System;
using System.Collections.Generic;
using System.Linq;
using FusedLayers.Execution;

namespace FusedLayers.Tests.Numerics;

/// <summary>
/// One place decides the path: every kernel entry point resolves it through <see cref="KernelContext.PathFor"/>
/// (portable <c>Vector512</c>/<c>Vector256</c> code, which the runtime emulates when the CPU lacks the path) or
/// <see cref="KernelContext.NativePathFor"/> (hardware intrinsics, capped to the CPU), and an <see cref="IsaTrace"/>
/// shows which path each kernel family ran during a model's training step and inference pass. The trace is per
/// thread, so these tests see only their own model's calls.
/// </summary>
public class IsaTraceTests
{
    /// <summary>Families written with hardware intrinsics (GEMM micro-kernels, intrinsic loops): capped to the CPU.</summary>
    private static readonly KernelFamily[] NativeFamilies =
        [KernelFamily.Conv2d, KernelFamily.Linear, KernelFamily.Pool, KernelFamily.RowNorm, KernelFamily.Dropout];

    [Theory]
    [MemberData(nameof(ModelCase.Names), MemberType = typeof(ModelCase))]
    public void A_capped_path_runs_no_wider_code_in_any_kernel(string name)
    {
        foreach (KernelIsa cap in new[] { KernelIsa.Avx2, KernelIsa.Scalar })
        {
            IsaTrace trace = Trace(ModelCase.Get(name), cap, emulate: false);
            KernelIsa expected = cap < KernelContext.BestSupported ? cap : KernelContext.BestSupported;
            AssertOnlyPath(trace, family => expected, $"MaxIsa = {cap}");
        }
    }

    [Theory]
    [MemberData(nameof(ModelCase.Names), MemberType = typeof(ModelCase))]
    public void The_forced_avx512_path_runs_vector512_code_in_every_portable_kernel(string name)
    {
        IsaTrace trace = Trace(ModelCase.Get(name), KernelIsa.Avx512, emulate: true);

        // Portable kernels run the path asked for (emulated on a CPU without AVX-512); intrinsic kernels cannot run
        // emulated and take the widest native path, which is AVX-512 itself on an AVX-512 machine.
        AssertOnlyPath(
            trace,
            family => NativeFamilies.Contains(family) ? KernelContext.BestSupported : KernelIsa.Avx512,
            "forced AVX-512");
    }

    [Fact]
    public void The_test_models_reach_every_kernel_family()
    {
        var called = new HashSet<KernelFamily>();
        foreach (ModelCase c in ModelCase.All)
        {
            called.UnionWith(Trace(c, KernelIsa.Avx512, emulate: true).CalledFamilies());
        }

        Assert.Equal(Enum.GetValues<KernelFamily>().OrderBy(f => f), called.OrderBy(f => f));
    }

    [Fact]
    public void A_closed_trace_records_nothing_and_traces_nest()
    {
        IFusedModel model = ModelCase.Get(nameof(Models.SeedModel)).Create(3);
        using (IsaTrace outer = IsaTrace.Start())
        {
            using (IsaTrace inner = IsaTrace.Start())
            {
                Step(model, 2);
                Assert.NotEmpty(inner.CalledFamilies());
            }

            Assert.Empty(outer.CalledFamilies());
            Step(model, 2);
            Assert.NotEmpty(outer.CalledFamilies());
        }

        using IsaTrace after = IsaTrace.Start();
        Assert.Empty(after.CalledFamilies());
    }

    private static IsaTrace Trace(ModelCase c, KernelIsa isa, bool emulate)
    {
        IFusedModel model = c.Create(5);
        if (emulate)
        {
            Paths.Use(model, isa, threads: 2);
        }
        else
        {
            model.Execution.MaxIsa = isa;
            model.Execution.MaxDegreeOfParallelism = 2;
        }

        using IsaTrace trace = IsaTrace.Start();
        Step(model, c.Batch);
        return trace;
    }

    /// <summary>A training forward and backward, then an inference forward (BN folded, running statistics).</summary>
    private static void Step(IFusedModel model, int batch)
    {
        var random = new Random(9);
        model.Train();
        float[] input = RandomData.Uniform(random, batch * model.InputLength);
        var output = new float[batch * model.OutputLength];
        model.Forward(input, output);
        model.Backward(RandomData.Uniform(random, output.Length), new float[input.Length]);
        model.Eval();
        model.Forward(input, output);
    }

    private static void AssertOnlyPath(IsaTrace trace, Func<KernelFamily, KernelIsa> expected, string what)
    {
        Assert.NotEmpty(trace.CalledFamilies());
        foreach (KernelFamily family in trace.CalledFamilies())
        {
            foreach (KernelIsa isa in Enum.GetValues<KernelIsa>())
            {
                if (isa != expected(family) && trace.Count(family, isa) > 0)
                {
                    Assert.Fail($"{what}: {family} ran the {isa} path, expected only {expected(family)}. Trace:\n{trace}");
                }
            }
        }
    }
}
