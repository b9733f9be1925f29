using System;
using FusedLayers.Execution;
using FusedLayers.Kernels.Conv;
using FusedLayers.Kernels.Conv.Winograd;
using FusedLayers.Kernels.Gemm;

namespace FusedLayers.Kernels;

/// <summary>
/// 2-D convolution (cross-correlation, as PyTorch's <c>nn.Conv2d</c>) over NCHW tensors with weights
/// <c>[Cout, Cin / groups, k, k]</c>, zero padding, dilation, channel groups and two fused epilogues: an
/// activation, or per-channel BatchNorm statistics taken while each output plane is hot in cache.
/// </summary>
/// <remarks>
/// <para><see cref="KernelContext.Isa"/> selects the path (capped again to what this process supports):
/// <see cref="KernelIsa.Avx512"/> runs Vector512 code, <see cref="KernelIsa.Avx2"/> Vector256 + FMA, and
/// <see cref="KernelIsa.Scalar"/> the portable direct loops, which are also the reference the vector paths
/// are tested against.</para>
/// <para>The vector paths lower each sample to a GEMM (<c>M = Cout</c>, <c>K = Cin * k * k</c>,
/// <c>N</c> = output positions) computed by one register-blocked micro-kernel (see <see cref="IGemmPath"/>:
/// 4 x 24 with AVX2, 8 x 48 with AVX-512). With stride 1 there is no im2col: the input rows are copied once
/// into zero-padded planes and row <c>(ci, ky, kx)</c> of the GEMM's right operand is that buffer shifted by
/// <c>ky * Wp + kx</c> (see <see cref="ConvLowering"/>). The input gradient of any stride is the same forward
/// engine applied to the output gradient, spread by the stride and padded by <c>d (k - 1) - p</c>, with the kernel
/// rotated 180 degrees. The weight gradient is the GEMM <c>dW^T = B dZ^T</c> over output positions with the
/// same shifted planes as <c>A</c> and the output gradient transposed into column panels as <c>B</c>.
/// Stride &gt; 1 forward and weight gradient fall back to an explicit im2col buffer fed to the same
/// micro-kernel (vectorised, but with a <c>k * k</c> times larger buffer to build). Dilation <c>d</c> only
/// spaces the taps (<c>d * (ky * Wp + kx)</c> on the shifted planes, <c>d * ky, d * kx</c> in im2col).
/// A grouped convolution is one such GEMM per (sample, channel group), over the group's
/// <c>Cin / groups</c> input planes and <c>Cout / groups</c> output channels. A depthwise convolution
/// (<c>groups = Cin</c>) is not a GEMM at all (its depth would be <c>k * k</c>): direct kernels correlate each
/// input plane, copied once into a padded buffer split into <c>s</c> column phases, vectorised along output
/// columns (see <see cref="DepthwiseConv{TPath}"/>).</para>
/// <para><b>Winograd.</b> A 3x3, stride-1, dilation-1, ungrouped convolution on a vector path may run as Winograd
/// F(4x4, 3x3) or F(2x2, 3x3) instead (<see cref="Conv.Winograd.WinogradConv{TPath}"/>): <see cref="KernelContext.ConvAlgorithm"/>
/// (from <see cref="ExecutionOptions.ConvAlgorithm"/>) is resolved per call by the shared <c>ConvAlgorithmRule</c>, so
/// generated code calls the same entry points. The forward pass and the input gradient (a forward convolution of the
/// output gradient with the rotated kernel) use it; the weight gradient stays a GEMM. A NaN or infinity in the
/// convolved tensor makes the call run direct, so non-finite values land where the reference puts them.</para>
/// <para>Work is split over (sample x channel group) tiles on <see cref="KernelThreadPool"/>, and each tile
/// walks its sample in bands of output rows whose buffers stay in L2 when threads share L3. Every reduction
/// that crosses tiles or bands is combined in a fixed order (BatchNorm moments per band, merged per plane in
/// band order and per channel in sample order; weight-gradient partials per sample group, added in group
/// order), so results are bit-identical run to run for a given thread count. Scratch comes from the shared
/// array pools and the parallel-loop bodies are cached per thread: a steady-state call allocates nothing.</para>
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // for generated code; out of IntelliSense
public static class Conv2dKernels
{
    /// <summary>
    /// <c>output[n,co,oy,ox] = bias[co] + sum_{j,ky,kx} weight[co,j,ky,kx] * input[n,g*Cin/G+j,oy*s-p+d*ky,ox*s-p+d*kx]</c>
    /// with <c>g = co / (Cout / G)</c> the output channel's group and <c>j &lt; Cin / G</c> (zero outside the input),
    /// then the <paramref name="activation"/> epilogue (not allowed together with statistics). When
    /// <paramref name="mean"/> is non-empty, also writes each output channel's mean and biased variance over the
    /// batch and plane (stable: float64 two-pass moments per plane, merged with Chan's formula in sample order).
    /// </summary>
    /// <param name="context">Instruction-set path and threads.</param>
    /// <param name="geometry">Shapes.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="input">Input, <c>N * Cin * H * W</c>.</param>
    /// <param name="weight">Weight, <c>Cout * (Cin / groups) * k * k</c>.</param>
    /// <param name="bias">Bias, <c>Cout</c>, or empty for none.</param>
    /// <param name="output">Output, <c>N * Cout * H_out * W_out</c>.</param>
    /// <param name="activation">The activation epilogue (not allowed together with statistics).</param>
    /// <param name="mean">Per-channel batch mean (<c>Cout</c>), or empty to skip statistics.</param>
    /// <param name="variance">Per-channel biased batch variance (<c>Cout</c>), or empty.</param>
    /// <exception cref="ArgumentException">
    /// A span is too short, both epilogues were requested, or the geometry is invalid (groups not dividing both
    /// channel counts, dilation below 1, or a dilated kernel larger than the padded input).
    /// </exception>
    public static void Forward(
        in KernelContext context,
        in Conv2dGeometry geometry,
        int batch,
        ReadOnlySpan<float> input,
        ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias,
        Span<float> output,
        Activation activation,
        Span<float> mean,
        Span<float> variance)
    {
        Conv2dGeometry g = geometry;
        CheckGeometry(g, batch);
        bool statistics = !mean.IsEmpty;
        if (statistics && !activation.IsIdentity)
        {
            throw new ArgumentException("An activation and statistics cannot both be the epilogue: BatchNorm sits between them.", nameof(activation));
        }

        CheckLength(input, (long)batch * g.InputSampleLength, nameof(input));
        CheckLength(weight, g.WeightLength, nameof(weight));
        CheckOptional(bias, g.OutChannels, nameof(bias));
        CheckLength(output, (long)batch * g.OutputSampleLength, nameof(output));
        if (statistics)
        {
            CheckLength(mean, g.OutChannels, nameof(mean));
            CheckLength(variance, g.OutChannels, nameof(variance));
        }

        ForwardOn(context.NativePathFor(KernelFamily.Conv2d), context.Threads, g, batch, input, weight, bias, output, activation, mean, variance, context.ConvAlgorithm);
        if (statistics && context.StatisticsCollective is { } collective)
        {
            BatchNormKernels.SynchroniseMoments(collective, (long)batch * g.OutputPlaneLength, mean, variance);
        }
    }

