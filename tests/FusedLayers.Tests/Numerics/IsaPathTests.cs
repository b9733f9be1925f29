using System;
using System.Linq;
using System.Runtime.Intrinsics.X86;
using FusedLayers.Execution;

namespace FusedLayers.Tests.Numerics;

/// <summary>
/// The ISA paths: which one runs (also under CI's <c>DOTNET_EnableAVX512=0</c> and
/// <c>DOTNET_EnableHWIntrinsic=0</c> reruns), and that all paths and thread counts agree.
/// </summary>
public class IsaPathTests
{
    [Fact]
    public void The_best_supported_path_follows_the_runtime_switches()
    {
        KernelIsa expected;
        if (Environment.GetEnvironmentVariable("DOTNET_EnableHWIntrinsic") == "0" || Environment.GetEnvironmentVariable("DOTNET_EnableAVX2") == "0")
        {
            expected = KernelIsa.Scalar;
        }
        else if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") == "0")
        {
            expected = Avx2.IsSupported ? KernelIsa.Avx2 : KernelIsa.Scalar;
        }
        else
        {
            expected = Avx512F.IsSupported ? KernelIsa.Avx512 : Avx2.IsSupported ? KernelIsa.Avx2 : KernelIsa.Scalar;
        }

        Assert.Equal(expected, KernelContext.BestSupported);
        var options = new ExecutionOptions();
        Assert.Equal(expected, options.EffectiveIsa);
        options.MaxIsa = KernelIsa.Scalar;
        Assert.Equal(KernelIsa.Scalar, options.EffectiveIsa);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxDegreeOfParallelism = 0);
    }

    [Theory]
    [MemberData(nameof(ModelCase.Names), MemberType = typeof(ModelCase))]
    public void All_paths_and_thread_counts_agree_and_each_is_bit_reproducible(string name)
    {
        ModelCase c = ModelCase.Get(name);
        float[] baseline = Run(c, KernelIsa.Scalar, 1);
        foreach (KernelIsa isa in Enum.GetValues<KernelIsa>())
        {
            foreach (int threads in new[] { 1, 2 })
            {
                float[] result = Run(c, isa, threads);
                Assert.Equal(result, Run(c, isa, threads));
                Compare.Close($"{isa} x {threads} threads vs scalar", baseline, result);
            }
        }
    }

    /// <summary>One training step and one inference pass; returns outputs, input gradient and parameter gradients.</summary>
    private static float[] Run(ModelCase c, KernelIsa isa, int threads)
    {
        IFusedModel model = c.Create(21);
        Paths.Use(model, isa, threads);
        var random = new Random(21);
        float[] input = RandomData.Uniform(random, c.Batch * model.InputLength);
        var output = new float[c.Batch * model.OutputLength];
        model.Forward(input, output);
        var gradInput = new float[input.Length];
        model.Backward(RandomData.Uniform(random, output.Length), gradInput);
        model.Eval();
        var inference = new float[output.Length];
        model.Forward(input, inference);
        return [.. output, .. gradInput, .. model.Parameters.SelectMany(p => p.Grad), .. inference];
    }
}
