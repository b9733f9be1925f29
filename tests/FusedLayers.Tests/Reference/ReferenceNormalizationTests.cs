using System;
using System.Linq;
using FusedLayers.Reference;

namespace FusedLayers.Tests.Reference;

/// <summary>
/// Statistics and PyTorch behaviours of <see cref="ReferenceLayerNorm"/>, <see cref="ReferenceGroupNorm"/> and
/// <see cref="ReferenceInstanceNorm"/>: hand-computed cases, the biased variance in the normalisation and the
/// per-instance unbiased variance in InstanceNorm's running statistics, how the layers relate to each other,
/// defaults and argument checks.
/// </summary>
public class ReferenceNormalizationTests
{
    [Fact]
    public void LayerNorm_normalises_each_row_with_its_biased_variance()
    {
        // Rows {1, 2, 3, 4} (mean 2.5, biased var 1.25) and {-2, 0, 0, 2} (mean 0, biased var 2), eps 0.
        var ln = new ReferenceLayerNorm("Ln", [4], eps: 0.0);
        ln.Weight!.CopyFrom(new double[] { 1, 2, 1, 0.5 });
        ln.Bias!.CopyFrom(new double[] { 0, 1, -1, 0 });
        ReferenceTensor y = ln.Forward(new ReferenceTensor([1, 2, 3, 4, -2, 0, 0, 2], 2, 4));

        double s1 = Math.Sqrt(1.25), s2 = Math.Sqrt(2);
        AssertClose(
            [-1.5 / s1, (2 * -0.5 / s1) + 1, (0.5 / s1) - 1, 0.5 * 1.5 / s1, -2 / s2, 1, -1, 0.5 * 2 / s2],
            y.Data);
    }

    [Fact]
    public void LayerNorm_output_rows_have_mean_0_and_variance_var_over_var_plus_eps()
    {
        var random = new Random(61);
        ReferenceTensor x = TestData.Tensor(random, 3, 2, 5, 4);
        var ln = new ReferenceLayerNorm("Ln", [5, 4], eps: 0.1, elementwiseAffine: false);
        ReferenceTensor y = ln.Forward(x);
        for (int r = 0; r < 6; r++)
        {
            double[] row = x.Data.Skip(r * 20).Take(20).ToArray();
            double[] outRow = y.Data.Skip(r * 20).Take(20).ToArray();
            double mean = row.Average();
            double biased = row.Sum(v => (v - mean) * (v - mean)) / 20;
            Assert.Equal(0.0, outRow.Average(), 1e-14);
            Assert.Equal(biased / (biased + 0.1), outRow.Sum(v => v * v) / 20, 1e-14);
        }
    }

    [Fact]
    public void LayerNorm_parameters_follow_PyTorch_and_training_equals_eval()
    {
        var ln = new ReferenceLayerNorm("Ln", [3, 2]);
        Assert.Equal(1e-5, ln.Eps);
        Assert.Equal(new[] { "Ln.weight", "Ln.bias" }, ln.Parameters.Select(p => p.Name));
        Assert.Equal(new[] { 3, 2 }, ln.Weight!.Shape);
        Assert.All(ln.Weight.Data, v => Assert.Equal(1.0, v));
        Assert.All(ln.Bias!.Data, v => Assert.Equal(0.0, v));
        Assert.Equal(new[] { "Ln.weight" }, new ReferenceLayerNorm("Ln", [3], bias: false).Parameters.Select(p => p.Name));
        Assert.Empty(new ReferenceLayerNorm("Ln", [3], elementwiseAffine: false).Parameters);

        var random = new Random(62);
        TestData.Fill(ln.Weight, random);
        TestData.Fill(ln.Bias, random);
        ReferenceTensor x = TestData.Tensor(random, 4, 3, 2);
        double[] training = ln.Forward(x).Data;
        ln.Training = false;
        Assert.Equal(training, ln.Forward(x).Data);

        Assert.Throws<ArgumentException>(() => ln.Forward(new ReferenceTensor(4, 2, 3)));
        Assert.Throws<ArgumentException>(() => ln.Forward(new ReferenceTensor(2)));
        Assert.Throws<ArgumentException>(() => new ReferenceLayerNorm("Ln", []));
        Assert.Throws<ArgumentException>(() => new ReferenceLayerNorm("Ln", [3, 0]));
        Assert.Throws<InvalidOperationException>(() => new ReferenceLayerNorm("Ln", [3]).Backward(new ReferenceTensor(1, 3)));
    }

