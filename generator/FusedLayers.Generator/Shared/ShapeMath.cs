// This file is compiled into both the runtime library and the generator (linked),
// so build-time shape inference and run-time checks use one formula.
namespace FusedLayers
{
    /// <summary>Shape arithmetic shared by the generator and the runtime.</summary>
    internal static class ShapeMath
    {
        /// <summary>
        /// Output length of a convolution along one axis, as PyTorch computes it:
        /// <c>floor((input + 2 * padding - kernel) / stride) + 1</c>. Returns a value below 1
        /// when the kernel does not fit the padded input.
        /// </summary>
        public static int ConvOutputSize(int input, int kernel, int stride, int padding)
        {
            return ConvOutputSize(input, kernel, stride, padding, 1);
        }

        /// <summary>
        /// Output length of a dilated convolution along one axis, as PyTorch computes it:
        /// <c>floor((input + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1</c>. Returns a value
        /// below 1 when the dilated kernel does not fit the padded input (or the stride or dilation is not positive).
        /// </summary>
        public static int ConvOutputSize(int input, int kernel, int stride, int padding, int dilation)
        {
            return (int)System.Math.Min(int.MaxValue, ConvOutputSizeLong(input, kernel, stride, padding, dilation));
        }

        /// <summary>
        /// <see cref="ConvOutputSize(int, int, int, int, int)"/> without the clamp to <see cref="int.MaxValue"/>: in long,
        /// so a huge padding or dilation neither wraps around nor hides how large the output would be.
        /// </summary>
        public static long ConvOutputSizeLong(int input, int kernel, int stride, int padding, int dilation)
        {
            long padded = input + (2L * padding) - ((long)dilation * (kernel - 1)) - 1;
            if (padded < 0 || stride <= 0 || dilation <= 0)
            {
                return 0;
            }

            return (padded / stride) + 1;
        }
    }
}
