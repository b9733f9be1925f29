namespace FusedLayers.Kernels;

/// <summary>
/// The build-time shape of one convolution: channels, input plane, kernel, stride and padding.
/// Generated code holds one as a <c>static readonly</c> field per convolution.
/// </summary>
/// <param name="InChannels">Input channels.</param>
/// <param name="OutChannels">Output channels.</param>
/// <param name="InHeight">Input height.</param>
/// <param name="InWidth">Input width.</param>
/// <param name="KernelSize">Square kernel side.</param>
/// <param name="Stride">Stride in both directions.</param>
/// <param name="Padding">Zero padding on every side.</param>
public readonly record struct Conv2dGeometry(
    int InChannels, int OutChannels, int InHeight, int InWidth, int KernelSize, int Stride, int Padding)
{
    /// <summary>Output height, <c>floor((H + 2p - k) / s) + 1</c>.</summary>
    public int OutHeight => ShapeMath.ConvOutputSize(InHeight, KernelSize, Stride, Padding);

    /// <summary>Output width, <c>floor((W + 2p - k) / s) + 1</c>.</summary>
    public int OutWidth => ShapeMath.ConvOutputSize(InWidth, KernelSize, Stride, Padding);

    /// <summary>Elements of one input sample, <c>Cin * H * W</c>.</summary>
    public int InputSampleLength => InChannels * InHeight * InWidth;

    /// <summary>Elements of one output plane, <c>H_out * W_out</c>.</summary>
    public int OutputPlaneLength => OutHeight * OutWidth;

    /// <summary>Elements of one output sample, <c>Cout * H_out * W_out</c>.</summary>
    public int OutputSampleLength => OutChannels * OutputPlaneLength;

    /// <summary>Elements of the weight, <c>Cout * Cin * k * k</c>.</summary>
    public int WeightLength => OutChannels * InChannels * KernelSize * KernelSize;
}

/// <summary>The build-time shape of one fully connected layer.</summary>
/// <param name="InFeatures">Input features.</param>
/// <param name="OutFeatures">Output features.</param>
public readonly record struct LinearGeometry(int InFeatures, int OutFeatures);