    /// <summary>
    /// Input gradient: <c>gradInput[n,ci,iy,ix] = sum over (co in ci's group, ky, kx) with iy = oy*s-p+d*ky,
    /// ix = ox*s-p+d*kx of weight[co,ci-g*Cin/G,ky,kx] * gradOutput[n,co,oy,ox]</c>. Overwrites <paramref name="gradInput"/>.
    /// </summary>
    /// <param name="context">Instruction-set path and threads.</param>
    /// <param name="geometry">Shapes.</param>
    /// <param name="batch">Batch size.</param>
    /// <param name="gradOutput">Gradient of the output, <c>N * Cout * H_out * W_out</c>.</param>
    /// <param name="weight">Weight.</param>
    /// <param name="gradInput">Receives the input gradient, <c>N * Cin * H * W</c>.</param>
    /// <exception cref="ArgumentException">A span is too short, or the geometry is invalid.</exception>
    public static void BackwardInput(
        in KernelContext context,
        in Conv2dGeometry geometry,
        int batch,
        ReadOnlySpan<float> gradOutput,
        ReadOnlySpan<float> weight,
        Span<float> gradInput)
    {
        Conv2dGeometry g = geometry;
        CheckGeometry(g, batch);
        CheckLength(gradOutput, (long)batch * g.OutputSampleLength, nameof(gradOutput));
        CheckLength(weight, g.WeightLength, nameof(weight));
        CheckLength(gradInput, (long)batch * g.InputSampleLength, nameof(gradInput));
        BackwardInputOn(context.NativePathFor(KernelFamily.Conv2d), context.Threads, g, batch, gradOutput, weight, gradInput, context.ConvAlgorithm);
    }

