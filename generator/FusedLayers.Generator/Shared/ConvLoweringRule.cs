// This file is compiled into both the runtime library and the generator (linked), so the way a direct convolution is
// lowered and the way its generated header describes the lowering come from one rule.
namespace FusedLayers
{
    /// <summary>How a direct convolution (or its input gradient) is computed.</summary>
    internal enum ConvLoweringKind
    {
        /// <summary>Depthwise: one input channel per group, taps as FMAs over output columns, no GEMM.</summary>
        Depthwise = 0,

        /// <summary>Implicit GEMM: stride 1, each (ci, ky, kx) row of the GEMM is the zero-padded input shifted, no copy.</summary>
        ImplicitGemm = 1,

        /// <summary>im2col + GEMM: the taps gathered once per band into a buffer for the same micro-kernel.</summary>
        Im2colGemm = 2,

        /// <summary>Input gradient as a GEMM <c>W^T dY</c> followed by col2im (strided, ungrouped layers).</summary>
        ColumnGemm = 3,
    }

    /// <summary>
    /// The one rule that picks the lowering of a direct convolution from its groups, channels and stride: what the
    /// runtime's convolution engine dispatches on and what the generated header prints.
    /// </summary>
    internal static class ConvLoweringRule
    {
        /// <summary>The forward pass's (and the weight gradient's) lowering.</summary>
        public static ConvLoweringKind Forward(int inChannels, int groups, int stride) =>
            IsDepthwise(inChannels, groups) ? ConvLoweringKind.Depthwise
            : ShiftedPlanes(stride) ? ConvLoweringKind.ImplicitGemm
            : ConvLoweringKind.Im2colGemm;

        /// <summary>Whether a GEMM lowering can read shifted views of the padded input (stride 1) instead of gathering taps.</summary>
        public static bool ShiftedPlanes(int stride) => stride == 1;

        /// <summary>
        /// The input gradient's lowering: depthwise as in forward; a strided ungrouped layer as <c>W^T dY</c> + col2im; any
        /// other layer as a stride-1 convolution of the spread, padded output gradient with rotated weights (implicit GEMM).
        /// </summary>
        public static ConvLoweringKind InputGradient(int inChannels, int groups, int stride) =>
            IsDepthwise(inChannels, groups) ? ConvLoweringKind.Depthwise
            : stride > 1 && groups == 1 ? ConvLoweringKind.ColumnGemm
            : ConvLoweringKind.ImplicitGemm;

        /// <summary>More than one group with one input channel each.</summary>
        public static bool IsDepthwise(int inChannels, int groups) => groups > 1 && inChannels / groups == 1;

        /// <summary>What <paramref name="kind"/> does, for the generated header.</summary>
        public static string Describe(ConvLoweringKind kind) => kind switch
        {
            ConvLoweringKind.Depthwise => "direct depthwise convolution (one input channel per group): each plane padded once, taps as FMAs vectorised over output columns, no GEMM",
            ConvLoweringKind.ImplicitGemm => "implicit GEMM (M = Cout, K = Cin*k*k, N = positions): stride 1, so each (ci, ky, kx) row is the zero-padded input shifted by ky*Wp + kx, no im2col copy",
            ConvLoweringKind.Im2colGemm => "im2col + GEMM: the stride breaks the shifted-plane trick, so the taps are gathered once per band into a buffer for the same micro-kernel",
            _ => "GEMM W^T * dY into columns, then col2im (one add per column element, in a fixed order)",
        };
    }
}
