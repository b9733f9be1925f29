using System;
using System.Collections.Generic;

namespace FusedLayers.Reference;

/// <summary>
/// Naive 2-D max pooling (PyTorch's <c>nn.MaxPool2d</c>, floor mode, dilation 1). Input <c>[N, C, H, W]</c>,
/// output <c>[N, C, Hout, Wout]</c> with <c>Hout = (H + 2p - k) / s + 1</c>:
/// <c>y[n,c,oy,ox] = max over ky, kx of x[n, c, oy*s - p + ky, ox*s - p + kx]</c>, positions outside the input
/// reading as -infinity. The window is scanned row by row, and an element replaces the running maximum when
/// <c>val &gt; max || isnan(val)</c> (PyTorch's CPU kernel): the first maximum wins ties, and a NaN propagates
/// (the last NaN in scan order is the arg-max). Backward routes each output gradient to its arg-max,
/// accumulating where overlapping windows share one.
/// </summary>
public sealed class ReferenceMaxPool2d : IReferenceLayer
{
    private int[]? inputShape;
    private int[]? outputShape;
    private int[]? argMax;

    /// <summary>Creates the layer.</summary>
    /// <param name="name">Layer name.</param>
    /// <param name="kernelSize">Window height and width (<c>kernel_size</c>).</param>
    /// <param name="stride">Step between windows; null (PyTorch's <c>None</c>) means <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Implicit -infinity padding on each side; at most <c>kernelSize / 2</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the padding is negative.</exception>
    /// <exception cref="ArgumentException">The padding exceeds half the kernel size.</exception>
    public ReferenceMaxPool2d(string name, int kernelSize, int? stride = null, int padding = 0)
    {
        ArgumentNullException.ThrowIfNull(name);
        Stride = ReferencePool2dShape.Validate(name, kernelSize, stride, padding);
        Name = name;
        KernelSize = kernelSize;
        Padding = padding;
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

    /// <summary>Implicit -infinity padding on each side.</summary>
    public int Padding { get; }

    /// <summary>
    /// The arg-max of every output of the last forward pass, as the flat index <c>iy * W + ix</c> within its input
    /// plane (PyTorch's <c>return_indices=True</c>); null before the first forward pass.
    /// </summary>
    public IReadOnlyList<int>? Indices => argMax;

    /// <inheritdoc />
    public ReferenceTensor Forward(ReferenceTensor input)
    {
        (int outHeight, int outWidth) = ReferencePool2dShape.CheckInput(Name, input, KernelSize, Stride, Padding);
        int batch = input.Shape[0], channels = input.Shape[1], height = input.Shape[2], width = input.Shape[3];
        var output = new ReferenceTensor(batch, channels, outHeight, outWidth);
        var indices = new int[output.Length];
        double[] x = input.Data;
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                int plane = ReferencePool2dShape.Index(n, c, 0, 0, channels, height, width);
                for (int oy = 0; oy < outHeight; oy++)
                {
                    for (int ox = 0; ox < outWidth; ox++)
                    {
                        int y0 = (oy * Stride) - Padding, x0 = (ox * Stride) - Padding;
                        int yStart = Math.Max(y0, 0), yEnd = Math.Min(y0 + KernelSize, height);
                        int xStart = Math.Max(x0, 0), xEnd = Math.Min(x0 + KernelSize, width);

                        // Padding is -infinity: it never wins, so only real positions are scanned. The
                        // arg-max starts at the first real position (it stays there if all values are -inf).
                        double max = double.NegativeInfinity;
                        int best = (yStart * width) + xStart;
                        for (int iy = yStart; iy < yEnd; iy++)
                        {
                            for (int ix = xStart; ix < xEnd; ix++)
                            {
                                double v = x[plane + (iy * width) + ix];
                                if (v > max || double.IsNaN(v))
                                {
                                    max = v;
                                    best = (iy * width) + ix;
                                }
                            }
                        }

                        int o = ReferencePool2dShape.Index(n, c, oy, ox, channels, outHeight, outWidth);
                        output.Data[o] = max;
                        indices[o] = best;
                    }
                }
            }
        }

        inputShape = (int[])input.Shape.Clone();
        outputShape = (int[])output.Shape.Clone();
        argMax = indices;
        return output;
    }

    /// <inheritdoc />
    public ReferenceTensor Backward(ReferenceTensor gradOutput)
    {
        ReferenceShape.CheckGradOutput(Name, outputShape, gradOutput);
        var gradInput = new ReferenceTensor(inputShape!);
        int planes = inputShape![0] * inputShape[1];
        int inPlane = inputShape[2] * inputShape[3], outPlane = outputShape![2] * outputShape[3];
        for (int p = 0; p < planes; p++)
        {
            for (int o = 0; o < outPlane; o++)
            {
                // dx[arg-max] += dy: overlapping windows that share an arg-max both contribute.
                gradInput.Data[(p * inPlane) + argMax![(p * outPlane) + o]] += gradOutput.Data[(p * outPlane) + o];
            }
        }

        return gradInput;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: ReferenceMaxPool2d(kernel_size={KernelSize}, stride={Stride}, padding={Padding})";
}