    /// <summary>
    /// Parameter gradients, accumulated (<c>+=</c>) as PyTorch does until zeroed:
    /// <c>gradWeight[co,j,ky,kx] += sum_{n,oy,ox} gradOutput[n,co,oy,ox] * input[n,g*Cin/G+j,oy*s-p+d*ky,ox*s-p+d*kx]</c> and
    /// <c>gradBias[co] += sum_{n,oy,ox} gradOutput[n,co,oy,ox]</c>. The scalar path sums in float64; the vector
    /// paths sum each sample in float32 (micro-tiles, or per-tap vectors for depthwise; several whole samples when their
    /// planes are small, up to 1,024 positions) and across those in float64.
    /// </summary>
    /// <param name="context">Instruction-set path and threads.</param>
    /// <param name="geometry">Shapes.</param>
    /// <param name="batch">Batch size.</param>
    /// <param name="input">The forward input.</param>
    /// <param name="gradOutput">Gradient of the output.</param>
    /// <param name="gradWeight">Weight gradient to accumulate into.</param>
    /// <param name="gradBias">Bias gradient to accumulate into, or empty.</param>
    /// <exception cref="ArgumentException">A span is too short, or the geometry is invalid.</exception>
    public static void BackwardParameters(
        in KernelContext context,
        in Conv2dGeometry geometry,
        int batch,
        ReadOnlySpan<float> input,
        ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight,
        Span<float> gradBias)
    {
        Conv2dGeometry g = geometry;
        CheckGeometry(g, batch);
        CheckLength(input, (long)batch * g.InputSampleLength, nameof(input));
        CheckLength(gradOutput, (long)batch * g.OutputSampleLength, nameof(gradOutput));
        CheckOptional(gradWeight, g.WeightLength, nameof(gradWeight));
        CheckOptional(gradBias, g.OutChannels, nameof(gradBias));
        if (gradWeight.IsEmpty)
        {
            // A frozen weight (RequiresGrad = false): at most the bias gradient, a per-channel sum of gradOutput.
            BiasGradientOnly(gradOutput, batch, g.OutChannels, g.OutputSampleLength / g.OutChannels, gradBias);
            return;
        }

        BackwardParametersOn(context.NativePathFor(KernelFamily.Conv2d), context.Threads, g, batch, input, gradOutput, gradWeight, gradBias);
    }

