using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using FusedLayers.Execution;
using FusedLayers.Kernels;
using TorchSharp;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace FusedLayers.TorchParity.Tests;

/// <summary>
/// <see cref="ActivationKernels"/> against libtorch's own functional activation and its autograd backward
/// (<c>hardswish_backward</c>, ...), element by element, on every requested path (the public API falls back to
/// what the CPU has) at 1 and 2 threads: a dense sweep of [-8, 8], the kinks exactly, and large magnitudes.
/// Tolerance per element: 2e-6 of <c>1 + |torch|</c> (both sides float32, libtorch's transcendentals from
/// Sleef, ours from .NET's vectorised <c>Exp</c>); a kink on the wrong side gives 0.5 and more.
/// </summary>
public class ActivationParityTests
{
    private const double Tolerance = 2e-6;

    private static readonly KernelIsa[] Paths = [KernelIsa.Scalar, KernelIsa.Avx2, KernelIsa.Avx512];

    /// <summary>The activations compared here, with libtorch's function for each.</summary>
    private static readonly Dictionary<ActivationKind, Func<TorchTensor, TorchTensor>> Torch = new()
    {
        [ActivationKind.Hardswish] = x => nn.functional.hardswish(x),
        [ActivationKind.Mish] = x => nn.functional.mish(x),
    };

    public static TheoryData<ActivationKind> Kinds() => new(Torch.Keys.ToArray());

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Forward_and_backward_match_torch_functional_element_by_element(ActivationKind kind)
    {
        using DisposeScope scope = NewDisposeScope();
        float[] x = Inputs();
        var random = new Random(17);
        float[] dy = TestData.Normal(random, x.Length);

        TorchTensor input = torch.tensor(x).requires_grad_(true);
        TorchTensor output = Torch[kind](input);
        (output * torch.tensor(dy)).sum().backward(); // dL/dy = dy
        float[] torchY = Twin.ToArray(output);
        float[] torchDx = Twin.ToArray(input.grad!);

        foreach (KernelIsa isa in Paths)
        {
            foreach (int threads in new[] { 1, 2 })
            {
                KernelContext context = KernelContext.Create(isa, threads);
                string label = string.Create(CultureInfo.InvariantCulture, $"{kind} {context.Isa} x{threads}");
                var y = new float[x.Length];
                var dx = new float[x.Length];
                ActivationKernels.Forward(context, new Activation(kind), 1, 1, x.Length, x, default, default, y);
                ActivationKernels.Backward(context, new Activation(kind), 1, 1, x.Length, dy, x, default, default, dx);
                AssertClose(label + " forward", x, torchY, y);
                AssertClose(label + " backward", x, torchDx, dx);
            }
        }
    }

    /// <summary>[-8, 8] in steps of 1/64 (the kinks at -3, 0, 3 and 6 exactly), then large magnitudes; 1,044 values, an odd vector tail.</summary>
    private static float[] Inputs()
    {
        var values = new List<float>();
        for (int i = -512; i <= 512; i++)
        {
            values.Add(i / 64f);
        }

        values.AddRange([-90f, -30f, -20.5f, -12f, 12f, 20f, 20.5f, 30f, 90f, 1e-30f, -1e-30f, 1e-3f, -1e-3f, -3.0000002f, 2.9999998f, 3.0000002f, -2.9999998f, 1e6f, -1e6f]);
        return [.. values];
    }

    private static void AssertClose(string what, float[] x, float[] expected, float[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs((double)actual[i] - expected[i]);
            Assert.True(
                error <= Tolerance * (1 + Math.Abs(expected[i])),
                string.Create(CultureInfo.InvariantCulture, $"{what}: at x = {x[i]:R} FusedLayers gives {actual[i]:R}, libtorch {expected[i]:R} (error {error:E2})."));
        }
    }
}
