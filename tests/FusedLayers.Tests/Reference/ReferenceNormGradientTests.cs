using System;
using System.Linq;
using FusedLayers.Reference;

namespace FusedLayers.Tests.Reference;

/// <summary>
/// Central finite differences (<see cref="GradientCheck"/>) for <see cref="ReferenceLayerNorm"/>,
/// <see cref="ReferenceGroupNorm"/> and <see cref="ReferenceInstanceNorm"/> over every option combination.
/// </summary>
public class ReferenceNormGradientTests
{
    /// <summary>LayerNorm: input shape, normalized shape, elementwise_affine, bias.</summary>
    public static TheoryData<int[], int[], bool, bool> LayerNormCases => new()
    {
        { [4, 7], [7], true, true },            // [N, D]
        { [4, 7], [7], true, false },           // weight only
        { [4, 7], [7], false, true },           // no affine (bias ignored)
        { [2, 3, 5], [5], true, true },         // [N, T, D], as in a transformer
        { [2, 3, 5], [3, 5], true, true },      // two normalised dimensions
        { [2, 3, 5], [3, 5], false, false },
        { [3, 2, 2, 3], [2, 2, 3], true, false },
        { [6], [6], true, true },               // the input is exactly normalized_shape: one row
    };

    [Theory]
    [MemberData(nameof(LayerNormCases))]
    public void LayerNorm_gradients_match_finite_differences(int[] inputShape, int[] normalizedShape, bool elementwiseAffine, bool bias)
    {
        var random = new Random(inputShape.Sum() + (10 * normalizedShape.Length) + (elementwiseAffine ? 100 : 0) + (bias ? 200 : 0));
        var ln = new ReferenceLayerNorm("Ln", normalizedShape, elementwiseAffine: elementwiseAffine, bias: bias);
        TestData.Fill(ln.Weight, random, 0.5, 1.5);
        TestData.Fill(ln.Bias, random);
        GradientCheck.Check(ln, TestData.Tensor(random, inputShape), seed: 51);
    }

    [Theory]
    //          N  C  G  H  W  (0 = no such dimension)  affine
    [InlineData(3, 6, 2, 0, 0, true)]     // [N, C]: rows of C / G = 3 values
    [InlineData(3, 6, 3, 0, 0, false)]
    [InlineData(2, 6, 3, 4, 0, true)]     // [N, C, L]
    [InlineData(2, 6, 1, 2, 3, true)]     // one group: LayerNorm over [C, H, W] with per-channel affine
    [InlineData(2, 4, 4, 2, 3, true)]     // one group per channel: InstanceNorm with affine
    [InlineData(2, 6, 2, 2, 3, false)]
    [InlineData(1, 4, 2, 3, 3, true)]     // a batch of one is fine
    public void GroupNorm_gradients_match_finite_differences(int n, int c, int g, int h, int w, bool affine)
    {
        var random = new Random((n * 1000) + (c * 100) + (g * 10) + h + w + (affine ? 7 : 0));
        var gn = new ReferenceGroupNorm("Gn", g, c, affine: affine);
        TestData.Fill(gn.Weight, random, 0.5, 1.5);
        TestData.Fill(gn.Bias, random);
        GradientCheck.Check(gn, TestData.Tensor(random, Shape(n, c, h, w)), seed: 52);
    }

    [Theory]
    //          N  C  H  W  (0 = 1d)  affine track  training
    [InlineData(3, 2, 5, 0, false, false, true)]   // InstanceNorm1d defaults
    [InlineData(3, 2, 5, 0, true, false, true)]
    [InlineData(3, 2, 5, 0, true, true, true)]     // tracking: training still uses instance statistics
    [InlineData(2, 3, 3, 4, false, false, true)]   // InstanceNorm2d defaults
    [InlineData(2, 3, 3, 4, true, true, true)]
    [InlineData(2, 3, 3, 4, true, false, false)]   // eval without tracking: instance statistics
    [InlineData(2, 3, 3, 4, true, true, false)]    // eval with tracking: running statistics are constants
    [InlineData(3, 2, 5, 0, false, true, false)]
    public void InstanceNorm_gradients_match_finite_differences(int n, int c, int h, int w, bool affine, bool track, bool training)
    {
        var random = new Random((n * 1000) + (c * 100) + (h * 10) + w + (affine ? 1 : 0) + (track ? 2 : 0) + (training ? 4 : 0));
        var norm = new ReferenceInstanceNorm("In", c, w > 0 ? 2 : 1, affine: affine, trackRunningStats: track) { Training = training };
        TestData.Fill(norm.Weight, random, 0.5, 1.5);
        TestData.Fill(norm.Bias, random);
        if (track)
        {
            TestData.Uniform(random, c, -0.5, 0.5).CopyTo(norm.RunningMean!, 0);
            TestData.Uniform(random, c, 0.5, 1.5).CopyTo(norm.RunningVar!, 0);
        }

        GradientCheck.Check(norm, TestData.Tensor(random, w > 0 ? [n, c, h, w] : [n, c, h]), seed: 53);
    }

    [Fact]
    public void Parameter_gradients_accumulate_across_backward_calls()
    {
        var random = new Random(54);
        IReferenceLayer[] layers =
        [
            new ReferenceLayerNorm("Ln", [3, 4]),
            new ReferenceGroupNorm("Gn", 3, 6),
            new ReferenceInstanceNorm("In", 6, 2, affine: true),
            new ReferenceBatchRenorm("Br", 6) { RMax = 2, DMax = 1 },
        ];
        foreach (IReferenceLayer layer in layers)
        {
            // [2, 6, 3, 4] fits all four: LayerNorm over the trailing [3, 4], 6 channels for the others.
            ReferenceTensor x = TestData.Tensor(random, 2, 6, 3, 4);
            ReferenceTensor y = layer.Forward(x);
            ReferenceTensor dy = TestData.Tensor(random, y.Shape);
            layer.Backward(dy);
            double[][] once = layer.Parameters.Select(p => (double[])p.Grad.Clone()).ToArray();
            Assert.Contains(once, g => g.Any(v => Math.Abs(v) > 1e-3));
            layer.Backward(dy);
            for (int k = 0; k < once.Length; k++)
            {
                for (int i = 0; i < once[k].Length; i++)
                {
                    Assert.Equal(2 * once[k][i], layer.Parameters[k].Grad[i], 1e-12);
                }
            }
        }
    }

    private static int[] Shape(int n, int c, int h, int w) =>
        h == 0 ? [n, c] : w == 0 ? [n, c, h] : [n, c, h, w];
}