    /// <summary>The ReLU-or-nothing form of the forward pass (what generated code calls for ReLU models).</summary>
    /// <param name="context">Instruction-set path and threads.</param>
    /// <param name="geometry">Shapes.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="input">Input.</param>
    /// <param name="weight">Weight.</param>
    /// <param name="bias">Bias, or empty for none.</param>
    /// <param name="output">Output.</param>
    /// <param name="relu">Apply ReLU as the epilogue (not allowed together with statistics).</param>
    /// <param name="mean">Per-channel batch mean, or empty to skip statistics.</param>
    /// <param name="variance">Per-channel biased batch variance, or empty.</param>
    public static void Forward(
        in KernelContext context,
        in Conv2dGeometry geometry,
        int batch,
        ReadOnlySpan<float> input,
        ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias,
        Span<float> output,
        bool relu,
        Span<float> mean,
        Span<float> variance) =>
        Forward(context, geometry, batch, input, weight, bias, output, relu ? Activation.ReLU : Activation.Identity, mean, variance);

    /// <summary>The algorithm <paramref name="requested"/> resolves to for <paramref name="g"/> on <paramref name="isa"/> (the shared rule).</summary>
    internal static ConvAlgorithmKind Choose(KernelIsa isa, ConvAlgorithm requested, in Conv2dGeometry g) =>
        ConvAlgorithmRule.Choose(
            (int)requested, g.InChannels, g.OutChannels, g.OutHeight, g.OutWidth, g.KernelSize, g.Stride, g.Dilation, g.Groups, isa != KernelIsa.Scalar);

    /// <summary>
    /// Forward on an explicit path, without capping it to the CPU (tests use this to run the Vector512 code in software),
    /// with the algorithm resolved by <see cref="Choose"/>.
    /// </summary>
    internal static void ForwardOn(
        KernelIsa isa, int threads, in Conv2dGeometry g, int batch, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, Activation activation, Span<float> mean, Span<float> variance,
        ConvAlgorithm algorithm = ConvAlgorithm.Auto)
    {
        // Winograd returns false for a non-finite input (a tile transform would spread it): then direct runs.
        ConvAlgorithmKind kind = Choose(isa, algorithm, g);
        if (kind != ConvAlgorithmKind.Direct)
        {
            bool f4 = kind == ConvAlgorithmKind.Winograd4x4;
            bool done = isa == KernelIsa.Avx512
                ? f4
                    ? WinogradConv<Avx512Path>.Forward<WinogradF4>(threads, g, batch, input, weight, bias, output, activation, mean, variance)
                    : WinogradConv<Avx512Path>.Forward<WinogradF2>(threads, g, batch, input, weight, bias, output, activation, mean, variance)
                : f4
                    ? WinogradConv<Avx2Path>.Forward<WinogradF4>(threads, g, batch, input, weight, bias, output, activation, mean, variance)
                    : WinogradConv<Avx2Path>.Forward<WinogradF2>(threads, g, batch, input, weight, bias, output, activation, mean, variance);
            if (done)
            {
                return;
            }
        }

        switch (isa)
        {
            case KernelIsa.Avx512:
                ConvEngine<Avx512Path>.Forward(threads, g, batch, input, weight, bias, output, activation, mean, variance);
                break;
            case KernelIsa.Avx2:
                ConvEngine<Avx2Path>.Forward(threads, g, batch, input, weight, bias, output, activation, mean, variance);
                break;
            default:
                ForwardPortable(g, batch, input, weight, bias, output, activation, mean, variance);
                break;
        }
    }

