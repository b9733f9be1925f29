using System;
using System.Collections.Generic;

namespace FusedLayers.Reference;

/// <summary>
/// Naive 2-D convolution (PyTorch's <c>nn.Conv2d</c>: cross-correlation, square kernel, zero padding,
/// no dilation or groups). Input <c>[N, Cin, H, W]</c>, output <c>[N, Cout, Hout, Wout]</c> with
/// <c>Hout = (H + 2p - k) / s + 1</c>:
/// <c>y[n,co,oy,ox] = b[co] + sum_{ci,ky,kx} W[co,ci,ky,kx] * x[n, ci, oy*s - p + ky, ox*s - p + kx]</c>,
/// where positions outside the input read as zero.
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
    public ReferenceConv2d(string name, int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inChannels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outChannels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kernelSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stride);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        Name = name;
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Weight = new ReferenceParameter(name + ".weight", outChannels, inChannels, kernelSize, kernelSize);
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

    /// <summary>Weight, <c>[out, in, k, k]</c>, named <c>name.weight</c>.</summary>
    public ReferenceParameter Weight { get; }

    /// <summary>Bias, <c>[out]</c>, named <c>name.bias</c>; null when the layer has no bias.</summary>
    public ReferenceParameter? Bias { get; }

    /// <inheritdoc />
    public IReadOnlyList<ReferenceParameter> Parameters => parameters;

    /// <summary>Output length along one axis: <c>(input + 2p - k) / s + 1</c>, or 0 when the kernel does not fit.</summary>
    /// <param name="inputSize">Input height or width.</param>
    public int OutputSize(int inputSize)
    {
        int padded = inputSize + (2 * Padding) - KernelSize;
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
                $"{Name}: kernel {KernelSize} with padding {Padding} does not fit input {ReferenceShape.Format(s)}.", nameof(input));
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
                        // y[n,co,oy,ox] = b[co] + sum_{ci,ky,kx} W[co,ci,ky,kx] * x[n,ci,iy,ix]
                        double sum = Bias is null ? 0.0 : Bias.Data[co];
                        for (int ci = 0; ci < InChannels; ci++)
                        {
                            for (int ky = 0; ky < KernelSize; ky++)
                            {
                                int iy = (oy * Stride) - Padding + ky;
                                if (iy < 0 || iy >= height)
                                {
                                    continue; // zero padding
                                }

                                for (int kx = 0; kx < KernelSize; kx++)
                                {
                                    int ix = (ox * Stride) - Padding + kx;
                                    if (ix < 0 || ix >= width)
                                    {
                                        continue; // zero padding
                                    }

                                    sum += w[WeightIndex(co, ci, ky, kx)] * x[Index(n, ci, iy, ix, InChannels, height, width)];
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

        // The adjoint of the forward loops: every product W[co,ci,ky,kx] * x[n,ci,iy,ix] that fed
        // y[n,co,oy,ox] sends dy back to both factors:
        //   dx[n,ci,iy,ix] += W[co,ci,ky,kx] * dy[n,co,oy,ox]
        //   dW[co,ci,ky,kx] += x[n,ci,iy,ix] * dy[n,co,oy,ox]
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

                        for (int ci = 0; ci < InChannels; ci++)
                        {
                            for (int ky = 0; ky < KernelSize; ky++)
                            {
                                int iy = (oy * Stride) - Padding + ky;
                                if (iy < 0 || iy >= height)
                                {
                                    continue;
                                }

                                for (int kx = 0; kx < KernelSize; kx++)
                                {
                                    int ix = (ox * Stride) - Padding + kx;
                                    if (ix < 0 || ix >= width)
                                    {
                                        continue;
                                    }

                                    int xi = Index(n, ci, iy, ix, InChannels, height, width);
                                    int wi = WeightIndex(co, ci, ky, kx);
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
        $"{Name}: ReferenceConv2d({InChannels}, {OutChannels}, kernel_size={KernelSize}, stride={Stride}, padding={Padding}, bias={Bias is not null})";

    /// <summary>Row-major offset of <c>[a, b, c, d]</c> in a tensor of shape <c>[*, sizeB, sizeC, sizeD]</c>.</summary>
    private static int Index(int a, int b, int c, int d, int sizeB, int sizeC, int sizeD) =>
        (((((a * sizeB) + b) * sizeC) + c) * sizeD) + d;

    private int WeightIndex(int co, int ci, int ky, int kx) => Index(co, ci, ky, kx, InChannels, KernelSize, KernelSize);
}
