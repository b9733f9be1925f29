namespace FusedLayers.Kernels;

/// <summary>
/// The shape of one 2-D pooling layer over NCHW planes (floor mode, dilation 1, square window), as PyTorch's
/// <c>MaxPool2d</c> / <c>AvgPool2d</c>: <c>Hout = (H + 2p - k) / s + 1</c>.
/// </summary>
/// <param name="Channels">Channels C.</param>
/// <param name="InHeight">Input height H.</param>
/// <param name="InWidth">Input width W.</param>
/// <param name="KernelSize">Window side k.</param>
/// <param name="Stride">Step between windows s (PyTorch's default is k).</param>
/// <param name="Padding">Implicit padding p on every side, at most k / 2.</param>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // for generated code; out of IntelliSense
public readonly record struct Pool2dGeometry(int Channels, int InHeight, int InWidth, int KernelSize, int Stride, int Padding)
{
    /// <summary>Output height, <c>floor((H + 2p - k) / s) + 1</c> (below 1 when the window does not fit).</summary>
    public int OutHeight => ShapeMath.ConvOutputSize(InHeight, KernelSize, Stride, Padding);

    /// <summary>Output width, <c>floor((W + 2p - k) / s) + 1</c>.</summary>
    public int OutWidth => ShapeMath.ConvOutputSize(InWidth, KernelSize, Stride, Padding);

    /// <summary>Elements of one input plane, <c>H * W</c>.</summary>
    public int InputPlaneLength => InHeight * InWidth;

    /// <summary>Elements of one output plane, <c>Hout * Wout</c>.</summary>
    public int OutputPlaneLength => OutHeight * OutWidth;

    /// <summary>Whether the geometry is valid: positive sizes, <c>0 &lt;= p &lt;= k / 2</c> (PyTorch's rule) and a non-empty output.</summary>
    public bool IsValid =>
        Channels >= 1 && InHeight >= 1 && InWidth >= 1 && KernelSize >= 1 && Stride >= 1
        && Padding >= 0 && Padding <= KernelSize / 2 && OutHeight >= 1 && OutWidth >= 1;
}