    /// <summary>Input gradient on an explicit path (not capped to the CPU).</summary>
    internal static void BackwardInputOn(
        KernelIsa isa, int threads, in Conv2dGeometry g, int batch, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight, Span<float> gradInput,
        ConvAlgorithm algorithm = ConvAlgorithm.Auto)
    {
        // The input gradient of a Winograd-eligible layer is a Winograd-eligible forward convolution (rotated kernel,
        // channels swapped): the rule decides on that convolution's shape. Non-finite gradients fall back to direct.
        if (WinogradBackward.Geometry(g) is { } transposed && Choose(isa, algorithm, g) != ConvAlgorithmKind.Direct)
        {
            ConvAlgorithmKind kind = Choose(isa, algorithm, transposed);
            bool f4 = kind == ConvAlgorithmKind.Winograd4x4;
            bool done = kind != ConvAlgorithmKind.Direct && (isa == KernelIsa.Avx512
                ? f4
                    ? WinogradBackward.Run<Avx512Path, WinogradF4>(threads, g, transposed, batch, gradOutput, weight, gradInput)
                    : WinogradBackward.Run<Avx512Path, WinogradF2>(threads, g, transposed, batch, gradOutput, weight, gradInput)
                : f4
                    ? WinogradBackward.Run<Avx2Path, WinogradF4>(threads, g, transposed, batch, gradOutput, weight, gradInput)
                    : WinogradBackward.Run<Avx2Path, WinogradF2>(threads, g, transposed, batch, gradOutput, weight, gradInput));
            if (done)
            {
                return;
            }
        }

        switch (isa)
        {
            case KernelIsa.Avx512:
                ConvEngine<Avx512Path>.BackwardInput(threads, g, batch, gradOutput, weight, gradInput);
                break;
            case KernelIsa.Avx2:
                ConvEngine<Avx2Path>.BackwardInput(threads, g, batch, gradOutput, weight, gradInput);
                break;
            default:
                BackwardInputPortable(g, batch, gradOutput, weight, gradInput);
                break;
        }
    }

    /// <summary><c>gradBias[c] += sum over samples and positions of gradOutput[n, c, :]</c>, in float64, in order.</summary>
    internal static void BiasGradientOnly(ReadOnlySpan<float> gradOutput, int batch, int channels, int positions, Span<float> gradBias)
    {
        for (int c = 0; c < gradBias.Length; c++)
        {
            double sum = 0;
            for (int n = 0; n < batch; n++)
            {
                ReadOnlySpan<float> plane = gradOutput.Slice(((n * channels) + c) * positions, positions);
                for (int i = 0; i < plane.Length; i++)
                {
                    sum += plane[i];
                }
            }

            gradBias[c] = (float)(gradBias[c] + sum);
        }
    }

    /// <summary>Parameter gradients on an explicit path (not capped to the CPU).</summary>
    internal static void BackwardParametersOn(
        KernelIsa isa, int threads, in Conv2dGeometry g, int batch, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight, Span<float> gradBias)
    {
        switch (isa)
        {
            case KernelIsa.Avx512:
                ConvEngine<Avx512Path>.BackwardParameters(threads, g, batch, input, gradOutput, gradWeight, gradBias);
                break;
            case KernelIsa.Avx2:
                ConvEngine<Avx2Path>.BackwardParameters(threads, g, batch, input, gradOutput, gradWeight, gradBias);
                break;
            default:
                BackwardParametersPortable(g, batch, input, gradOutput, gradWeight, gradBias);
                break;
        }
    }

    private static void CheckGeometry(in Conv2dGeometry geometry, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        Conv2dGeometry g = geometry;
        if (g.InChannels < 1 || g.OutChannels < 1 || g.KernelSize < 1 || g.Stride < 1 || g.Padding < 0 || g.Dilation < 1 || g.Groups < 1
            || g.InHeight < 1 || g.InWidth < 1 || g.OutHeight < 1 || g.OutWidth < 1)
        {
            throw new ArgumentException($"Invalid convolution geometry {g}.", nameof(geometry));
        }

        if (g.InChannels % g.Groups != 0 || g.OutChannels % g.Groups != 0)
        {
            throw new ArgumentException(
                $"in_channels ({g.InChannels}) and out_channels ({g.OutChannels}) must both be divisible by groups ({g.Groups}).", nameof(geometry));
        }
    }

    private static void CheckLength(ReadOnlySpan<float> span, long required, string name)
    {
        if (span.Length < required)
        {
            throw new ArgumentException($"{name}: expected at least {required} elements, got {span.Length}.", name);
        }
    }

    private static void CheckOptional(ReadOnlySpan<float> span, int required, string name)
    {
        if (!span.IsEmpty && span.Length < required)
        {
            throw new ArgumentException($"{name}: expected {required} elements or none, got {span.Length}.", name);
        }
    }

