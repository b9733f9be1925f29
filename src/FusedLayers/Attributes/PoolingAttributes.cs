using System;

namespace FusedLayers;

/// <summary>
/// 2-D max pooling, as PyTorch's <c>nn.MaxPool2d(kernel_size, stride=None, padding=0)</c> (floor mode, no
/// dilation): each output is the largest input of its window, implicit <c>-inf</c> padding. Backward routes the
/// gradient to the arg-max (the first maximum in scan order), saved in forward. Input per sample
/// <c>[C, H, W]</c>. The property must be of type <see cref="MaxPool2dLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class MaxPool2dAttribute : Attribute
{
    /// <summary>Declares a max-pooling layer.</summary>
    /// <param name="kernelSize">Window size (<c>kernel_size</c>).</param>
    public MaxPool2dAttribute(int kernelSize) => KernelSize = kernelSize;

    /// <summary>Window size (<c>kernel_size</c>).</summary>
    public int KernelSize { get; }

    /// <summary>Step between windows (<c>stride</c>); 0, the default, means the kernel size, as PyTorch's <c>stride=None</c>.</summary>
    public int Stride { get; set; }

    /// <summary>Implicit <c>-inf</c> padding on each side (<c>padding</c>, default 0); at most half the kernel size.</summary>
    public int Padding { get; set; }
}

/// <summary>
/// 2-D average pooling, as PyTorch's <c>nn.AvgPool2d(kernel_size, stride=None, padding=0, count_include_pad=True)</c>
/// (floor mode). Input per sample <c>[C, H, W]</c>. The property must be of type <see cref="AvgPool2dLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class AvgPool2dAttribute : Attribute
{
    /// <summary>Declares an average-pooling layer.</summary>
    /// <param name="kernelSize">Window size (<c>kernel_size</c>).</param>
    public AvgPool2dAttribute(int kernelSize) => KernelSize = kernelSize;

    /// <summary>Window size (<c>kernel_size</c>).</summary>
    public int KernelSize { get; }

    /// <summary>Step between windows (<c>stride</c>); 0, the default, means the kernel size.</summary>
    public int Stride { get; set; }

    /// <summary>Zero padding on each side (<c>padding</c>, default 0); at most half the kernel size.</summary>
    public int Padding { get; set; }

    /// <summary>Whether padded zeros count in the divisor (<c>count_include_pad</c>, default true).</summary>
    public bool CountIncludePad { get; set; } = true;
}

/// <summary>
/// Global average pooling, as PyTorch's <c>nn.AdaptiveAvgPool2d(1)</c>: <c>[C, H, W] -&gt; [C, 1, 1]</c>. Only an
/// output size of 1 is supported. The property must be of type <see cref="AdaptiveAvgPool2dLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class AdaptiveAvgPool2dAttribute : Attribute
{
    /// <summary>Declares a global average-pooling layer.</summary>
    /// <param name="outputSize">Output height and width (<c>output_size</c>); must be 1.</param>
    public AdaptiveAvgPool2dAttribute(int outputSize) => OutputSize = outputSize;

    /// <summary>Output height and width (<c>output_size</c>).</summary>
    public int OutputSize { get; }
}
