using System;
using System.Globalization;

namespace FusedLayers.Reference;

/// <summary>
/// Argument and shape rules shared by the reference pooling layers, as PyTorch's
/// <c>pool2d_shape_check</c> / <c>pooling_output_shape</c> (floor mode, dilation 1).
/// </summary>
internal static class ReferencePool2dShape
{
    /// <summary>
    /// Checks <c>kernel_size &gt;= 1</c>, <c>stride &gt;= 1</c>, <c>padding &gt;= 0</c> and PyTorch's rule
    /// <c>padding &lt;= kernel_size / 2</c> (integer division); returns the stride (the kernel size when null).
    /// </summary>
    public static int Validate(string layer, int kernelSize, int? stride, int padding)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kernelSize);
        int s = stride ?? kernelSize;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(s, nameof(stride));
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        if (padding > kernelSize / 2)
        {
            throw new ArgumentException(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{layer}: pad should be at most half of effective kernel size, but got padding={padding} and kernel_size={kernelSize}."),
                nameof(padding));
        }

        return s;
    }

    /// <summary>Floor-mode output length <c>(input + 2p - k) / s + 1</c>, or 0 when the window does not fit.</summary>
    public static int OutputSize(int input, int kernelSize, int stride, int padding) =>
        ShapeMath.ConvOutputSize(input, kernelSize, stride, padding);

    /// <summary>Checks that the input is <c>[N, C, H, W]</c> and the pooled plane is not empty; returns <c>(Hout, Wout)</c>.</summary>
    public static (int OutHeight, int OutWidth) CheckInput(string layer, ReferenceTensor input, int kernelSize, int stride, int padding)
    {
        ArgumentNullException.ThrowIfNull(input);
        int[] s = input.Shape;
        if (s.Length != 4)
        {
            throw new ArgumentException($"{layer}: expected input [N, C, H, W], got {ReferenceShape.Format(s)}.", nameof(input));
        }

        int outHeight = OutputSize(s[2], kernelSize, stride, padding);
        int outWidth = OutputSize(s[3], kernelSize, stride, padding);
        if (outHeight < 1 || outWidth < 1)
        {
            throw new ArgumentException(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{layer}: kernel {kernelSize} with stride {stride} and padding {padding} gives an empty output for input {ReferenceShape.Format(s)}."),
                nameof(input));
        }

        return (outHeight, outWidth);
    }

    /// <summary>Row-major offset of <c>[a, b, c, d]</c> in a tensor of shape <c>[*, sizeB, sizeC, sizeD]</c>.</summary>
    public static int Index(int a, int b, int c, int d, int sizeB, int sizeC, int sizeD) =>
        (((((a * sizeB) + b) * sizeC) + c) * sizeD) + d;
}