    /// <summary>
    /// <c>output[n,co,oy,ox] = bias[co] + sum_{j,ky,kx} weight[co,j,ky,kx] * input[n,g*Cin/G+j,oy*s-p+d*ky,ox*s-p+d*kx]</c>
    /// (zero outside the input), then the <paramref name="activation"/> epilogue (not allowed together with statistics). When
    /// <paramref name="mean"/> is non-empty, also writes each output channel's mean and biased variance
    /// over the batch and plane (stable: two passes per hot plane, Chan merge in sample order).
    /// </summary>
    /// <param name="geometry">Shapes.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="input">Input, <c>N * Cin * H * W</c>.</param>
    /// <param name="weight">Weight, <c>Cout * (Cin / groups) * k * k</c>.</param>
    /// <param name="bias">Bias, <c>Cout</c>, or empty for none.</param>
    /// <param name="output">Output, <c>N * Cout * H_out * W_out</c>.</param>
    /// <param name="activation">The activation epilogue (not allowed together with statistics).</param>
    /// <param name="mean">Per-channel batch mean (<c>Cout</c>), or empty to skip statistics.</param>
    /// <param name="variance">Per-channel biased batch variance (<c>Cout</c>), or empty.</param>
    private static void ForwardPortable(
        in Conv2dGeometry geometry,
        int batch,
        ReadOnlySpan<float> input,
        ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias,
        Span<float> output,
        Activation activation,
        Span<float> mean,
        Span<float> variance)
    {
        Conv2dGeometry g = geometry;
        int plane = g.OutputPlaneLength;
        int inPlane = g.InHeight * g.InWidth;
        int k = g.KernelSize;
        bool statistics = !mean.IsEmpty;
        if (statistics && !activation.IsIdentity)
        {
            throw new ArgumentException("An activation and statistics cannot both be the epilogue: BatchNorm sits between them.", nameof(activation));
        }

        using var scratch = new MomentsScratch(statistics ? g.OutChannels : 0);
        ChannelMoments moments = scratch.Create();

        int groupIn = g.GroupInChannels;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> x = input.Slice(n * g.InputSampleLength, g.InputSampleLength);
            for (int co = 0; co < g.OutChannels; co++)
            {
                Span<float> y = output.Slice(((n * g.OutChannels) + co) * plane, plane);
                y.Fill(bias.IsEmpty ? 0f : bias[co]);
                int firstIn = FirstInputChannel(g, co);
                for (int j = 0; j < groupIn; j++)
                {
                    ReadOnlySpan<float> xPlane = x.Slice((firstIn + j) * inPlane, inPlane);
                    ReadOnlySpan<float> w = weight.Slice(((co * groupIn) + j) * k * k, k * k);
                    AccumulatePlane(g, xPlane, w, y);
                }

                if (statistics)
                {
                    moments.AddBlock(co, y);
                }
                else if (!activation.IsIdentity)
                {
                    ActivationKernels.ApplyInPlace(KernelIsa.Scalar, activation, y);
                }
            }
        }

