using System;
using FusedLayers.Reference;

namespace FusedLayers.Tests.Reference;

public class ReferenceBatchNormStatisticsTests
{
    // Three [N=2, C=2] batches, per channel (values; mean; unbiased variance):
    //   batch 1: ch0 {1, 3} mean 2, var 2;   ch1 {2, 6}  mean 4, var 8
    //   batch 2: ch0 {0, 4} mean 2, var 8;   ch1 {-1, 1} mean 0, var 2
    //   batch 3: ch0 {5, 5} mean 5, var 0;   ch1 {10, 0} mean 5, var 50
    private static readonly double[][] Batches =
    [
        [1, 2, 3, 6],
        [0, -1, 4, 1],
        [5, 10, 5, 0],
    ];

    [Fact]
    public void Running_statistics_follow_momentum_0_1()
    {
        var bn = new ReferenceBatchNorm("Bn", 2, momentum: 0.1);
        foreach (double[] batch in Batches)
        {
            bn.Forward(new ReferenceTensor((double[])batch.Clone(), 2, 2));
        }

        // running = 0.9 * running + 0.1 * batch statistic, from mean 0 and var 1:
        //   mean ch0: 0 -> 0.2 -> 0.38 -> 0.842      mean ch1: 0 -> 0.4 -> 0.36 -> 0.824
        //   var  ch0: 1 -> 1.1 -> 1.79 -> 1.611      var  ch1: 1 -> 1.7 -> 1.73 -> 6.557
        Assert.Equal(3, bn.NumBatchesTracked);
        AssertClose([0.842, 0.824], bn.RunningMean!);
        AssertClose([1.611, 6.557], bn.RunningVar!);
    }

    [Fact]
    public void Running_statistics_are_a_cumulative_average_when_momentum_is_null()
    {
        var bn = new ReferenceBatchNorm("Bn", 2, momentum: null);
        bn.Forward(new ReferenceTensor((double[])Batches[0].Clone(), 2, 2));

        // Factor 1/1 on the first batch: the running statistics become that batch's statistics.
        Assert.Equal(1, bn.NumBatchesTracked);
        AssertClose([2, 4], bn.RunningMean!);
        AssertClose([2, 8], bn.RunningVar!);

        bn.Forward(new ReferenceTensor((double[])Batches[1].Clone(), 2, 2));
        bn.Forward(new ReferenceTensor((double[])Batches[2].Clone(), 2, 2));

        // Factors 1/2 and 1/3: the plain average of the three batches' statistics.
        //   mean: ch0 (2+2+5)/3 = 3, ch1 (4+0+5)/3 = 3;   var: ch0 (2+8+0)/3 = 10/3, ch1 (8+2+50)/3 = 20
        Assert.Equal(3, bn.NumBatchesTracked);
        AssertClose([3, 3], bn.RunningMean!);
        AssertClose([10.0 / 3.0, 20], bn.RunningVar!);
    }

    [Fact]
    public void Eval_mode_normalises_with_the_running_statistics_and_leaves_them_unchanged()
    {
        var bn = new ReferenceBatchNorm("Bn", 2, eps: 0.0) { Training = false };
        bn.Weight!.CopyFrom(new float[] { 2, 1 });
        bn.Bias!.CopyFrom(new float[] { 1, 0 });
        bn.RunningMean![0] = 1;
        bn.RunningMean[1] = -2;
        bn.RunningVar![0] = 4;
        bn.RunningVar[1] = 0.25;

        // y = gamma * (x - running_mean) / sqrt(running_var) + beta:
        //   ch0: 2 * (3 - 1) / 2 + 1 = 3;   ch1: 1 * (-1 + 2) / 0.5 + 0 = 2
        ReferenceTensor y = bn.Forward(new ReferenceTensor([3, -1], 1, 2));

        AssertClose([3, 2], y.Data);
        Assert.Equal(0, bn.NumBatchesTracked);
        AssertClose([1, -2], bn.RunningMean);
        AssertClose([4, 0.25], bn.RunningVar);
    }

