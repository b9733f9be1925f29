using System;
using FusedLayers.Reference;

namespace FusedLayers.Tests.Reference;

/// <summary>
/// <see cref="ReferenceMaxPool2d"/>, <see cref="ReferenceAvgPool2d"/> and <see cref="ReferenceAdaptiveAvgPool2d"/>:
/// finite differences (<see cref="GradientCheck"/>), hand-computed cases and argument errors.
/// </summary>
public class ReferencePoolTests
{
    [Theory]
    //          N  C  H  W  k  s  p
    [InlineData(2, 3, 4, 4, 2, 2, 0)]   // the usual 2x2/2
    [InlineData(1, 2, 7, 5, 3, 2, 1)]   // 3x3/2 pad 1 (ResNet stem), odd sizes, overlapping windows
    [InlineData(2, 2, 5, 6, 3, 1, 1)]   // stride 1: every element in up to 9 windows
    [InlineData(1, 3, 7, 7, 2, 3, 1)]   // stride > kernel: skipped elements get no gradient
    [InlineData(1, 1, 6, 9, 4, 2, 2)]   // even kernel with the largest allowed padding
    public void MaxPool_gradients_match_finite_differences(int n, int c, int h, int w, int k, int s, int p)
    {
        GradientCheck.Check(new ReferenceMaxPool2d("Pool", k, s, p), DistinctValues(new Random(h * 10 + w), n, c, h, w), seed: 5);
    }