        if (statistics)
        {
            moments.WriteMeanAndBiasedVariance(mean, variance);
        }
    }

    /// <summary>
    /// Input gradient: <c>gradInput[n,ci,iy,ix] = sum over (co in ci's group, ky, kx) with iy = oy*s-p+d*ky, ix = ox*s-p+d*kx of
    /// weight[co,ci-g*Cin/G,ky,kx] * gradOutput[n,co,oy,ox]</c>. Overwrites <paramref name="gradInput"/>.
    /// </summary>
    /// <param name="geometry">Shapes.</param>
    /// <param name="batch">Batch size.</param>
    /// <param name="gradOutput">Gradient of the output, <c>N * Cout * H_out * W_out</c>.</param>
    /// <param name="weight">Weight.</param>
    /// <param name="gradInput">Receives the input gradient, <c>N * Cin * H * W</c>.</param>
    private static void BackwardInputPortable(
        in Conv2dGeometry geometry,
        int batch,
        ReadOnlySpan<float> gradOutput,
        ReadOnlySpan<float> weight,
        Span<float> gradInput)
    {
        Conv2dGeometry g = geometry;
        int plane = g.OutputPlaneLength;
        int inPlane = g.InHeight * g.InWidth;
        int k = g.KernelSize;
        int groupIn = g.GroupInChannels;
        gradInput.Slice(0, batch * g.InputSampleLength).Clear();
        for (int n = 0; n < batch; n++)
        {
            Span<float> dx = gradInput.Slice(n * g.InputSampleLength, g.InputSampleLength);
            for (int co = 0; co < g.OutChannels; co++)
            {
                ReadOnlySpan<float> dy = gradOutput.Slice(((n * g.OutChannels) + co) * plane, plane);
                int firstIn = FirstInputChannel(g, co);
                for (int j = 0; j < groupIn; j++)
                {
                    ReadOnlySpan<float> w = weight.Slice(((co * groupIn) + j) * k * k, k * k);
                    ScatterPlane(g, dy, w, dx.Slice((firstIn + j) * inPlane, inPlane));
                }
            }
        }
    }

    /// <summary>
    /// Parameter gradients, accumulated (<c>+=</c>) as PyTorch does until zeroed:
    /// <c>gradWeight[co,j,ky,kx] += sum_{n,oy,ox} gradOutput[n,co,oy,ox] * input[n,g*Cin/G+j,oy*s-p+d*ky,ox*s-p+d*kx]</c> and
    /// <c>gradBias[co] += sum_{n,oy,ox} gradOutput[n,co,oy,ox]</c>. Sums run in float64.
    /// </summary>
    /// <param name="geometry">Shapes.</param>
    /// <param name="batch">Batch size.</param>
    /// <param name="input">The forward input.</param>
    /// <param name="gradOutput">Gradient of the output.</param>
    /// <param name="gradWeight">Weight gradient to accumulate into.</param>
    /// <param name="gradBias">Bias gradient to accumulate into, or empty.</param>
    private static void BackwardParametersPortable(
        in Conv2dGeometry geometry,
        int batch,
        ReadOnlySpan<float> input,
        ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight,
        Span<float> gradBias)
    {
        Conv2dGeometry g = geometry;
        int plane = g.OutputPlaneLength;
        int inPlane = g.InHeight * g.InWidth;
        int k = g.KernelSize;
        int oh = g.OutHeight;
        int ow = g.OutWidth;
        int d = g.Dilation;
        int groupIn = g.GroupInChannels;
        for (int co = 0; co < g.OutChannels; co++)
        {
            if (!gradBias.IsEmpty)
            {
                double sum = 0;
                for (int n = 0; n < batch; n++)
                {
                    ReadOnlySpan<float> dy = gradOutput.Slice(((n * g.OutChannels) + co) * plane, plane);
                    for (int i = 0; i < dy.Length; i++)
                    {
                        sum += dy[i];
                    }
                }

                gradBias[co] += (float)sum;
            }

            int firstIn = FirstInputChannel(g, co);
            for (int j = 0; j < groupIn; j++)
            {
                int ci = firstIn + j;
                for (int ky = 0; ky < k; ky++)
                {
                    for (int kx = 0; kx < k; kx++)
                    {
                        double sum = 0;
                        for (int n = 0; n < batch; n++)
                        {
                            ReadOnlySpan<float> dy = gradOutput.Slice(((n * g.OutChannels) + co) * plane, plane);
                            ReadOnlySpan<float> x = input.Slice((n * g.InputSampleLength) + (ci * inPlane), inPlane);
                            for (int oy = 0; oy < oh; oy++)
                            {
                                int iy = (oy * g.Stride) - g.Padding + (d * ky);
                                if ((uint)iy >= (uint)g.InHeight)
                                {
                                    continue;
                                }

                                ColumnRange(g, d * kx, out int oxStart, out int oxEnd);
                                for (int ox = oxStart; ox < oxEnd; ox++)
                                {
                                    int ix = (ox * g.Stride) - g.Padding + (d * kx);
                                    sum += dy[(oy * ow) + ox] * x[(iy * g.InWidth) + ix];
                                }
                            }
                        }

                        gradWeight[(((((co * groupIn) + j) * k) + ky) * k) + kx] += (float)sum;
                    }
                }
            }
        }
    }

    /// <summary><c>y[oy,ox] += sum_{ky,kx} w[ky,kx] * x[oy*s-p+d*ky, ox*s-p+d*kx]</c> for one (co, ci) pair.</summary>
    private static void AccumulatePlane(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y)
    {
        int k = g.KernelSize;
        int d = g.Dilation;
        int ow = g.OutWidth;
        for (int ky = 0; ky < k; ky++)
        {
            for (int kx = 0; kx < k; kx++)
            {
                float wv = w[(ky * k) + kx];
                ColumnRange(g, d * kx, out int oxStart, out int oxEnd);
                for (int oy = 0; oy < g.OutHeight; oy++)
                {
                    int iy = (oy * g.Stride) - g.Padding + (d * ky);
                    if ((uint)iy >= (uint)g.InHeight)
                    {
                        continue;
                    }

                    Span<float> yRow = y.Slice(oy * ow, ow);
                    ReadOnlySpan<float> xRow = x.Slice(iy * g.InWidth, g.InWidth);
                    int ix = (oxStart * g.Stride) - g.Padding + (d * kx);
                    for (int ox = oxStart; ox < oxEnd; ox++, ix += g.Stride)
                    {
                        yRow[ox] += wv * xRow[ix];
                    }
                }
            }
        }
    }

    /// <summary><c>dx[oy*s-p+d*ky, ox*s-p+d*kx] += w[ky,kx] * dy[oy,ox]</c> for one (co, ci) pair.</summary>
    private static void ScatterPlane(in Conv2dGeometry g, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx)
    {
        int k = g.KernelSize;
        int d = g.Dilation;
        int ow = g.OutWidth;
        for (int ky = 0; ky < k; ky++)
        {
            for (int kx = 0; kx < k; kx++)
            {
                float wv = w[(ky * k) + kx];
                ColumnRange(g, d * kx, out int oxStart, out int oxEnd);
                for (int oy = 0; oy < g.OutHeight; oy++)
                {
                    int iy = (oy * g.Stride) - g.Padding + (d * ky);
                    if ((uint)iy >= (uint)g.InHeight)
                    {
                        continue;
                    }

                    ReadOnlySpan<float> dyRow = dy.Slice(oy * ow, ow);
                    Span<float> dxRow = dx.Slice(iy * g.InWidth, g.InWidth);
                    int ix = (oxStart * g.Stride) - g.Padding + (d * kx);
                    for (int ox = oxStart; ox < oxEnd; ox++, ix += g.Stride)
                    {
                        dxRow[ix] += wv * dyRow[ox];
                    }
                }
            }
        }
    }

    /// <summary>The first input channel of output channel <paramref name="co"/>'s group.</summary>
    private static int FirstInputChannel(in Conv2dGeometry g, int co) => co / g.GroupOutChannels * g.GroupInChannels;

    /// <summary>The output columns <c>[start, end)</c> whose tap at column offset <paramref name="offset"/> (<c>d * kx</c>) lands inside the input row.</summary>
    private static void ColumnRange(in Conv2dGeometry g, int offset, out int start, out int end)
    {
        // ix = ox*s - p + offset must satisfy 0 <= ix < W.
        int low = g.Padding - offset;
        start = low <= 0 ? 0 : (low + g.Stride - 1) / g.Stride;
        int high = g.InWidth - 1 + g.Padding - offset;
        end = high < 0 ? 0 : Math.Min(g.OutWidth, (high / g.Stride) + 1);
        if (end < start)
        {
            end = start;
        }
    }
}
