using System;
using System.Linq;
using FusedLayers.Tests.Models;
using TorchSharp.Modules;
using Xunit.Sdk;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace FusedLayers.TorchParity.Tests;

/// <summary>
/// The harness itself: the native fix is in effect where it is needed, and the comparisons do fail
/// when the two sides really differ (so that a green parity suite means something).
/// </summary>
public class HarnessTests
{
    [Fact]
    public void TorchSharp_runs_and_at_one_thread()
    {
        Assert.Equal(1, get_num_threads());
        using TorchTensor sum = ones(3).sum();
        Assert.Equal(3f, sum.item<float>());
    }

    [Fact]
    public void A_different_momentum_eps_or_weight_in_pytorch_is_detected()
    {
        ParityCase c = ParityCase.Get(nameof(SeedModel));
        var random = new Random(8);
        float[] input = TestData.Normal(random, 2 * 3 * 32 * 32, 0.5, 2.0);
        float[] gradOutput = TestData.Normal(random, 2 * 64 * 32 * 32);

        using (var twin = new Twin(c, KernelIsa.Scalar))
        {
            ((BatchNorm)twin.Torch.named_modules().Single(m => m.name == "Bn").module).momentum = 0.2;
            twin.TrainingStep("momentum 0.2 in PyTorch", input, gradOutput);
            Assert.Throws<XunitException>(() => twin.CompareBuffers("momentum 0.2 in PyTorch"));
        }

        using (var twin = new Twin(c, KernelIsa.Scalar))
        {
            ((BatchNorm)twin.Torch.named_modules().Single(m => m.name == "Bn").module).eps = 1e-2;
            Assert.Throws<XunitException>(() => twin.TrainingStep("eps 1e-2 in PyTorch", input, gradOutput));
        }

        using (var twin = new Twin(c, KernelIsa.Scalar))
        {
            twin.Fused.Parameters[0].Data[0] += 0.01f; // Conv.weight, FusedLayers side only
            Assert.Throws<XunitException>(() => twin.TrainingStep("one weight changed", input, gradOutput));
        }
    }
}