    [Theory]
    [InlineData(2, 3, 4, 4, 2, 2, 0, true)]
    [InlineData(1, 2, 7, 5, 3, 2, 1, true)]
    [InlineData(1, 2, 7, 5, 3, 2, 1, false)]
    [InlineData(2, 2, 5, 6, 3, 1, 1, false)]
    [InlineData(1, 1, 6, 9, 4, 3, 2, false)]
    [InlineData(1, 1, 6, 9, 4, 3, 2, true)]
    public void AvgPool_gradients_match_finite_differences(int n, int c, int h, int w, int k, int s, int p, bool countIncludePad)
    {
        var random = new Random(h * 10 + w);
        GradientCheck.Check(new ReferenceAvgPool2d("Pool", k, s, p, countIncludePad), TestData.Tensor(random, n, c, h, w), seed: 6);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    public void AdaptiveAvgPool_gradients_match_finite_differences(int outputSize)
    {
        var random = new Random(40 + outputSize);
        GradientCheck.Check(new ReferenceAdaptiveAvgPool2d("Gap", outputSize), TestData.Tensor(random, 2, 3, 5, 7), seed: 8);
    }

    [Fact]
    public void MaxPool_forward_and_indices_match_a_hand_computed_example()
    {
        // 4x4 plane, k = 2, s = 2: maxima 6 (index 5), 8 (7), 14 (13), 16 (15).
        double[] x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
        var pool = new ReferenceMaxPool2d("Pool", 2);
        ReferenceTensor y = pool.Forward(new ReferenceTensor(x, 1, 1, 4, 4));
        Assert.Equal(new[] { 1, 1, 2, 2 }, y.Shape);
        Assert.Equal(new[] { 6.0, 8.0, 14.0, 16.0 }, y.Data);
        Assert.Equal(new[] { 5, 7, 13, 15 }, pool.Indices!);
        Assert.Equal(2, pool.Stride);
    }

    [Fact]
    public void MaxPool_pads_with_negative_infinity_and_routes_overlapping_gradients_to_the_shared_maximum()
    {
        // 3x3 plane, k = 3, s = 1, p = 1: all values negative, so zero padding would win; -inf padding does not.
        // The centre (-1) is in every window and is every window's maximum: dx[centre] = sum of all nine dy.
        double[] x = [-9, -8, -7, -6, -1, -5, -4, -3, -2];
        var pool = new ReferenceMaxPool2d("Pool", 3, 1, 1);
        ReferenceTensor y = pool.Forward(new ReferenceTensor(x, 1, 1, 3, 3));
        Assert.All(y.Data, v => Assert.Equal(-1.0, v));

        double[] dy = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        ReferenceTensor dx = pool.Backward(new ReferenceTensor(dy, 1, 1, 3, 3));
        Assert.Equal(new[] { 0.0, 0, 0, 0, 45, 0, 0, 0, 0 }, dx.Data);
    }

    [Fact]
    public void MaxPool_first_maximum_wins_ties_and_NaN_propagates_like_PyTorch()
    {
        // One 2x3 window (k = 3 would not fit; use a 2x2 kernel over a 2x4 plane, stride 2).
        // Window 0: [5, 5; 1, 5] -> first 5 (index 0). Window 1: [NaN, 2; NaN, 9] -> NaN, last NaN wins (index 6).
        double[] x = [5, 5, double.NaN, 2, 1, 5, double.NaN, 9];
        var pool = new ReferenceMaxPool2d("Pool", 2);
        ReferenceTensor y = pool.Forward(new ReferenceTensor(x, 1, 1, 2, 4));
        Assert.Equal(5.0, y.Data[0]);
        Assert.True(double.IsNaN(y.Data[1]));
        Assert.Equal(new[] { 0, 6 }, pool.Indices!);

        ReferenceTensor dx = pool.Backward(new ReferenceTensor([10.0, 20.0], 1, 1, 1, 2));
        Assert.Equal(new[] { 10.0, 0, 0, 0, 0, 0, 20, 0 }, dx.Data);
    }

    [Fact]
    public void MaxPool_window_of_negative_infinities_points_at_its_first_real_element()
    {
        // PyTorch starts the arg-max at the window's first in-bounds position; -inf never replaces it.
        double[] x = [double.NegativeInfinity, double.NegativeInfinity, double.NegativeInfinity, double.NegativeInfinity];
        var pool = new ReferenceMaxPool2d("Pool", 2, 1, 1);
        ReferenceTensor y = pool.Forward(new ReferenceTensor(x, 1, 1, 2, 2));
        Assert.Equal(new[] { 1, 1, 3, 3 }, y.Shape);
        Assert.All(y.Data, v => Assert.Equal(double.NegativeInfinity, v));
        Assert.Equal(new[] { 0, 0, 1, 0, 0, 1, 2, 2, 3 }, pool.Indices!);
    }

    [Fact]
    public void AvgPool_divisor_follows_count_include_pad()
    {
        // 2x2 plane [1 2; 3 4], k = 2, s = 1, p = 1 -> 3x3 output. Corner (0,0) covers only x[0,0] = 1:
        // count_include_pad: 1 / 4; otherwise 1 / 1. Centre (1,1) covers all four: 10 / 4 either way.
        // Edge (0,1) covers 1 and 2: 3 / 4 or 3 / 2.
        var input = new ReferenceTensor([1.0, 2, 3, 4], 1, 1, 2, 2);
        ReferenceTensor include = new ReferenceAvgPool2d("Pool", 2, 1, 1, countIncludePad: true).Forward(input);
        ReferenceTensor exclude = new ReferenceAvgPool2d("Pool", 2, 1, 1, countIncludePad: false).Forward(input);
        Assert.Equal(new[] { 0.25, 0.75, 0.5, 1.0, 2.5, 1.5, 0.75, 1.75, 1.0 }, include.Data);
        Assert.Equal(new[] { 1.0, 1.5, 2.0, 2.0, 2.5, 3.0, 3.0, 3.5, 4.0 }, exclude.Data);
    }

    [Fact]
    public void AvgPool_backward_spreads_the_gradient_over_each_window()
    {
        // 2x4 plane, k = 2, s = 2: each input element gets dy / 4 of its window.
        var pool = new ReferenceAvgPool2d("Pool", 2);
        pool.Forward(new ReferenceTensor(new double[8], 1, 1, 2, 4));
        ReferenceTensor dx = pool.Backward(new ReferenceTensor([4.0, 8.0], 1, 1, 1, 2));
        Assert.Equal(new[] { 1.0, 1, 2, 2, 1, 1, 2, 2 }, dx.Data);
    }

    [Fact]
    public void Global_average_pool_is_the_plane_mean()
    {
        var random = new Random(9);
        ReferenceTensor x = TestData.Tensor(random, 2, 3, 4, 5);
        ReferenceTensor y = new ReferenceAdaptiveAvgPool2d("Gap").Forward(x);
        Assert.Equal(new[] { 2, 3, 1, 1 }, y.Shape);
        for (int p = 0; p < 6; p++)
        {
            double sum = 0;
            for (int i = 0; i < 20; i++)
            {
                sum += x.Data[(p * 20) + i];
            }

            Assert.Equal(sum / 20, y.Data[p], 1e-15);
        }
    }

    [Fact]
    public void Adaptive_average_pool_bins_overlap_like_PyTorch()
    {
        // Length 5 into 3 bins: [floor(0), ceil(5/3)) = [0, 2), [1, 4), [3, 5) on both axes.
        var x = new ReferenceTensor(1, 1, 5, 5);
        for (int i = 0; i < 25; i++)
        {
            x.Data[i] = i;
        }

        ReferenceTensor y = new ReferenceAdaptiveAvgPool2d("Pool", 3).Forward(x);

        // Bin (0, 0): rows 0..1, cols 0..1 -> (0 + 1 + 5 + 6) / 4 = 3. Bin (1, 2): rows 1..3, cols 3..4 -> mean 13.5.
        Assert.Equal(3.0, y[0, 0, 0, 0]);
        Assert.Equal(13.5, y[0, 0, 1, 2], 1e-12);
        Assert.Equal(12.0, y[0, 0, 1, 1], 1e-12);
    }

    [Fact]
    public void Pools_reject_bad_arguments_and_inputs()
    {
        Assert.Throws<ArgumentException>(() => new ReferenceMaxPool2d("Pool", 3, 1, 2));   // padding > k / 2
        Assert.Throws<ArgumentException>(() => new ReferenceMaxPool2d("Pool", 2, 2, 2));
        Assert.Throws<ArgumentException>(() => new ReferenceAvgPool2d("Pool", 3, 1, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReferenceMaxPool2d("Pool", 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReferenceMaxPool2d("Pool", 2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReferenceAvgPool2d("Pool", 2, 1, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReferenceAdaptiveAvgPool2d("Gap", 0));
        _ = new ReferenceMaxPool2d("Pool", 3, 1, 1); // padding = k / 2 is allowed

        var pool = new ReferenceMaxPool2d("Pool", 3);
        Assert.Throws<InvalidOperationException>(() => pool.Backward(new ReferenceTensor(1, 1, 1, 1)));
        Assert.Throws<ArgumentException>(() => pool.Forward(new ReferenceTensor(1, 2, 2)));       // not 4-D
        Assert.Throws<ArgumentException>(() => pool.Forward(new ReferenceTensor(1, 1, 2, 5)));    // window does not fit
        Assert.Throws<ArgumentException>(() => new ReferenceAvgPool2d("Pool", 3).Forward(new ReferenceTensor(1, 1, 5, 2)));
        Assert.Throws<ArgumentException>(() => new ReferenceAdaptiveAvgPool2d("Gap").Forward(new ReferenceTensor(1, 1, 0, 2)));
        pool.Forward(new ReferenceTensor(1, 1, 3, 3));
        Assert.Throws<ArgumentException>(() => pool.Backward(new ReferenceTensor(1, 1, 2, 2)));
    }

    /// <summary>
    /// Distinct values at least 0.01 apart in random order, so every window's arg-max stays put under the
    /// finite-difference step (1e-6): max pooling is differentiable there.
    /// </summary>
    private static ReferenceTensor DistinctValues(Random random, params int[] shape)
    {
        var tensor = new ReferenceTensor(shape);
        for (int i = 0; i < tensor.Length; i++)
        {
            tensor.Data[i] = (i * 0.01) - 1.0;
        }

        random.Shuffle(tensor.Data);
        return tensor;
    }
}
