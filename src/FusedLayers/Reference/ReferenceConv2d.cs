using System;
using System.Collections.Generic;

namespace FusedLayers.Reference;

/// <summary>
/// Naive 2-D convolution (PyTorch's <c>nn.Conv2d</c>: cross-correlation, square kernel, zero padding,
/// dilation and groups). Input <c>[N, Cin, H, W]</c>, weight <c>[Cout, Cin / groups, k, k]</c>, output
/// <c>[N, Cout, Hout, Wout]</c> with <c>Hout = (H + 2p - d(k - 1) - 1) / s + 1</c>:
/// <c>y[n,co,oy,ox] = b[co] + sum_{j,ky,kx} W[co,j,ky,kx] * x[n, g*Cin/G + j, oy*s - p + d*ky, ox*s - p + d*kx]</c>,
/// where <c>g = co / (Cout / G)</c> is the output channel's group, <c>j</c> runs over the <c>Cin / G</c> input
/// channels of that group, and positions outside the input read as zero. <c>groups = Cin</c> is a depthwise
/// convolution.
/// </summary>
public sealed class ReferenceConv2d : IReferenceLayer
{
    private readonly ReferenceParameter[] parameters;
    private ReferenceTensor? savedInput;
    private int[]? outputShape;

    /// <summary>Creates the layer with zero weight and bias (copy values in with <see cref="ReferenceParameter.CopyFrom(ReadOnlySpan{float})"/>).</summary>
    /// <param name="name">Layer name, the prefix of the state-dict keys.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernelSize">Kernel height and width.</param>
    /// <param name="stride">Stride along both axes.</param>
    /// <param name="padding">Zero padding on each side of both axes.</param>
    /// <param name="bias">Whether the layer has a bias.</param>
    /// <param name="dilation">Spacing between kernel taps along both axes (<c>dilation</c>, default 1).</param>
    /// <param name="groups">Number of channel groups (<c>groups</c>, default 1); must divide both channel counts.</param>
    /// <exception cref="ArgumentException">A channel count is not divisible by <paramref name="groups"/>.</exception>
    public ReferenceConv2d(
        string name, int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, bool bias = true, int dilation = 1, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inChannels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outChannels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kernelSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stride);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dilation);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(groups);
        if (inChannels % groups != 0 || outChannels % groups != 0)
        {
            throw new ArgumentException(
                $"{name}: in_channels ({inChannels}) and out_channels ({outChannels}) must both be divisible by groups ({groups}).", nameof(groups));
        }

        Name = name;
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
        Groups = groups;
        Weight = new ReferenceParameter(name + ".weight", outChannels, inChannels / groups, kernelSize, kernelSize);
        Bias = bias ? new ReferenceParameter(name + ".bias", outChannels) : null;
        parameters = Bias is null ? [Weight] : [Weight, Bias];
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public bool Training { get; set; } = true;

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Kernel height and width.</summary>
    public int KernelSize { get; }

    /// <summary>Stride along both axes.</summary>
    public int Stride { get; }

    /// <summary>Zero padding on each side of both axes.</summary>
    public int Padding { get; }

    /// <summary>Spacing between kernel taps along both axes.</summary>
    public int Dilation { get; }

    /// <summary>Number of channel groups.</summary>
    public int Groups { get; }

    /// <summary>Weight, <c>[out, in / groups, k, k]</c>, named <c>name.weight</c>.</summary>
    public ReferenceParameter Weight { get; }

    /// <summary>Bias, <c>[out]</c>, named <c>name.bias</c>; null when the layer has no bias.</summary>
    public ReferenceParameter? Bias { get; }

    /// <inheritdoc />
    public IReadOnlyList<ReferenceParameter> Parameters => parameters;

    /// <summary>Output length along one axis: <c>(input + 2p - d(k - 1) - 1) / s + 1</c>, or 0 when the kernel does not fit.</summary>
    /// <param name="inputSize">Input height or width.</param>
    public int OutputSize(int inputSize)
    {
        int padded = inputSize + (2 * Padding) - (Dilation * (KernelSize - 1)) - 1;
        return padded < 0 ? 0 : (padded / Stride) + 1;
    }

    /// <inheritdoc />
    public ReferenceTensor Forward(ReferenceTensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int[] s = input.Shape;
        if (s.Length != 4 || s[1] != InChannels)
        {
            throw new ArgumentException(
                $"{Name}: expected input [N, {InChannels}, H, W], got {ReferenceShape.Format(s)}.", nameof(input));
        }

        int batch = s[0], height = s[2], width = s[3];
        int outHeight = OutputSize(height), outWidth = OutputSize(width);
        if (outHeight < 1 || outWidth < 1)
        {
            throw new ArgumentException(
                $"{Name}: kernel {KernelSize} with padding {Padding} and dilation {Dilation} does not fit input {ReferenceShape.Format(s)}.", nameof(input));
        }

        var output = new ReferenceTensor(batch, OutChannels, outHeight, outWidth);
        double[] x = input.Data, w = Weight.Data, y = output.Data;
        for (int n = 0; n < batch; n++)
        {
            for (int co = 0; co < OutChannels; co++)
            {
                for (int oy = 0; oy < outHeight; oy++)
                {
                    for (int ox = 0; ox < outWidth; ox++)
                    {
                        // y[n,co,oy,ox] = b[co] + sum_{j,ky,kx} W[co,j,ky,kx] * x[n,firstIn+j,iy,ix]
                        double sum = Bias is null ? 0.0 : Bias.Data[co];
                        int firstIn = FirstInputChannel(co);
                        for (int j = 0; j < GroupInChannels; j++)
                        {
                            int ci = firstIn + j;
                            for (int ky = 0; ky < KernelSize; ky++)
                            {
                                int iy = (oy * Stride) - Padding + (Dilation * ky);
                                if (iy < 0 || iy >= height)
                                {
                                    continue; // zero padding
                                }

                                for (int kx = 0; kx < KernelSize; kx++)
                                {
                                    int ix = (ox * Stride) - Padding + (Dilation * kx);
                                    if (ix < 0 || ix >= width)
                                    {
                                        continue; // zero padding
                                    }

                                    sum += w[WeightIndex(co, j, ky, kx)] * x[Index(n, ci, iy, ix, InChannels, height, width)];
                                }
                            }
                        }

                        y[Index(n, co, oy, ox, OutChannels, outHeight, outWidth)] = sum;
                    }
                }
            }
        }

        savedInput = input.Clone();
        outputShape = (int[])output.Shape.Clone();
        return output;
    }

    /// <inheritdoc />
    public ReferenceTensor Backward(ReferenceTensor gradOutput)
    {
        ReferenceShape.CheckGradOutput(Name, outputShape, gradOutput);
        ReferenceTensor input = savedInput!;
        int batch = input.Shape[0], height = input.Shape[2], width = input.Shape[3];
        int outHeight = outputShape![2], outWidth = outputShape[3];

        var gradInput = new ReferenceTensor(input.Shape);
        double[] x = input.Data, w = Weight.Data, dy = gradOutput.Data, dx = gradInput.Data, dw = Weight.Grad;
        double[]? db = Bias?.Grad;

        // The adjoint of the forward loops: every product W[co,j,ky,kx] * x[n,ci,iy,ix] that fed
        // y[n,co,oy,ox] (ci = firstIn + j) sends dy back to both factors:
        //   dx[n,ci,iy,ix] += W[co,j,ky,kx] * dy[n,co,oy,ox]
        //   dW[co,j,ky,kx] += x[n,ci,iy,ix] * dy[n,co,oy,ox]
        //   db[co]          += dy[n,co,oy,ox]
        for (int n = 0; n < batch; n++)
        {
            for (int co = 0; co < OutChannels; co++)
            {
                for (int oy = 0; oy < outHeight; oy++)
                {
                    for (int ox = 0; ox < outWidth; ox++)
                    {
                        double g = dy[Index(n, co, oy, ox, OutChannels, outHeight, outWidth)];
                        if (db is not null)
                        {
                            db[co] += g;
                        }

                        int firstIn = FirstInputChannel(co);
                        for (int j = 0; j < GroupInChannels; j++)
                        {
                            int ci = firstIn + j;
                            for (int ky = 0; ky < KernelSize; ky++)
                            {
                                int iy = (oy * Stride) - Padding + (Dilation * ky);
                                if (iy < 0 || iy >= height)
                                {
                                    continue;
                                }

                                for (int kx = 0; kx < KernelSize; kx++)
                                {
                                    int ix = (ox * Stride) - Padding + (Dilation * kx);
                                    if (ix < 0 || ix >= width)
                                    {
                                        continue;
                                    }

                                    int xi = Index(n, ci, iy, ix, InChannels, height, width);
                                    int wi = WeightIndex(co, j, ky, kx);
                                    dx[xi] += w[wi] * g;
                                    dw[wi] += x[xi] * g;
                                }
                            }
                        }
                    }
                }
            }
        }

        return gradInput;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name}: ReferenceConv2d({InChannels}, {OutChannels}, kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, groups={Groups}, bias={Bias is not null})";

    /// <summary>Row-major offset of <c>[a, b, c, d]</c> in a tensor of shape <c>[*, sizeB, sizeC, sizeD]</c>.</summary>
    private static int Index(int a, int b, int c, int d, int sizeB, int sizeC, int sizeD) =>
        (((((a * sizeB) + b) * sizeC) + c) * sizeD) + d;

    /// <summary>Input channels per group, <c>Cin / groups</c> (the weight's second dimension).</summary>
    private int GroupInChannels => InChannels / Groups;

    /// <summary>The first input channel of output channel <paramref name="co"/>'s group.</summary>
    private int FirstInputChannel(int co) => co / (OutChannels / Groups) * GroupInChannels;

    private int WeightIndex(int co, int j, int ky, int kx) => Index(co, j, ky, kx, GroupInChannels, KernelSize, KernelSize);
}
