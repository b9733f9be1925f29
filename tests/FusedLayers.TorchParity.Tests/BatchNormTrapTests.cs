using System;
using System.Linq;
using FusedLayers.Tests.Models;
using FusedLayers.TorchParity.Tests.Models;

namespace FusedLayers.TorchParity.Tests;

/// <summary>
/// The BatchNorm behaviours that surprise PyTorch users, each checked against PyTorch and, where a
/// formula is short, against the formula computed here in float64, on every ISA path:
/// inference uses the stored statistics; <c>track_running_stats=False</c> uses batch statistics in
/// inference too; normalisation uses the biased variance and <c>running_var</c> the unbiased one; a batch
/// of one is legal in training when there is spatial extent (BatchNorm2d, BatchNorm1d over [N, C, L]) and
/// refused when there is one value per channel; <c>momentum=None</c> is a cumulative average.
/// </summary>
public class BatchNormTrapTests
{
    private const double Eps = 1e-5;

    [Theory]
    [MemberData(nameof(ParityCase.EveryPath), MemberType = typeof(ParityCase))]
    public void Inference_after_training_normalises_with_the_stored_statistics(KernelIsa isa)
    {
        using var twin = new Twin(ParityCase.Get(nameof(StandaloneBnModel)), isa);
        var model = (StandaloneBnModel)twin.Fused;
        var random = new Random(1);
        // Non-trivial gamma and beta.
        TestData.Normal(random, 4, 1.0, 0.5).CopyTo(model.Bn.Weight!.Data, 0);
        TestData.Normal(random, 4, 0.0, 0.5).CopyTo(model.Bn.Bias!.Data, 0);
        twin.CopyParametersToTorch();

        // Batches with mean 3 and std 2: after three steps of momentum 0.1 the running mean is only
        // 1 - 0.9^3 = 27% of the way there, so the stored statistics differ from any batch's.
        for (int step = 0; step < 3; step++)
        {
            twin.TrainingStep($"step {step}", TestData.Normal(random, 2 * 256, 3.0, 2.0), TestData.Normal(random, 2 * 256));
            twin.CompareBuffers($"step {step}");
        }

        twin.Eval();
        float[] x = TestData.Normal(random, 2 * 256, 3.0, 2.0);
        float[] y = twin.Infer("after training", x);

        // The formula with the stored statistics, and what batch statistics would have given.
        var stored = new float[x.Length];
        var batchNormalised = new float[x.Length];
        for (int ch = 0; ch < 4; ch++)
        {
            double[] values = ChannelValues(x, batch: 2, channels: 4, plane: 64, ch);
            double mean = values.Average();
            double biased = values.Sum(v => (v - mean) * (v - mean)) / values.Length;
            double gamma = model.Bn.Weight.Data[ch], beta = model.Bn.Bias.Data[ch];
            foreach (int i in ChannelIndices(batch: 2, channels: 4, plane: 64, ch))
            {
                stored[i] = (float)((gamma * (x[i] - model.Bn.RunningMean![ch]) / Math.Sqrt(model.Bn.RunningVar![ch] + Eps)) + beta);
                batchNormalised[i] = (float)((gamma * (x[i] - mean) / Math.Sqrt(biased + Eps)) + beta);
            }
        }

        ParityAssert.Close($"{twin.Label}: inference output vs the formula with the running statistics", stored, y);
        Assert.True(MaxDifference(batchNormalised, y) > 0.5, "the inference output looks batch-normalised");
    }

    [Theory]
    [MemberData(nameof(ParityCase.EveryPath), MemberType = typeof(ParityCase))]
    public void Without_running_statistics_inference_uses_batch_statistics(KernelIsa isa)
    {
        using var twin = new Twin(ParityCase.Get(nameof(BatchStatsOnlyBnModel)), isa);
        Assert.Empty(twin.Fused.Buffers); // and PyTorch has none either (checked by the twin)
        var random = new Random(2);
        float[] x = TestData.Normal(random, 4 * 75, 1.0, 3.0);
        float[] training = twin.TrainingStep("training", x, TestData.Normal(random, 4 * 75));

        twin.Eval();
        float[] inference = twin.Infer("inference, same batch", x);
        ParityAssert.Close($"{twin.Label}: inference output vs training output of the same batch", training, inference);
        // 25 values per channel: a batch of one is legal here, in inference as in training.
        twin.Infer("inference, batch of one", x[..75]);
    }

