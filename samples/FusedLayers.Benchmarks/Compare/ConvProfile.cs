using System;
using System.Collections.Generic;
using System.Globalization;
using FusedLayers.Benchmarks.Peers;
using FusedLayers.Execution;
using FusedLayers.Kernels;
using TorchSharp;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace FusedLayers.Benchmarks.Compare;

/// <summary>
/// <c>profile --convs</c>: every distinct convolution of torchvision's ResNet-18 (3x224x224, batch 16 by default) timed
/// on its own in FusedLayers' kernels (forward, input gradient, weight gradient) and in libtorch (<c>conv2d</c> under
/// inference mode; <c>conv2d</c> + autograd backward for both gradients), so the network's benchmark rows can be read
/// layer by layer: which shapes lose, and in which direction. Stopwatch medians after a JIT warm-up, both sides on the
/// same thread count, in one process.
/// </summary>
internal static class ConvProfile
{
    /// <summary>The distinct convolutions of ResNet-18 at 224x224 and how often each occurs.</summary>
    private static readonly (string Name, Conv2dGeometry Geometry, int Count)[] Convs =
    [
        ("conv1 7x7/2 3->64 @224", new Conv2dGeometry(3, 64, 224, 224, 7, 2, 3), 1),
        ("layer1 3x3 64->64 @56", new Conv2dGeometry(64, 64, 56, 56, 3, 1, 1), 4),
        ("layer2.0.conv1 3x3/2 64->128 @56", new Conv2dGeometry(64, 128, 56, 56, 3, 2, 1), 1),
        ("layer2.0.downsample 1x1/2 64->128 @56", new Conv2dGeometry(64, 128, 56, 56, 1, 2, 0), 1),
        ("layer2 3x3 128->128 @28", new Conv2dGeometry(128, 128, 28, 28, 3, 1, 1), 3),
        ("layer3.0.conv1 3x3/2 128->256 @28", new Conv2dGeometry(128, 256, 28, 28, 3, 2, 1), 1),
        ("layer3.0.downsample 1x1/2 128->256 @28", new Conv2dGeometry(128, 256, 28, 28, 1, 2, 0), 1),
        ("layer3 3x3 256->256 @14", new Conv2dGeometry(256, 256, 14, 14, 3, 1, 1), 3),
        ("layer4.0.conv1 3x3/2 256->512 @14", new Conv2dGeometry(256, 512, 14, 14, 3, 2, 1), 1),
        ("layer4.0.downsample 1x1/2 256->512 @14", new Conv2dGeometry(256, 512, 14, 14, 1, 2, 0), 1),
        ("layer4 3x3 512->512 @7", new Conv2dGeometry(512, 512, 7, 7, 3, 1, 1), 3),
    ];

    /// <summary>Prints the table: per convolution, FusedLayers' and libtorch's forward and backward times.</summary>
    public static void Run(int threads, int batch, int reps, Func<int, Action, double> median)
    {
        PeerNative.EnsureTorch();
        torch.set_num_threads(threads);
        KernelContext context = KernelContext.Create(KernelIsa.Avx512, threads) with { ConvAlgorithm = ConvAlgorithm.Direct };
        var random = new Random(5);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ResNet-18's convolutions, batch {batch}, {threads} thread(s), FusedLayers path {context.Isa}, median of {reps} (µs; x n = occurrences in the network)"));
        Console.WriteLine();
        Console.WriteLine("| convolution | x n | FL forward | torch forward | FL input grad | FL weight grad | FL backward | torch backward | FL / torch fwd | FL / torch bwd |");
        Console.WriteLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        double flFwd = 0, thFwd = 0, flBwd = 0, thBwd = 0;
        foreach ((string name, Conv2dGeometry g, int count) in Convs)
        {
            float[] x = Uniform(random, batch * g.InputSampleLength);
            float[] w = Uniform(random, g.WeightLength);
            float[] dy = Uniform(random, batch * g.OutputSampleLength);
            float[] y = new float[dy.Length], dx = new float[x.Length], dw = new float[w.Length];

            double fwd = Warm(median, reps, () => Conv2dKernels.Forward(context, g, batch, x, w, default, y, Activation.Identity, default, default));
            double bwdInput = Warm(median, reps, () => Conv2dKernels.BackwardInput(context, g, batch, dy, w, dx));
            double bwdWeight = Warm(median, reps, () => Conv2dKernels.BackwardParameters(context, g, batch, x, dy, dw, default));

            using var scope = torch.NewDisposeScope();
            TorchTensor tx = torch.tensor(x, [batch, g.InChannels, g.InHeight, g.InWidth]);
            TorchTensor tw = torch.tensor(w, [g.OutChannels, g.InChannels, g.KernelSize, g.KernelSize]);
            TorchTensor tdy = torch.tensor(dy, [batch, g.OutChannels, g.OutHeight, g.OutWidth]);
            long[] stride = [g.Stride, g.Stride], padding = [g.Padding, g.Padding];
            double torchFwd = Warm(median, reps, () =>
            {
                using IDisposable mode = torch.inference_mode();
                using var inner = torch.NewDisposeScope();
                nn.functional.conv2d(tx, tw, null, stride, padding);
            });
            TorchTensor gx = tx.detach().requires_grad_(true), gw = tw.detach().requires_grad_(true);
            TorchTensor ty = nn.functional.conv2d(gx, gw, null, stride, padding);
            double torchBwd = Warm(median, reps, () =>
            {
                gx.grad?.zero_();
                gw.grad?.zero_();
                ty.backward([tdy], retain_graph: true);
            });

            double bwd = bwdInput + bwdWeight;
            flFwd += count * fwd;
            thFwd += count * torchFwd;
            flBwd += count * bwd;
            thBwd += count * torchBwd;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {count} | {fwd:F0} | {torchFwd:F0} | {bwdInput:F0} | {bwdWeight:F0} | {bwd:F0} | {torchBwd:F0} | {fwd / torchFwd:F2} | {bwd / torchBwd:F2} |"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| all convolutions, weighted by n | | {flFwd:F0} | {thFwd:F0} | | | {flBwd:F0} | {thBwd:F0} | {flFwd / thFwd:F2} | {flBwd / thBwd:F2} |"));
        Console.WriteLine("(FL / torch < 1: FusedLayers faster. torch backward is conv2d's autograd backward, both gradients; its time includes zeroing them.)");
    }

    private static double Warm(Func<int, Action, double> median, int reps, Action action)
    {
        for (int i = 0; i < 5; i++)
        {
            action();
        }

        return median(reps, action);
    }

    private static float[] Uniform(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }
}
