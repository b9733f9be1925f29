using System;
using System.Globalization;
using System.IO;

namespace FusedLayers.Benchmarks.Compare;

/// <summary>
/// A roofline estimate per row: the time the conv/linear FLOPs need at the measured FMA peak, against
/// the time the row's unavoidable memory traffic needs at the measured copy bandwidth of the level its
/// working set lives in (L3 when it fits in half of it, else DRAM). The larger is the bound.
/// </summary>
/// <remarks>
/// The traffic is a lower bound for a fused implementation, in floats (x 4 bytes), with
/// <c>in</c>, <c>out</c> and <c>W</c> the input, output and parameter (+ running statistics) sizes:
/// inference reads the input and weights and writes the output once (BatchNorm folded, ReLU in the
/// epilogue): <c>in + out + W</c>. A training forward must see the whole conv output before it can
/// normalise (batch statistics), so it writes the conv output, reads it back and writes the result:
/// <c>in + W + 3 out</c>. A training step adds the backward pass: BatchNorm's reductions read the output
/// gradient and the saved conv output, the gradient pass reads both again, the weight gradient reads the
/// input, the input gradient is written: <c>3 in + 7 out + 3 W</c> in all. The ResNet block is a chain of eight
/// fused kernels (see the fusion plan of the generated <c>ResNetStage</c>); its figures are the sums of
/// the kernels' in, out and W (the formulas are linear in them), with the skip read by each add counted
/// as a second input and the max pool, global average pool and classifier treated like the other
/// kernels: an estimate rather than a strict bound, about a hundred times below the compute bound anyway. The
/// ResNet18 block (torchvision's whole ResNet-18) is counted the same way, layer by layer; ResNet18b1 likewise at batch 1,
/// where the weights (11.7 M floats) outweigh the activations.
/// </remarks>
public static class Roofline
{
    /// <summary>Input, output and parameter/buffer element counts of a block (whole batch).</summary>
    public static (double Input, double Output, double Weights) Elements(string block) => block switch
    {
        "S" => (8.0 * 3 * 32 * 32, 8.0 * 64 * 32 * 32, (64 * 3 * 9) + 64 + (4 * 64)),
        "R" => (32.0 * 64 * 56 * 56, 32.0 * 64 * 56 * 56, (64 * 64 * 9) + (4 * 64)),
        "L" => (256.0 * 784, 256.0 * 256, (256 * 784) + 256 + (4 * 256)),
        "ResNet" => ResNetElements(),
        "ResNet18" or "ResNet18b1" => ResNet18Elements(BlockShapes.Batch(block)),
        _ => throw new ArgumentException("Unknown block " + block, nameof(block)),
    };

    /// <summary>
    /// The ResNet block's kernels, per image: stem conv (3x224x224 -> 64x112x112), max pool (-> 64x56x56),
    /// four 3x3 convs at 64x56x56 (the two with an add read the skip too), global average pool (-> 64),
    /// classifier (-> 10); weights: the 158,154 parameters and 640 running statistics.
    /// </summary>
    private static (double Input, double Output, double Weights) ResNetElements()
    {
        const double Plane56 = 64 * 56 * 56;
        const double Plane112 = 64 * 112 * 112;
        double input = (3 * 224 * 224) + Plane112 + (2 * Plane56) + (2 * 2 * Plane56) + Plane56 + 64;
        double output = Plane112 + Plane56 + (4 * Plane56) + 64 + 10;
        double weights = (64 * 3 * 49) + (4 * 64 * 64 * 9) + (64 * 10) + 10 + (5 * 4 * 64);
        return (BlockShapes.ResNetBatch * input, BlockShapes.ResNetBatch * output, weights);
    }

    /// <summary>
    /// The ResNet18 (batch <paramref name="batch"/>: 16, or 1 for ResNet18b1) block's kernels, per image: the stem conv and max pool as in the ResNet block; per stage of
    /// <c>p</c> planes at <c>s x s</c> after an input of <c>q</c> planes at <c>t x t</c>: four 3x3 convs (the first reads
    /// the stage input), the two adds' skips, and for stages 2-4 the 1x1 downsample conv; global average pool (512x7x7
    /// -> 512) and fc (-> 1000). Weights: the 11,689,512 parameters and 9,600 running statistics (4,800 BatchNorm channels).
    /// </summary>
    private static (double Input, double Output, double Weights) ResNet18Elements(int batch)
    {
        double input = (3 * 224 * 224) + (64 * 112 * 112);
        double output = (64 * 112 * 112) + (64 * 56 * 56);
        double weights = (64 * 3 * 49) + (4 * 64);
        (int Planes, int Size)[] stages = [(64, 56), (128, 28), (256, 14), (512, 7)];
        for (int i = 0; i < stages.Length; i++)
        {
            (int inPlanes, int inSize) = i == 0 ? stages[0] : stages[i - 1];
            (int planes, int size) = stages[i];
            double stageInput = (double)inPlanes * inSize * inSize, plane = (double)planes * size * size;
            bool downsample = i > 0;
            input += stageInput + (3 * plane) + (2 * plane) + (downsample ? stageInput : 0);
            output += (4 * plane) + (downsample ? plane : 0);
            weights += (planes * inPlanes * 9.0) + (3.0 * planes * planes * 9) + (4 * 4.0 * planes) +
                (downsample ? (planes * (double)inPlanes) + (4.0 * planes) : 0);
        }

        input += (512 * 7 * 7) + 512;
        output += 512 + ResNet.ResNet18.Classes;
        weights += (512.0 * ResNet.ResNet18.Classes) + ResNet.ResNet18.Classes;
        return (batch * input, batch * output, weights);
    }

    /// <summary>Estimated minimum bytes read + written by one run of the mode (see remarks).</summary>
    public static double BytesMoved(string block, string mode)
    {
        (double input, double output, double weights) = Elements(block);
        return 4 * mode switch
        {
            "InferForward" => input + output + weights,
            "TrainForward" => input + weights + (3 * output),
            "TrainStep" => (3 * input) + (7 * output) + (3 * weights),
            _ => throw new ArgumentException("Unknown mode " + mode, nameof(mode)),
        };
    }

    /// <summary>Bytes of distinct data the mode touches (input, output, saved activations, gradients).</summary>
    public static double WorkingSet(string block, string mode)
    {
        (double input, double output, double weights) = Elements(block);
        return 4 * mode switch
        {
            "InferForward" => input + output + weights,
            "TrainForward" => input + (2 * output) + weights,
            _ => (2 * input) + (4 * output) + (2 * weights),
        };
    }

    /// <summary>The last-level cache size from sysfs (Linux), or null.</summary>
    public static long? LastLevelCacheBytes()
    {
        try
        {
            string path = "/sys/devices/system/cpu/cpu0/cache/index3/size";
            if (!File.Exists(path))
            {
                return null;
            }

            string text = File.ReadAllText(path).Trim();
            long scale = text.EndsWith('K') ? 1024 : text.EndsWith('M') ? 1024 * 1024 : 1;
            return long.Parse(text.TrimEnd('K', 'M'), CultureInfo.InvariantCulture) * scale;
        }
        catch (IOException)
        {
            return null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