    [Fact]
    public void Without_running_statistics_eval_mode_uses_batch_statistics()
    {
        var random = new Random(41);
        ReferenceTensor x = TestData.Tensor(random, 4, 3, 2, 2);
        var tracking = new ReferenceBatchNorm("Bn", 3);
        var untracked = new ReferenceBatchNorm("Bn", 3, trackRunningStats: false) { Training = false };

        ReferenceTensor expected = tracking.Forward(x);
        ReferenceTensor actual = untracked.Forward(x);

        Assert.Null(untracked.RunningMean);
        Assert.Null(untracked.RunningVar);
        Assert.False(untracked.TrackRunningStats);
        Assert.Equal(0, untracked.NumBatchesTracked);
        AssertClose(expected.Data, actual.Data);
    }

    [Fact]
    public void A_batch_of_one_value_per_channel_throws_the_PyTorch_message_and_changes_nothing()
    {
        var bn = new ReferenceBatchNorm("Bn", 3);
        var error = Assert.Throws<ArgumentException>(() => bn.Forward(new ReferenceTensor([1, 2, 3], 1, 3)));
        Assert.StartsWith("Expected more than 1 value per channel when training", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, bn.NumBatchesTracked);
        AssertClose([0, 0, 0], bn.RunningMean!);
        AssertClose([1, 1, 1], bn.RunningVar!);

        // Batch statistics are also used in eval mode when nothing is tracked.
        var untracked = new ReferenceBatchNorm("Bn", 3, trackRunningStats: false) { Training = false };
        Assert.Throws<ArgumentException>(() => untracked.Forward(new ReferenceTensor(1, 3)));

        // Fine: eval mode with running statistics, and one image with several spatial positions.
        bn.Training = false;
        bn.Forward(new ReferenceTensor(1, 3));
        bn.Training = true;
        bn.Forward(TestData.Tensor(new Random(42), 1, 3, 2, 2));
        Assert.Equal(1, bn.NumBatchesTracked);
    }

    [Fact]
    public void A_large_mean_does_not_lose_precision()
    {
        // Mean 1e4, std 1: E[x^2] - E[x]^2 would cancel catastrophically in float32; two passes do not.
        var random = new Random(43);
        var x = new ReferenceTensor(64, 4, 8, 8);
        for (int i = 0; i < x.Length; i++)
        {
            x.Data[i] = TestData.Normal(random, 1e4, 1.0);
        }

        ReferenceTensor y = new ReferenceBatchNorm("Bn", 4).Forward(x);

        for (int c = 0; c < 4; c++)
        {
            double sum = 0, squares = 0;
            int count = 0;
            for (int n = 0; n < 64; n++)
            {
                for (int s = 0; s < 64; s++)
                {
                    double v = y.Data[(((n * 4) + c) * 64) + s];
                    sum += v;
                    squares += v * v;
                    count++;
                }
            }

            double mean = sum / count;
            Assert.Equal(0.0, mean, 1e-3);
            Assert.Equal(1.0, (squares / count) - (mean * mean), 1e-3);
        }
    }

    [Fact]
    public void Defaults_match_PyTorch()
    {
        var bn = new ReferenceBatchNorm("Bn", 2);
        Assert.True(bn.Training);
        Assert.Equal(1e-5, bn.Eps);
        Assert.Equal(0.1, bn.Momentum);
        Assert.Equal(new[] { 1.0, 1.0 }, bn.Weight!.Data);
        Assert.Equal(new[] { 0.0, 0.0 }, bn.Bias!.Data);
        Assert.Equal(new[] { 0.0, 0.0 }, bn.RunningMean);
        Assert.Equal(new[] { 1.0, 1.0 }, bn.RunningVar);
        Assert.Equal(new[] { "Bn.weight", "Bn.bias" }, new[] { bn.Parameters[0].Name, bn.Parameters[1].Name });
        Assert.Empty(new ReferenceBatchNorm("Bn", 2, affine: false).Parameters);
        Assert.Throws<InvalidOperationException>(() => bn.Backward(new ReferenceTensor(2, 2)));
        Assert.Throws<ArgumentException>(() => bn.Forward(new ReferenceTensor(4, 3)));
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
