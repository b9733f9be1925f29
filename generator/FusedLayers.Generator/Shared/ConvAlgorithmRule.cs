// This file is compiled into both the runtime library and the generator (linked), so the algorithm a
// convolution runs and the algorithm its generated header names come from one rule.
namespace FusedLayers
{
    /// <summary>The algorithms <see cref="ConvAlgorithmRule"/> resolves to (what actually runs).</summary>
    internal enum ConvAlgorithmKind
    {
        /// <summary>Direct convolution.</summary>
        Direct = 0,

        /// <summary>Winograd F(2x2, 3x3).</summary>
        Winograd2x2 = 1,

        /// <summary>Winograd F(4x4, 3x3).</summary>
        Winograd4x4 = 2,
    }

    /// <summary>
    /// The one rule that picks a convolution's algorithm from its shape, channels and vector width. Requests are
    /// <c>0</c> = auto, <c>1</c> = direct, <c>2</c> = F(2x2, 3x3), <c>3</c> = F(4x4, 3x3) (the values of the runtime's
    /// public <c>ConvAlgorithm</c>, which the generator cannot reference).
    /// </summary>
    internal static class ConvAlgorithmRule
    {
        /// <summary>
        /// Fewest channels (input and output) for which auto picks Winograd: below it the GEMM per transform position
        /// is too shallow for the transforms' cost to be repaid (measured on AVX-512, 1 thread: 16 channels at 112 x 112
        /// ran 0.66x of direct, 32 channels 1.0x at 56 x 56 and 1.4x at 32 x 32, 64 channels 1.2x at 56 x 56).
        /// </summary>
        public const int MinChannels = 32;

        /// <summary>
        /// Most channels for which auto picks Winograd: the transformed weights are <c>(m + 2)^2 Cin Cout</c> floats
        /// (36 per 3x3 filter for F(4x4)), read once per tile batch; 512 channels at 14 x 14 measured 1.2x of direct,
        /// wider layers were not measured.
        /// </summary>
        public const int MaxChannels = 512;

        /// <summary>
        /// Smallest output side for which auto picks Winograd: a 7 x 7 plane is 2 x 2 tiles of 4 x 4 covering 8 x 8, and
        /// 512 channels at 7 x 7 measured 0.7x of direct with F(4x4).
        /// </summary>
        public const int MinOutputSide = 8;

        /// <summary>
        /// Bound on the relative error of F(2x2, 3x3) (max |error| over the output's max |value|, float32, against the
        /// float64 reference), checked by WinogradAccuracyTests over channels 3..512, planes 7..224, unit-scale and
        /// large-dynamic-range inputs on both vector paths: worst measured 1.3e-6 (direct: 2.3e-6).
        /// </summary>
        public static readonly double Winograd2x2Error = 2e-6;

        /// <summary>Bound on the relative error of F(4x4, 3x3), checked as for <see cref="Winograd2x2Error"/>: worst measured 9.7e-6.</summary>
        public static readonly double Winograd4x4Error = 2e-5;

        /// <summary>The error budget auto keeps to: the parity suites' tolerance, 1e-4 of the output's largest magnitude.</summary>
        public const double ErrorBudget = 1e-4;

        /// <summary>
        /// The per-layer error auto accepts: no more than the direct convolution's own (worst measured 2.3e-6), so auto would
        /// pick F(2x2, 3x3) and F(4x4, 3x3) only when asked for. In torchvision's ResNet-18 training, at the same weights as
        /// float64 PyTorch, F(4x4, 3x3) in layer1 and layer2 keeps the gradients 3.3e-5..5.8e-5 off, 3-4x float32 PyTorch's
        /// distance, where F(2x2, 3x3) and direct stay at 1.2e-5..2.1e-5 (a single-point reading of 1.3e-2 once recorded here
        /// was a ReLU kink crossed by rounding; see <see cref="AutoPicksWinograd"/>).
        /// </summary>
        public const double AutoLayerError = 3e-6;

        /// <summary>
        /// Whether auto picks Winograd at all: false today, so Winograd runs only when asked for (per layer or model-wide).
        /// Not for accuracy: in torchvision's ResNet-18 training, compared with float64 PyTorch at the same weights over four
        /// SGD steps (ResNet18ParityTests.Training_gradients_match_...), F(2x2, 3x3)'s worst gradient error was 1.2e-5 to
        /// 1.3e-5 and direct's 1.5e-5 to 2.1e-5, float32 PyTorch's 0.9e-5 to 2.4e-5; F(4x4, 3x3)'s 3.3e-5 to 5.8e-5. (The
        /// 6.3e-3 once blamed on Winograd here compared separately rounded training trajectories, which part at ReLU and
        /// max-pool kinks; direct and float32 PyTorch part the same way on other initialisations.) For speed: in the ResNet
        /// block's inference (batch 8, one Zen 5 core, AVX-512) forced F(2x2) took 53.4 ms against direct's 50.0 ms and
        /// F(4x4) 48.4 ms (the profile verb of the benchmarks): the transforms cost about what the saved multiplications
        /// gain, so auto stays direct until they are cheaper; the rest of the rule below is what it picks once this is true.
        /// </summary>
        public static readonly bool AutoPicksWinograd = false;