    [Fact]
    public void GroupNorm_normalises_each_sample_and_group_and_applies_the_channel_affine()
    {
        // [1, 4, 2]: group 0 = channels 0, 1 = {1, 3, 5, 7} (mean 4, biased var 5),
        //            group 1 = channels 2, 3 = {0, 0, 2, 2} (mean 1, biased var 1).
        var gn = new ReferenceGroupNorm("Gn", 2, 4, eps: 0.0);
        gn.Weight!.CopyFrom(new double[] { 1, 2, 3, 4 });
        gn.Bias!.CopyFrom(new double[] { 0, 0, 1, -1 });
        ReferenceTensor y = gn.Forward(new ReferenceTensor([1, 3, 5, 7, 0, 0, 2, 2], 1, 4, 2));

        double s = Math.Sqrt(5);
        AssertClose([-3 / s, -1 / s, 2 * 1 / s, 2 * 3 / s, 3 * -1 + 1, 3 * -1 + 1, 4 * 1 - 1, 4 * 1 - 1], y.Data);
    }

    [Fact]
    public void GroupNorm_with_one_group_is_LayerNorm_and_with_one_channel_per_group_is_InstanceNorm()
    {
        var random = new Random(63);
        ReferenceTensor x = TestData.Tensor(random, 3, 4, 2, 3);
        ReferenceTensor dy = TestData.Tensor(random, 3, 4, 2, 3);

        var oneGroup = new ReferenceGroupNorm("Gn", 1, 4, affine: false);
        var layerNorm = new ReferenceLayerNorm("Ln", [4, 2, 3], elementwiseAffine: false);
        AssertClose(layerNorm.Forward(x).Data, oneGroup.Forward(x).Data);
        AssertClose(layerNorm.Backward(dy).Data, oneGroup.Backward(dy).Data);

        var perChannel = new ReferenceGroupNorm("Gn", 4, 4);
        var instanceNorm = new ReferenceInstanceNorm("In", 4, 2, affine: true);
        TestData.Fill(perChannel.Weight, new Random(64));
        TestData.Fill(perChannel.Bias, new Random(65));
        TestData.Fill(instanceNorm.Weight, new Random(64));
        TestData.Fill(instanceNorm.Bias, new Random(65));
        AssertClose(instanceNorm.Forward(x).Data, perChannel.Forward(x).Data);
        AssertClose(instanceNorm.Backward(dy).Data, perChannel.Backward(dy).Data);
        AssertClose(instanceNorm.Weight!.Grad, perChannel.Weight!.Grad);
        AssertClose(instanceNorm.Bias!.Grad, perChannel.Bias!.Grad);
    }

    [Fact]
    public void GroupNorm_checks_its_arguments_like_PyTorch()
    {
        Assert.Throws<ArgumentException>(() => new ReferenceGroupNorm("Gn", 4, 6));
        var gn = new ReferenceGroupNorm("Gn", 2, 6);
        Assert.Equal(1e-5, gn.Eps);
        Assert.Equal(new[] { "Gn.weight", "Gn.bias" }, gn.Parameters.Select(p => p.Name));
        Assert.Empty(new ReferenceGroupNorm("Gn", 2, 6, affine: false).Parameters);
        Assert.Throws<ArgumentException>(() => gn.Forward(new ReferenceTensor(2, 4, 3)));
        Assert.Throws<ArgumentException>(() => gn.Forward(new ReferenceTensor(6)));
    }

    [Fact]
    public void InstanceNorm_running_statistics_average_the_instance_means_and_unbiased_variances()
    {
        // [2, 2, 3] (N, C, L): planes (n, c) with their mean and unbiased variance (L - 1 = 2):
        //   (0, 0) {1, 2, 3}  mean 2, var 1      (0, 1) {0, 0, 6}   mean 2, var 12
        //   (1, 0) {4, 6, 8}  mean 6, var 4      (1, 1) {-1, 1, 3}  mean 1, var 4
        var norm = new ReferenceInstanceNorm("In", 2, 1, momentum: 0.1, trackRunningStats: true);
        norm.Forward(new ReferenceTensor([1, 2, 3, 0, 0, 6, 4, 6, 8, -1, 1, 3], 2, 2, 3));

        // running = 0.9 * running + 0.1 * mean over n: mean ch0 0.1 * 4 = 0.4, ch1 0.1 * 1.5 = 0.15;
        // var ch0 0.9 + 0.1 * 2.5 = 1.15, ch1 0.9 + 0.1 * 8 = 1.7. num_batches_tracked stays 0.
        AssertClose([0.4, 0.15], norm.RunningMean!);
        AssertClose([1.15, 1.7], norm.RunningVar!);
        Assert.Equal(0, norm.NumBatchesTracked);

        // A second step from there: same batch, running = 0.9 * running + 0.1 * statistic.
        norm.Forward(new ReferenceTensor([1, 2, 3, 0, 0, 6, 4, 6, 8, -1, 1, 3], 2, 2, 3));
        AssertClose([(0.9 * 0.4) + 0.4, (0.9 * 0.15) + 0.15], norm.RunningMean!);
        AssertClose([(0.9 * 1.15) + 0.25, (0.9 * 1.7) + 0.8], norm.RunningVar!);
    }

