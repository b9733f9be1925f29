namespace FusedLayers;

/// <summary>
/// How a 2-D convolution is computed. Set model-wide through <see cref="ExecutionOptions.ConvAlgorithm"/>;
/// the convolution kernels resolve it per layer with one shared rule (<c>ConvAlgorithmRule</c>).
/// </summary>
public enum ConvAlgorithm
{
    /// <summary>
    /// Let the rule choose per layer from the shape, channels and instruction set: Winograd only where it is
    /// expected to be faster and its measured float32 error stays within 1e-4 of the output's largest magnitude.
    /// </summary>
    Auto = 0,

    /// <summary>Direct convolution (shifted-plane GEMM, im2col or depthwise loops): the most accurate.</summary>
    Direct = 1,

    /// <summary>
    /// Winograd F(2x2, 3x3) where it applies (3x3, stride 1, dilation 1, groups 1, a vector path): 2.25x fewer
    /// multiplications, error close to direct. Other layers run direct.
    /// </summary>
    Winograd2x2 = 2,

    /// <summary>
    /// Winograd F(4x4, 3x3) where it applies: 4x fewer multiplications, roughly an order of magnitude larger
    /// float32 error than direct. Other layers run direct.
    /// </summary>
    Winograd4x4 = 3,
}
