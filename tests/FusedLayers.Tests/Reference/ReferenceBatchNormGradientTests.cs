using System;
using System.Collections.Generic;
using FusedLayers.Reference;

namespace FusedLayers.Tests.Reference;

public class ReferenceBatchNormGradientTests
{
    [Theory]
    //          N  C  H  W  (0 = no such dimension)  affine training track
    [InlineData(6, 3, 0, 0, true, true, true)]     // BatchNorm1d [N, C], batch statistics
    [InlineData(6, 3, 0, 0, false, true, true)]    // ... without gamma/beta
    [InlineData(3, 2, 5, 0, true, true, true)]     // BatchNorm1d [N, C, L]
    [InlineData(2, 3, 3, 4, true, true, true)]     // BatchNorm2d [N, C, H, W], batch statistics
    [InlineData(2, 3, 3, 4, false, true, true)]    // ... without gamma/beta
    [InlineData(1, 2, 3, 3, true, true, true)]     // batch of one image: m = 9 spatial values per channel
    [InlineData(5, 4, 0, 0, true, false, true)]    // eval [N, C]: running statistics are constants
    [InlineData(2, 3, 3, 4, true, false, true)]    // eval [N, C, H, W]
    [InlineData(2, 3, 3, 4, false, false, true)]   // eval without gamma/beta
    [InlineData(2, 3, 2, 3, true, false, false)]   // eval without running statistics: batch statistics
    public void Gradients_match_finite_differences(int n, int c, int h, int w, bool affine, bool training, bool track)
    {
        var random = new Random((n * 1000) + (c * 100) + (h * 10) + w + (affine ? 1 : 0) + (training ? 2 : 0));
        var bn = new ReferenceBatchNorm("Bn", c, affine: affine, trackRunningStats: track) { Training = training };
        TestData.Fill(bn.Weight, random, 0.5, 1.5);
        TestData.Fill(bn.Bias, random);
        if (track)
        {
            TestData.Uniform(random, c, -0.5, 0.5).CopyTo(bn.RunningMean!, 0);
            TestData.Uniform(random, c, 0.5, 1.5).CopyTo(bn.RunningVar!, 0);
        }

        var shape = new List<int> { n, c };
        if (h > 0)
        {
            shape.Add(h);
        }

        if (w > 0)
        {
            shape.Add(w);
        }

        // In training every forward pass of the check also updates the running statistics; they do not
        // feed the training-mode output, so the finite differences are unaffected.
        GradientCheck.Check(bn, TestData.Tensor(random, [.. shape]), seed: 31);
    }
}