        /// <summary>Whether Winograd can compute this convolution at all: a 3x3 kernel, stride 1, dilation 1, one group.</summary>
        public static bool WinogradApplies(int kernel, int stride, int dilation, int groups)
        {
            return kernel == 3 && stride == 1 && dilation == 1 && groups == 1;
        }

        /// <summary>
        /// The algorithm for a convolution: a forced Winograd variant where it applies (else direct), direct when
        /// forced, and for auto direct while <see cref="AutoPicksWinograd"/> is false, else the most arithmetic-saving Winograd
        /// variant whose error is within <see cref="AutoLayerError"/> (F(2x2, 3x3)) when it applies, the path is a vector one, the channels are in
        /// <c>[MinChannels, MaxChannels]</c> on both sides and the output is at least <c>MinOutputSide</c> on both sides.
        /// </summary>
        /// <param name="request">0 auto, 1 direct, 2 F(2x2, 3x3), 3 F(4x4, 3x3).</param>
        /// <param name="inChannels">Input channels.</param>
        /// <param name="outChannels">Output channels.</param>
        /// <param name="outHeight">Output height.</param>
        /// <param name="outWidth">Output width.</param>
        /// <param name="kernel">Kernel side.</param>
        /// <param name="stride">Stride.</param>
        /// <param name="dilation">Dilation.</param>
        /// <param name="groups">Channel groups.</param>
        /// <param name="vectorPath">Whether a vector path (AVX2 or AVX-512) runs; the scalar path is the reference and always direct.</param>
        public static ConvAlgorithmKind Choose(
            int request, int inChannels, int outChannels, int outHeight, int outWidth, int kernel, int stride, int dilation, int groups, bool vectorPath)
        {
            if (request == 1 || !vectorPath || !WinogradApplies(kernel, stride, dilation, groups))
            {
                return ConvAlgorithmKind.Direct;
            }

            if (request == 2)
            {
                return ConvAlgorithmKind.Winograd2x2;
            }

            if (request == 3)
            {
                return ConvAlgorithmKind.Winograd4x4;
            }

            if (!AutoPicksWinograd)
            {
                return ConvAlgorithmKind.Direct;
            }

            bool channels = inChannels >= MinChannels && inChannels <= MaxChannels && outChannels >= MinChannels && outChannels <= MaxChannels;
            if (!channels || outHeight < MinOutputSide || outWidth < MinOutputSide)
            {
                return ConvAlgorithmKind.Direct;
            }

            if (Winograd4x4Error <= AutoLayerError)
            {
                return ConvAlgorithmKind.Winograd4x4;
            }

            return Winograd2x2Error <= AutoLayerError ? ConvAlgorithmKind.Winograd2x2 : ConvAlgorithmKind.Direct;
        }

        /// <summary>Why <see cref="Choose"/> returned what it did, in one line (for a generated header or a log).</summary>
        public static string Describe(
            int request, int inChannels, int outChannels, int outHeight, int outWidth, int kernel, int stride, int dilation, int groups, bool vectorPath)
        {
            ConvAlgorithmKind kind = Choose(request, inChannels, outChannels, outHeight, outWidth, kernel, stride, dilation, groups, vectorPath);
            if (kind == ConvAlgorithmKind.Winograd4x4)
            {
                return "Winograd F(4x4,3x3), expected error <= " + Winograd4x4Error.ToString("0e0", System.Globalization.CultureInfo.InvariantCulture) + " of max |output|";
            }

            if (kind == ConvAlgorithmKind.Winograd2x2)
            {
                return "Winograd F(2x2,3x3), expected error <= " + Winograd2x2Error.ToString("0e0", System.Globalization.CultureInfo.InvariantCulture) + " of max |output|";
            }

            if (request == 1)
            {
                return "direct (forced)";
            }

            if (!WinogradApplies(kernel, stride, dilation, groups))
            {
                return "direct (Winograd needs 3x3, stride 1, dilation 1, groups 1)";
            }

            if (!vectorPath)
            {
                return "direct (scalar path)";
            }

            if (!AutoPicksWinograd)
            {
                return "direct (auto: Winograd only when asked for, see ConvAlgorithmRule.AutoPicksWinograd)";
            }

            return "direct (channels outside [" + MinChannels + ", " + MaxChannels + "] or output below " + MinOutputSide + " x " + MinOutputSide + ")";
        }
    }
}
