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
            // long: a huge padding must not wrap around.
            long padded = input + (2L * padding) - kernel;
            if (padded < 0 || stride <= 0)
            {
                return 0;
            }

            return (int)System.Math.Min(int.MaxValue, (padded / stride) + 1);
        }
    }
}
