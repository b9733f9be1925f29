namespace FusedLayers.Kernels;

/// <summary>
/// The build-time shape of one convolution, as PyTorch's <c>nn.Conv2d</c>: channels, input plane, square
/// kernel, stride, zero padding, dilation and channel groups. Generated code holds one as a
/// <c>static readonly</c> field per convolution.
/// </summary>
/// <remarks>
/// With <see cref="Groups"/> <c>G</c>, the weight is <c>[Cout, Cin / G, k, k]</c> and output channel <c>co</c>
/// of group <c>co / (Cout / G)</c> sees input channels <c>g * Cin / G .. (g + 1) * Cin / G - 1</c>;
/// <c>G = Cin</c> is a depthwise convolution. Both channel counts must be divisible by <c>G</c>
/// (the kernels throw <see cref="System.ArgumentException"/> otherwise).
/// </remarks>
/// <param name="InChannels">Input channels.</param>
/// <param name="OutChannels">Output channels.</param>
/// <param name="InHeight">Input height.</param>
/// <param name="InWidth">Input width.</param>
/// <param name="KernelSize">Square kernel side.</param>
/// <param name="Stride">Stride in both directions.</param>
/// <param name="Padding">Zero padding on every side.</param>
/// <param name="Dilation">Spacing between kernel taps in both directions (PyTorch's <c>dilation</c>, default 1).</param>
/// <param name="Groups">Number of channel groups (PyTorch's <c>groups</c>, default 1).</param>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // for generated code; out of IntelliSense
public readonly record struct Conv2dGeometry(
    int InChannels, int OutChannels, int InHeight, int InWidth, int KernelSize, int Stride, int Padding, int Dilation = 1, int Groups = 1)
{
    /// <summary>Output height, <c>floor((H + 2p - d(k - 1) - 1) / s) + 1</c>.</summary>
    public int OutHeight => ShapeMath.ConvOutputSize(InHeight, KernelSize, Stride, Padding, Dilation);

    /// <summary>Output width, <c>floor((W + 2p - d(k - 1) - 1) / s) + 1</c>.</summary>
    public int OutWidth => ShapeMath.ConvOutputSize(InWidth, KernelSize, Stride, Padding, Dilation);

    /// <summary>Input channels per group, <c>Cin / groups</c> (the weight's second dimension; 0 when groups is not positive).</summary>
    public int GroupInChannels => Groups > 0 ? InChannels / Groups : 0;

    /// <summary>Output channels per group, <c>Cout / groups</c> (0 when groups is not positive).</summary>
    public int GroupOutChannels => Groups > 0 ? OutChannels / Groups : 0;

    /// <summary>Elements of one input sample, <c>Cin * H * W</c>.</summary>
    public int InputSampleLength => InChannels * InHeight * InWidth;

    /// <summary>Elements of one output plane, <c>H_out * W_out</c>.</summary>
    public int OutputPlaneLength => OutHeight * OutWidth;

    /// <summary>Elements of one output sample, <c>Cout * H_out * W_out</c>.</summary>
    public int OutputSampleLength => OutChannels * OutputPlaneLength;

    /// <summary>Elements of the weight, <c>Cout * (Cin / groups) * k * k</c>.</summary>
    public int WeightLength => OutChannels * GroupInChannels * KernelSize * KernelSize;
}

/// <summary>The build-time shape of one fully connected layer.</summary>
/// <param name="InFeatures">Input features.</param>
/// <param name="OutFeatures">Output features.</param>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // for generated code; out of IntelliSense
public readonly record struct LinearGeometry(int InFeatures, int OutFeatures);
