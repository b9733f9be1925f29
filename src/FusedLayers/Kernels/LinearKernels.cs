using System;

namespace FusedLayers.Kernels;

/// <summary>
/// Portable fully connected layer over <c>[N, F]</c> tensors, <c>y = x W^T + b</c> with <c>W</c> of shape
/// <c>[out, in]</c> as PyTorch, with the same fused epilogues as <see cref="Conv2dKernels"/>.
/// </summary>
public static class LinearKernels
{
    /// <summary>
    /// <c>output[n,o] = bias[o] + sum_i input[n,i] * weight[o,i]</c>, then ReLU when <paramref name="relu"/> is
    /// set. When <paramref name="mean"/> is non-empty, also writes each feature's mean and biased variance
    /// over the batch (Welford, row by row as rows are produced).
    /// </summary>
    /// <param name="geometry">Shapes.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="input">Input, <c>N * in</c>.</param>
    /// <param name="weight">Weight, <c>out * in</c>.</param>
    /// <param name="bias">Bias, <c>out</c>, or empty.</param>
    /// <param name="output">Output, <c>N * out</c>.</param>
    /// <param name="relu">Apply ReLU as the epilogue (not allowed together with statistics).</param>
    /// <param name="mean">Per-feature batch mean, or empty to skip statistics.</param>
    /// <param name="variance">Per-feature biased batch variance, or empty.</param>
    public static void Forward(
        in LinearGeometry geometry,
        int batch,
        ReadOnlySpan<float> input,
        ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias,
        Span<float> output,
        bool relu,
        Span<float> mean,
        Span<float> variance)
    {
        int inF = geometry.InFeatures;
        int outF = geometry.OutFeatures;
        bool statistics = !mean.IsEmpty;
        if (statistics && relu)
        {
            throw new ArgumentException("ReLU and statistics cannot both be the epilogue: BatchNorm sits between them.", nameof(relu));
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
                else if (relu && sum < 0f)
                {
                    sum = 0f;
                }

                y[o] = sum;
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
    public static void BackwardInput(
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
    public static void BackwardParameters(
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
