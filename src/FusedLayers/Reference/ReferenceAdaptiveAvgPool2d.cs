using System;
using System.Collections.Generic;

namespace FusedLayers.Reference;

/// <summary>
/// Naive adaptive 2-D average pooling (PyTorch's <c>nn.AdaptiveAvgPool2d</c>, square output). Input
/// <c>[N, C, H, W]</c>, output <c>[N, C, S, S]</c> with <c>S = output_size</c>; output cell <c>(oy, ox)</c>
/// averages rows <c>[floor(oy*H/S), ceil((oy+1)*H/S))</c> and the same for columns, as PyTorch's
/// <c>start_index</c> / <c>end_index</c>. <c>output_size = 1</c> (the default) is global average pooling:
/// <c>y[n,c,0,0] = mean over the plane</c>.
/// </summary>
public sealed class ReferenceAdaptiveAvgPool2d : IReferenceLayer
{
    private int[]? inputShape;
    private int[]? outputShape;

    /// <summary>Creates the layer.</summary>
    /// <param name="name">Layer name.</param>
    /// <param name="outputSize">Output height and width (<c>output_size</c>); 1 is global average pooling.</param>
    /// <exception cref="ArgumentOutOfRangeException">The output size is not positive.</exception>
    public ReferenceAdaptiveAvgPool2d(string name, int outputSize = 1)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputSize);
        Name = name;
        OutputSize = outputSize;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public bool Training { get; set; } = true;

    /// <inheritdoc />
    public IReadOnlyList<ReferenceParameter> Parameters => [];

    /// <summary>Output height and width.</summary>
    public int OutputSize { get; }

    /// <inheritdoc />
    public ReferenceTensor Forward(ReferenceTensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int[] s = input.Shape;
        if (s.Length != 4 || s[2] < 1 || s[3] < 1)
        {
            throw new ArgumentException($"{Name}: expected input [N, C, H, W] with H, W >= 1, got {ReferenceShape.Format(s)}.", nameof(input));
        }

        int batch = s[0], channels = s[1], height = s[2], width = s[3];
        var output = new ReferenceTensor(batch, channels, OutputSize, OutputSize);
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                for (int oy = 0; oy < OutputSize; oy++)
                {
                    int y0 = Start(oy, height), y1 = End(oy, height);
                    for (int ox = 0; ox < OutputSize; ox++)
                    {
                        int x0 = Start(ox, width), x1 = End(ox, width);
                        double sum = 0.0;
                        for (int iy = y0; iy < y1; iy++)
                        {
                            for (int ix = x0; ix < x1; ix++)
                            {
                                sum += input.Data[ReferencePool2dShape.Index(n, c, iy, ix, channels, height, width)];
                            }
                        }

                        output.Data[ReferencePool2dShape.Index(n, c, oy, ox, channels, OutputSize, OutputSize)] = sum / ((y1 - y0) * (x1 - x0));
                    }
                }
            }
        }

        inputShape = (int[])s.Clone();
        outputShape = (int[])output.Shape.Clone();
        return output;
    }

    /// <inheritdoc />
    public ReferenceTensor Backward(ReferenceTensor gradOutput)
    {
        ReferenceShape.CheckGradOutput(Name, outputShape, gradOutput);
        var gradInput = new ReferenceTensor(inputShape!);
        int batch = inputShape![0], channels = inputShape[1], height = inputShape[2], width = inputShape[3];
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                for (int oy = 0; oy < OutputSize; oy++)
                {
                    int y0 = Start(oy, height), y1 = End(oy, height);
                    for (int ox = 0; ox < OutputSize; ox++)
                    {
                        int x0 = Start(ox, width), x1 = End(ox, width);
                        double g = gradOutput.Data[ReferencePool2dShape.Index(n, c, oy, ox, channels, OutputSize, OutputSize)] / ((y1 - y0) * (x1 - x0));
                        for (int iy = y0; iy < y1; iy++)
                        {
                            for (int ix = x0; ix < x1; ix++)
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
    public override string ToString() => $"{Name}: ReferenceAdaptiveAvgPool2d(output_size={OutputSize})";

    /// <summary>PyTorch's <c>start_index</c>: <c>floor(o * input / output)</c>.</summary>
    private int Start(int o, int input) => (int)((long)o * input / OutputSize);

    /// <summary>PyTorch's <c>end_index</c>: <c>ceil((o + 1) * input / output)</c>.</summary>
    private int End(int o, int input) => (int)((((long)(o + 1) * input) + OutputSize - 1) / OutputSize);
}