    [Fact]
    public void InstanceNorm_with_null_momentum_keeps_its_running_statistics()
    {
        var norm = new ReferenceInstanceNorm("In", 2, 1, momentum: null, trackRunningStats: true);
        norm.Forward(TestData.Tensor(new Random(66), 3, 2, 4));
        AssertClose([0, 0], norm.RunningMean!);
        AssertClose([1, 1], norm.RunningVar!);
    }

    [Fact]
    public void InstanceNorm_eval_uses_the_running_statistics_when_tracking_and_instance_statistics_otherwise()
    {
        var random = new Random(67);
        ReferenceTensor x = TestData.Tensor(random, 2, 3, 4, 5);

        var tracking = new ReferenceInstanceNorm("In", 3, 2, eps: 0.0, affine: true, trackRunningStats: true) { Training = false };
        double[] runningMean = [0.5, -1, 0.25], runningVar = [4, 0.25, 1];
        runningMean.CopyTo(tracking.RunningMean!, 0);
        runningVar.CopyTo(tracking.RunningVar!, 0);
        tracking.Weight!.CopyFrom(new double[] { 2, 1, -1 });
        tracking.Bias!.CopyFrom(new double[] { 0, 1, 0.5 });
        ReferenceTensor y = tracking.Forward(x);
        var expected = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int c = i / 20 % 3;
            expected[i] = (tracking.Weight.Data[c] * (x.Data[i] - runningMean[c]) / Math.Sqrt(runningVar[c])) + tracking.Bias!.Data[c];
        }

        AssertClose(expected, y.Data);
        AssertClose(runningMean, tracking.RunningMean!);
        AssertClose(runningVar, tracking.RunningVar!);

        var untracked = new ReferenceInstanceNorm("In", 3, 2);
        double[] training = untracked.Forward(x).Data;
        untracked.Training = false;
        Assert.Equal(training, untracked.Forward(x).Data);
        Assert.Null(untracked.RunningMean);
        for (int p = 0; p < 6; p++)
        {
            Assert.Equal(0.0, training.Skip(p * 20).Take(20).Average(), 1e-14);
        }
    }

    [Fact]
    public void InstanceNorm_refuses_one_spatial_element_when_it_needs_instance_statistics()
    {
        var norm = new ReferenceInstanceNorm("In", 3, 1, trackRunningStats: true);
        var error = Assert.Throws<ArgumentException>(() => norm.Forward(new ReferenceTensor(4, 3, 1)));
        Assert.StartsWith("Expected more than 1 spatial element when training, got input size [4, 3, 1]", error.Message, StringComparison.Ordinal);
        AssertClose([0, 0, 0], norm.RunningMean!);

        // Eval with running statistics needs no instance statistics.
        norm.Training = false;
        norm.Forward(new ReferenceTensor(4, 3, 1));
    }

    [Fact]
    public void InstanceNorm_defaults_and_shapes_follow_PyTorch()
    {
        var norm = new ReferenceInstanceNorm("In", 3, 2);
        Assert.Equal(1e-5, norm.Eps);
        Assert.Equal(0.1, norm.Momentum);
        Assert.False(norm.Affine);
        Assert.False(norm.TrackRunningStats);
        Assert.Empty(norm.Parameters);
        Assert.Null(norm.RunningVar);
        var affine = new ReferenceInstanceNorm("In", 3, 1, affine: true, trackRunningStats: true);
        Assert.Equal(new[] { "In.weight", "In.bias" }, affine.Parameters.Select(p => p.Name));
        Assert.Equal(new[] { 1.0, 1.0, 1.0 }, affine.RunningVar);

        Assert.Throws<ArgumentException>(() => norm.Forward(new ReferenceTensor(2, 3, 4)));       // 3D into InstanceNorm2d
        Assert.Throws<ArgumentException>(() => affine.Forward(new ReferenceTensor(2, 3, 4, 4)));  // 4D into InstanceNorm1d
        Assert.Throws<ArgumentException>(() => affine.Forward(new ReferenceTensor(2, 2, 4)));     // wrong channels
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReferenceInstanceNorm("In", 3, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReferenceInstanceNorm("In", 3, 4));
    }

    private static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-12);
        }
    }
}