    [Theory]
    [MemberData(nameof(ParityCase.EveryPath), MemberType = typeof(ParityCase))]
    public void Normalisation_uses_the_biased_variance_and_running_var_the_unbiased_one(KernelIsa isa)
    {
        using var twin = new Twin(ParityCase.Get(nameof(FeatureBnModel)), isa);
        var model = (FeatureBnModel)twin.Fused;
        // [2, 3]: per channel the pairs (1, 3), (-2, 2), (0.25, 0.75). With m = 2 the unbiased variance
        // is twice the biased one, so a mix-up cannot hide in the tolerance.
        float[] x = [1f, -2f, 0.25f, 3f, 2f, 0.75f];
        // With m = 2, xhat = +-sqrt(var / (var + eps)), and the input gradient
        // gamma / std * (dy - mean(dy) - xhat * mean(dy * xhat)) = gamma / std * (dy - mean(dy)) * eps / (var + eps)
        // is a cancellation ~1e-5 of its terms (gamma / std * dy, of order 1): compare it on that scale.
        float[] y = twin.TrainingStep("m = 2", x, [0.3f, -1f, 0.5f, 0.7f, 0.2f, -0.4f], inputGradientScale: 1.0);
        twin.CompareGradients("m = 2");
        twin.CompareBuffers("m = 2");

        var expectedY = new float[6];
        var expectedMean = new float[3];
        var expectedVar = new float[3];
        for (int ch = 0; ch < 3; ch++)
        {
            double a = x[ch], b = x[3 + ch];
            double mean = (a + b) / 2, biased = (a - b) * (a - b) / 4, unbiased = 2 * biased;
            expectedY[ch] = (float)((a - mean) / Math.Sqrt(biased + Eps));
            expectedY[3 + ch] = (float)((b - mean) / Math.Sqrt(biased + Eps));
            expectedMean[ch] = (float)(0.1 * mean);
            expectedVar[ch] = (float)((0.9 * 1.0) + (0.1 * unbiased));
        }

        ParityAssert.Close($"{twin.Label}: output vs (x - mean) / sqrt(biased var + eps)", expectedY, y);
        ParityAssert.Close($"{twin.Label}: running_mean vs 0.1 * mean", expectedMean, model.Bn.RunningMean);
        ParityAssert.Close($"{twin.Label}: running_var vs 0.9 + 0.1 * unbiased var", expectedVar, model.Bn.RunningVar);
    }

    [Theory]
    [MemberData(nameof(BatchOfOneCases))]
    public void A_batch_of_one_with_spatial_extent_trains_like_pytorch(string name, KernelIsa isa)
    {
        using var twin = new Twin(ParityCase.Get(name), isa);
        var random = new Random(3);
        for (int step = 0; step < 3; step++)
        {
            // One sample: m = H * W (or L) values per channel, and running_var's factor is m / (m - 1).
            string what = $"batch of one, step {step}";
            twin.TrainingStep(what, TestData.Normal(random, twin.Fused.InputLength, 0.5, 2.0), TestData.Normal(random, twin.Fused.OutputLength));
            twin.CompareGradients(what);
            twin.CompareBuffers(what);
        }
    }

    /// <summary>Models whose every BatchNorm has spatial extent (or a sequence length): a batch of one is legal in training.</summary>
    public static TheoryData<string, KernelIsa> BatchOfOneCases
    {
        get
        {
            var data = new TheoryData<string, KernelIsa>();
            foreach (string name in new[] { nameof(SeedModel), nameof(BnReluModel), nameof(TwoBlockCnn), nameof(SequenceBnModel), nameof(StandaloneBnModel) })
            {
                foreach (KernelIsa isa in Enum.GetValues<KernelIsa>())
                {
                    data.Add(name, isa);
                }
            }

            return data;
        }
    }

