using System;
using FusedLayers.Execution;
using FusedLayers.Kernels.Gemm;

namespace FusedLayers.Kernels;

/// <summary>
/// Fully connected layer over <c>[N, F]</c> tensors, <c>y = x W^T + b</c> with <c>W</c> of shape
/// <c>[out, in]</c> as PyTorch, with the same fused epilogues as <see cref="Conv2dKernels"/>.
/// </summary>
/// <remarks>
/// <see cref="KernelContext.Isa"/> selects the path (capped to what this process supports): the vector
/// paths run all three products through the register-blocked GEMM micro-kernel (see
/// <see cref="IGemmPath"/>): the forward pass packs <c>W^T</c> once per call (<c>O(weights)</c>, small next to
/// the <c>O(batch * weights)</c> product), the input and weight gradients read <c>W</c>, <c>X</c> and
/// <c>dY</c> in place. Rows of <c>C</c> are split over threads; each element has one owner and a fixed
/// summation order, and BatchNorm statistics are two float64 passes over the finished output in row order,
/// so results are bit-identical for any thread count. <see cref="KernelIsa.Scalar"/> runs the portable loops.
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // for generated code; out of IntelliSense
public static class LinearKernels
{
    /// <summary>
    /// <c>output[n,o] = bias[o] + sum_i input[n,i] * weight[o,i]</c>, then the <paramref name="activation"/>
    /// epilogue. When <paramref name="mean"/> is non-empty, also writes each feature's mean and biased variance
    /// over the batch (float64; Welford on the scalar path, two passes on the vector paths).
    /// </summary>
    /// <param name="context">Instruction-set path and threads.</param>
    /// <param name="geometry">Shapes.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="input">Input, <c>N * in</c>.</param>
    /// <param name="weight">Weight, <c>out * in</c>.</param>
    /// <param name="bias">Bias, <c>out</c>, or empty.</param>
    /// <param name="output">Output, <c>N * out</c>.</param>
    /// <param name="activation">The activation epilogue (not allowed together with statistics).</param>
    /// <param name="mean">Per-feature batch mean, or empty to skip statistics.</param>
    /// <param name="variance">Per-feature biased batch variance, or empty.</param>
    /// <exception cref="ArgumentException">A span is too short, or both epilogues were requested.</exception>
    public static void Forward(
        in KernelContext context,
        in LinearGeometry geometry,
        int batch,
        ReadOnlySpan<float> input,
        ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias,
        Span<float> output,
        Activation activation,
        Span<float> mean,
        Span<float> variance)
    {
        LinearGeometry g = geometry;
        CheckGeometry(g, batch);
        bool statistics = !mean.IsEmpty;
        if (statistics && !activation.IsIdentity)
        {
            throw new ArgumentException("An activation and statistics cannot both be the epilogue: BatchNorm sits between them.", nameof(activation));
        }

        CheckLength(input, (long)batch * g.InFeatures, nameof(input));
        CheckLength(weight, (long)g.OutFeatures * g.InFeatures, nameof(weight));
        CheckOptional(bias, g.OutFeatures, nameof(bias));
        CheckLength(output, (long)batch * g.OutFeatures, nameof(output));
        if (statistics)
        {
            CheckLength(mean, g.OutFeatures, nameof(mean));
            CheckLength(variance, g.OutFeatures, nameof(variance));
        }

        ForwardOn(context.NativePathFor(KernelFamily.Linear), context.Threads, g, batch, input, weight, bias, output, activation, mean, variance);
        if (statistics && context.StatisticsCollective is { } collective)
        {
            BatchNormKernels.SynchroniseMoments(collective, batch, mean, variance);
        }
    }

