using System;
using System.Collections.Generic;

namespace FusedLayers.Reference;

/// <summary>
/// Naive 2-D average pooling (PyTorch's <c>nn.AvgPool2d</c>, floor mode, no <c>divisor_override</c>). Input
/// <c>[N, C, H, W]</c>, output <c>[N, C, Hout, Wout]</c> with <c>Hout = (H + 2p - k) / s + 1</c>:
/// <c>y[n,c,oy,ox] = (sum of x over the window's real positions) / divisor</c>, padding reading as zero. As
/// PyTorch's CPU kernel: the window <c>[oy*s - p, oy*s - p + k)</c> is first clipped to the padded input
/// <c>[-p, H + p)</c>, and with <c>count_include_pad</c> the divisor is that window's area; without it the
/// divisor counts only the positions inside the input. Backward: <c>dx += dy / divisor</c> over each window's
/// real positions.
/// </summary>
public sealed class ReferenceAvgPool2d : IReferenceLayer
{
    private int[]? inputShape;
    private int[]? outputShape;

    /// <summary>Creates the layer.</summary>
    /// <param name="name">Layer name.</param>
    /// <param name="kernelSize">Window height and width (<c>kernel_size</c>).</param>
    /// <param name="stride">Step between windows; null (PyTorch's <c>None</c>) means <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Implicit zero padding on each side; at most <c>kernelSize / 2</c>.</param>
    /// <param name="countIncludePad">Whether the divisor counts padded positions (<c>count_include_pad</c>, default true).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the padding is negative.</exception>
    /// <exception cref="ArgumentException">The padding exceeds half the kernel size.</exception>
    public ReferenceAvgPool2d(string name, int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true)
    {
        ArgumentNullException.ThrowIfNull(name);
        Stride = ReferencePool2dShape.Validate(name, kernelSize, stride, padding);
        Name = name;
        KernelSize = kernelSize;
        Padding = padding;
        CountIncludePad = countIncludePad;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public bool Training { get; set; } = true;

    /// <inheritdoc />
    public IReadOnlyList<ReferenceParameter> Parameters => [];

    /// <summary>Window height and width.</summary>
    public int KernelSize { get; }

    /// <summary>Step between windows.</summary>
    public int Stride { get; }

    /// <summary>Implicit zero padding on each side.</summary>
    public int Padding { get; }

    /// <summary>Whether the divisor counts padded positions.</summary>
    public bool CountIncludePad { get; }

    /// <inheritdoc />
    public ReferenceTensor Forward(ReferenceTensor input)
    {
        (int outHeight, int outWidth) = ReferencePool2dShape.CheckInput(Name, input, KernelSize, Stride, Padding);
        int batch = input.Shape[0], channels = input.Shape[1], height = input.Shape[2], width = input.Shape[3];
        var output = new ReferenceTensor(batch, channels, outHeight, outWidth);
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                for (int oy = 0; oy < outHeight; oy++)
                {
                    for (int ox = 0; ox < outWidth; ox++)
                    {
                        Window w = WindowOf(oy, ox, height, width);
                        double sum = 0.0;
                        for (int iy = w.YStart; iy < w.YEnd; iy++)
                        {
                            for (int ix = w.XStart; ix < w.XEnd; ix++)
                            {
                                sum += input.Data[ReferencePool2dShape.Index(n, c, iy, ix, channels, height, width)];
                            }
                        }

                        output.Data[ReferencePool2dShape.Index(n, c, oy, ox, channels, outHeight, outWidth)] = sum / w.Divisor;
                    }
                }
            }
        }

        inputShape = (int[])input.Shape.Clone();
        outputShape = (int[])output.Shape.Clone();
        return output;
    }

    /// <inheritdoc />
    public ReferenceTensor Backward(ReferenceTensor gradOutput)
    {
        ReferenceShape.CheckGradOutput(Name, outputShape, gradOutput);
        var gradInput = new ReferenceTensor(inputShape!);
        int batch = inputShape![0], channels = inputShape[1], height = inputShape[2], width = inputShape[3];
        int outHeight = outputShape![2], outWidth = outputShape[3];
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                for (int oy = 0; oy < outHeight; oy++)
                {
                    for (int ox = 0; ox < outWidth; ox++)
                    {
                        Window w = WindowOf(oy, ox, height, width);
                        double g = gradOutput.Data[ReferencePool2dShape.Index(n, c, oy, ox, channels, outHeight, outWidth)] / w.Divisor;
                        for (int iy = w.YStart; iy < w.YEnd; iy++)
                        {
                            for (int ix = w.XStart; ix < w.XEnd; ix++)
                            {
                                gradInput.Data[ReferencePool2dShape.Index(n, c, iy, ix, channels, height, width)] += g;
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
        $"{Name}: ReferenceAvgPool2d(kernel_size={KernelSize}, stride={Stride}, padding={Padding}, count_include_pad={CountIncludePad})";

    /// <summary>The real positions of one window and its divisor, as PyTorch's <c>avg_pool2d</c> CPU kernel.</summary>
    private Window WindowOf(int oy, int ox, int height, int width)
    {
        int y0 = (oy * Stride) - Padding, x0 = (ox * Stride) - Padding;
        int y1 = Math.Min(y0 + KernelSize, height + Padding), x1 = Math.Min(x0 + KernelSize, width + Padding);
        int paddedArea = (y1 - y0) * (x1 - x0);
        int yStart = Math.Max(y0, 0), xStart = Math.Max(x0, 0);
        int yEnd = Math.Min(y1, height), xEnd = Math.Min(x1, width);
        int divisor = CountIncludePad ? paddedArea : (yEnd - yStart) * (xEnd - xStart);
        return new Window(yStart, yEnd, xStart, xEnd, divisor);
    }

    private readonly record struct Window(int YStart, int YEnd, int XStart, int XEnd, int Divisor);
}