    /// <summary>
    /// One value per channel: PyTorch's Python <c>F.batch_norm</c> raises "Expected more than 1 value per
    /// channel when training" (after it has incremented <c>num_batches_tracked</c>); libtorch itself, and
    /// so TorchSharp, does not check and returns zeros with a NaN <c>running_var</c>. FusedLayers raises
    /// like Python and, by design, leaves every weight and running statistic unchanged. Inference with the
    /// running statistics accepts the same batch and matches PyTorch.
    /// </summary>
    [Theory]
    [MemberData(nameof(ParityCase.EveryPath), MemberType = typeof(ParityCase))]
    public void One_value_per_channel_is_refused_in_training_and_leaves_the_state_unchanged(KernelIsa isa)
    {
        using var twin = new Twin(ParityCase.Get(nameof(LinearBnReluModel)), isa);
        var random = new Random(4);
        twin.TrainingStep("batch of 6", TestData.Normal(random, 6 * 20, 0.5, 2.0), TestData.Normal(random, 6 * 16));
        float[][] parameters = twin.Fused.Parameters.Select(p => p.Data.ToArray()).ToArray();
        float[][] buffers = twin.Fused.Buffers.Select(b => b.FloatData.ToArray()).ToArray();
        long[][] counters = twin.Fused.Buffers.Select(b => b.Int64Data.ToArray()).ToArray();

        float[] one = TestData.Normal(random, 20, 0.5, 2.0);
        var exception = Assert.Throws<ArgumentException>(() => twin.Fused.Forward(one, new float[16]));
        Assert.Contains("Expected more than 1 value per channel when training", exception.Message, StringComparison.Ordinal);
        Assert.Equal(parameters, twin.Fused.Parameters.Select(p => p.Data.ToArray()));
        Assert.Equal(buffers, twin.Fused.Buffers.Select(b => b.FloatData.ToArray()));
        Assert.Equal(counters, twin.Fused.Buffers.Select(b => b.Int64Data.ToArray()));

        twin.Eval();
        twin.Infer("inference, batch of one", one);
    }

    /// <summary>
    /// With <c>track_running_stats=False</c> the batch statistics normalise in inference too, so one value per
    /// channel is refused there as well (Python's <c>F.batch_norm</c> raises for it in eval mode).
    /// </summary>
    [Theory]
    [MemberData(nameof(ParityCase.EveryPath), MemberType = typeof(ParityCase))]
    public void Without_running_statistics_one_value_per_channel_is_refused_in_inference_too(KernelIsa isa)
    {
        using var twin = new Twin(ParityCase.Get(nameof(BatchNormOptionsModel)), isa);
        twin.Eval();
        var random = new Random(6);
        twin.Infer("inference, batch of 2", TestData.Normal(random, 2 * 50, 0.5, 2.0));
        var exception = Assert.Throws<ArgumentException>(() => twin.Fused.Forward(TestData.Normal(random, 50), new float[8]));
        Assert.Contains("BnBatchOnly", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ParityCase.EveryPath), MemberType = typeof(ParityCase))]
    public void Momentum_none_is_the_cumulative_average_of_the_batch_statistics(KernelIsa isa)
    {
        using var twin = new Twin(ParityCase.Get(nameof(CumulativeBnModel)), isa);
        var model = (CumulativeBnModel)twin.Fused;
        var random = new Random(7);
        var batchMeans = new double[2][];
        var batchVars = new double[2][];
        const int steps = 5;
        for (int ch = 0; ch < 2; ch++)
        {
            batchMeans[ch] = new double[steps];
            batchVars[ch] = new double[steps];
        }

        for (int step = 0; step < steps; step++)
        {
            // Each batch has its own mean and spread, so every weighting but 1/k is visible.
            float[] x = TestData.Normal(random, 3 * 18, mean: (2.0 * step) - 3.0, std: 1.0 + step);
            string what = $"step {step}";
            twin.TrainingStep(what, x, TestData.Normal(random, 3 * 18));
            twin.CompareBuffers(what);
            Assert.Equal(step + 1, model.Bn.NumBatchesTracked);

            var expectedMean = new float[2];
            var expectedVar = new float[2];
            for (int ch = 0; ch < 2; ch++)
            {
                double[] values = ChannelValues(x, batch: 3, channels: 2, plane: 9, ch);
                double mean = values.Average();
                batchMeans[ch][step] = mean;
                batchVars[ch][step] = values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1);
                expectedMean[ch] = (float)batchMeans[ch].Take(step + 1).Average();
                expectedVar[ch] = (float)batchVars[ch].Take(step + 1).Average();
            }

            ParityAssert.Close($"{twin.Label}, {what}: running_mean vs the average of the batch means", expectedMean, model.Bn.RunningMean);
            ParityAssert.Close($"{twin.Label}, {what}: running_var vs the average of the unbiased batch variances", expectedVar, model.Bn.RunningVar);
        }
    }

    private static int[] ChannelIndices(int batch, int channels, int plane, int channel) =>
        Enumerable.Range(0, batch).SelectMany(n => Enumerable.Range(((n * channels) + channel) * plane, plane)).ToArray();

    private static double[] ChannelValues(float[] x, int batch, int channels, int plane, int channel) =>
        ChannelIndices(batch, channels, plane, channel).Select(i => (double)x[i]).ToArray();

    private static double MaxDifference(float[] a, float[] b) => a.Zip(b, (p, q) => Math.Abs((double)p - q)).Max();
}