    /// <summary><c>gradInput[n,i] = sum_o gradOutput[n,o] * weight[o,i]</c>; overwrites <paramref name="gradInput"/>.</summary>
    /// <param name="context">Instruction-set path and threads.</param>
    /// <param name="geometry">Shapes.</param>
    /// <param name="batch">Batch size.</param>
    /// <param name="gradOutput">Gradient of the output.</param>
    /// <param name="weight">Weight.</param>
    /// <param name="gradInput">Receives the input gradient.</param>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    public static void BackwardInput(
        in KernelContext context,
        in LinearGeometry geometry,
        int batch,
        ReadOnlySpan<float> gradOutput,
        ReadOnlySpan<float> weight,
        Span<float> gradInput)
    {
        LinearGeometry g = geometry;
        CheckGeometry(g, batch);
        CheckLength(gradOutput, (long)batch * g.OutFeatures, nameof(gradOutput));
        CheckLength(weight, (long)g.OutFeatures * g.InFeatures, nameof(weight));
        CheckLength(gradInput, (long)batch * g.InFeatures, nameof(gradInput));
        BackwardInputOn(context.NativePathFor(KernelFamily.Linear), context.Threads, g, batch, gradOutput, weight, gradInput);
    }

    /// <summary>
    /// Accumulates <c>gradWeight[o,i] += sum_n gradOutput[n,o] * input[n,i]</c> and
    /// <c>gradBias[o] += sum_n gradOutput[n,o]</c> (float64 on the scalar path; float32 micro-tiles for the
    /// weight and float64 column sums for the bias on the vector paths).
    /// </summary>
    /// <param name="context">Instruction-set path and threads.</param>
    /// <param name="geometry">Shapes.</param>
    /// <param name="batch">Batch size.</param>
    /// <param name="input">The forward input.</param>
    /// <param name="gradOutput">Gradient of the output.</param>
    /// <param name="gradWeight">Weight gradient to accumulate into.</param>
    /// <param name="gradBias">Bias gradient to accumulate into, or empty.</param>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    public static void BackwardParameters(
        in KernelContext context,
        in LinearGeometry geometry,
        int batch,
        ReadOnlySpan<float> input,
        ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight,
        Span<float> gradBias)
    {
        LinearGeometry g = geometry;
        CheckGeometry(g, batch);
        CheckLength(input, (long)batch * g.InFeatures, nameof(input));
        CheckLength(gradOutput, (long)batch * g.OutFeatures, nameof(gradOutput));
        CheckOptional(gradWeight, checked(g.OutFeatures * g.InFeatures), nameof(gradWeight));
        CheckOptional(gradBias, g.OutFeatures, nameof(gradBias));
        if (gradWeight.IsEmpty)
        {
            // A frozen weight (RequiresGrad = false): at most the bias gradient, a per-feature sum over the batch.
            Conv2dKernels.BiasGradientOnly(gradOutput, batch, g.OutFeatures, 1, gradBias);
            return;
        }

        BackwardParametersOn(context.NativePathFor(KernelFamily.Linear), context.Threads, g, batch, input, gradOutput, gradWeight, gradBias);
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
        in LinearGeometry geometry,
        int batch,
        ReadOnlySpan<float> input,
        ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias,
        Span<float> output,
        bool relu,
        Span<float> mean,
        Span<float> variance) =>
        Forward(context, geometry, batch, input, weight, bias, output, relu ? Activation.ReLU : Activation.Identity, mean, variance);

    /// <summary>Forward on an explicit path, without capping it to the CPU (tests use this to run the Vector512 code in software).</summary>
    internal static void ForwardOn(
        KernelIsa isa, int threads, in LinearGeometry g, int batch, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, Activation activation, Span<float> mean, Span<float> variance)
    {
        switch (isa)
        {
            case KernelIsa.Avx512:
                LinearEngine<Avx512Path>.Forward(threads, g, batch, input, weight, bias, output, activation, mean, variance);
                break;
            case KernelIsa.Avx2:
                LinearEngine<Avx2Path>.Forward(threads, g, batch, input, weight, bias, output, activation, mean, variance);
                break;
            default:
                ForwardPortable(g, batch, input, weight, bias, output, activation, mean, variance);
                break;
        }
    }

    /// <summary>Input gradient on an explicit path (not capped to the CPU).</summary>
    internal static void BackwardInputOn(
        KernelIsa isa, int threads, in LinearGeometry g, int batch, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight, Span<float> gradInput)
    {
        switch (isa)
        {
            case KernelIsa.Avx512:
                LinearEngine<Avx512Path>.BackwardInput(threads, g, batch, gradOutput, weight, gradInput);
                break;
            case KernelIsa.Avx2:
                LinearEngine<Avx2Path>.BackwardInput(threads, g, batch, gradOutput, weight, gradInput);
                break;
            default:
                BackwardInputPortable(g, batch, gradOutput, weight, gradInput);
                break;
        }
    }

    /// <summary>Parameter gradients on an explicit path (not capped to the CPU).</summary>
    internal static void BackwardParametersOn(
        KernelIsa isa, int threads, in LinearGeometry g, int batch, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight, Span<float> gradBias)
    {
        switch (isa)
        {
            case KernelIsa.Avx512:
                LinearEngine<Avx512Path>.BackwardParameters(threads, g, batch, input, gradOutput, gradWeight, gradBias);
                break;
            case KernelIsa.Avx2:
                LinearEngine<Avx2Path>.BackwardParameters(threads, g, batch, input, gradOutput, gradWeight, gradBias);
                break;
            default:
                BackwardParametersPortable(g, batch, input, gradOutput, gradWeight, gradBias);
                break;
        }
    }

    private static void CheckGeometry(in LinearGeometry geometry, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        if (geometry.InFeatures < 1 || geometry.OutFeatures < 1)
        {
            throw new ArgumentException($"Invalid linear geometry {geometry}.", nameof(geometry));
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
    /// <c>output[n,o] = bias[o] + sum_i input[n,i] * weight[o,i]</c>, then the <paramref name="activation"/>
    /// epilogue. When <paramref name="mean"/> is non-empty, also writes each feature's mean and biased variance
    /// over the batch (Welford, row by row as rows are produced).
    /// </summary>
    /// <param name="geometry">Shapes.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="input">Input, <c>N * in</c>.</param>
    /// <param name="weight">Weight, <c>out * in</c>.</param>
    /// <param name="bias">Bias, <c>out</c>, or empty.</param>
    /// <param name="output">Output, <c>N * out</c>.</param>
    /// <param name="activation">The activation epilogue (not allowed together with statistics).</param>
    /// <param name="mean">Per-feature batch mean, or empty to skip statistics.</param>
    /// <param name="variance">Per-feature biased batch variance, or empty.</param>
    private static void ForwardPortable(
        in LinearGeometry geometry,
        int batch,
        ReadOnlySpan<float> input,
        ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias,
        Span<float> output,
        Activation activation,
        Span<float> mean,
        Span<float> variance)
    {
        int inF = geometry.InFeatures;
        int outF = geometry.OutFeatures;
        bool statistics = !mean.IsEmpty;
        if (statistics && !activation.IsIdentity)
        {
            throw new ArgumentException("An activation and statistics cannot both be the epilogue: BatchNorm sits between them.", nameof(activation));
        }

        using var scratch = new MomentsScratch(statistics ? outF : 0);
        ChannelMoments moments = scratch.Create();
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> x = input.Slice(n * inF, inF);
            Span<float> y = output.Slice(n * outF, outF);
            for (int o = 0; o < outF; o++)
            {
                ReadOnlySpan<float> w = weight.Slice(o * inF, inF);
                float sum = bias.IsEmpty ? 0f : bias[o];
                for (int i = 0; i < inF; i++)
                {
                    sum += x[i] * w[i];
                }

                if (statistics)
                {
                    moments.AddValue(o, sum);
                }

                y[o] = sum;
            }

            if (!statistics && !activation.IsIdentity)
            {
                ActivationKernels.ApplyInPlace(KernelIsa.Scalar, activation, y); // the row at once: one dispatch, not one per element
            }
        }

        if (statistics)
        {
            moments.WriteMeanAndBiasedVariance(mean, variance);
        }
    }

    /// <summary><c>gradInput[n,i] = sum_o gradOutput[n,o] * weight[o,i]</c>; overwrites <paramref name="gradInput"/>.</summary>
    /// <param name="geometry">Shapes.</param>
    /// <param name="batch">Batch size.</param>
    /// <param name="gradOutput">Gradient of the output.</param>
    /// <param name="weight">Weight.</param>
    /// <param name="gradInput">Receives the input gradient.</param>
    private static void BackwardInputPortable(
        in LinearGeometry geometry,
        int batch,
        ReadOnlySpan<float> gradOutput,
        ReadOnlySpan<float> weight,
        Span<float> gradInput)
    {
        int inF = geometry.InFeatures;
        int outF = geometry.OutFeatures;
        for (int n = 0; n < batch; n++)
        {
            Span<float> dx = gradInput.Slice(n * inF, inF);
            dx.Clear();
            ReadOnlySpan<float> dy = gradOutput.Slice(n * outF, outF);
            for (int o = 0; o < outF; o++)
            {
                float d = dy[o];
                ReadOnlySpan<float> w = weight.Slice(o * inF, inF);
                for (int i = 0; i < inF; i++)
                {
                    dx[i] += d * w[i];
                }
            }
        }
    }

    /// <summary>
    /// Accumulates <c>gradWeight[o,i] += sum_n gradOutput[n,o] * input[n,i]</c> and
    /// <c>gradBias[o] += sum_n gradOutput[n,o]</c> (float64 sums).
    /// </summary>
    /// <param name="geometry">Shapes.</param>
    /// <param name="batch">Batch size.</param>
    /// <param name="input">The forward input.</param>
    /// <param name="gradOutput">Gradient of the output.</param>
    /// <param name="gradWeight">Weight gradient to accumulate into.</param>
    /// <param name="gradBias">Bias gradient to accumulate into, or empty.</param>
    private static void BackwardParametersPortable(
        in LinearGeometry geometry,
        int batch,
        ReadOnlySpan<float> input,
        ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight,
        Span<float> gradBias)
    {
        int inF = geometry.InFeatures;
        int outF = geometry.OutFeatures;
        for (int o = 0; o < outF; o++)
        {
            Span<float> gw = gradWeight.Slice(o * inF, inF);
            for (int i = 0; i < inF; i++)
            {
                double sum = 0;
                for (int n = 0; n < batch; n++)
                {
                    sum += gradOutput[(n * outF) + o] * input[(n * inF) + i];
                }

                gw[i] += (float)sum;
            }

            if (!gradBias.IsEmpty)
            {
                double sum = 0;
                for (int n = 0; n < batch; n++)
                {
                    sum += gradOutput[(n * outF) + o];
                }

                gradBias[o] += (float)sum;
            }
        }
    }
}
