using System;
using System.Collections.Generic;
using System.Linq;
using FusedLayers.Training;
using TorchSharp;
using static TorchSharp.torch;
using FusedParameter = FusedLayers.Parameter;
using TorchParameter = TorchSharp.Modules.Parameter;

namespace FusedLayers.TorchParity.Tests;

/// <summary>
/// <see cref="GradientClipping"/> against TorchSharp's <c>torch.nn.utils.clip_grad_norm_</c> and
/// <c>clip_grad_value_</c> (libtorch's C++ implementation): the returned total norm and the clipped gradients,
/// for the 2-, 1-, 3- and infinity norms, clipped and not. libtorch computes the norm in float32, ours in
/// float64: the norm to 1e-6 relative, the gradients to 1e-6 relative (the scale is rounded to float32 on
/// both sides, from norms that differ in the last float32 bits).
/// </summary>
public class ClipGradParityTests
{
    private static readonly int[][] Shapes = [[1], [7], [3, 5], [64], [33], [2, 3, 3, 3]];

    public static TheoryData<double, double> NormCases() => new()
    {
        { 2.0, 0.5 },
        { 2.0, 1e4 },
        { 1.0, 3.0 },
        { 3.0, 0.25 },
        { double.PositiveInfinity, 0.5 },
        { double.PositiveInfinity, 1e4 },
    };

    [Theory]
    [MemberData(nameof(NormCases))]
    public void ClipGradNorm_matches_torch(double normType, double maxNorm)
    {
        using DisposeScope scope = NewDisposeScope();
        (List<FusedParameter> ours, List<TorchParameter> theirs) = Twins(new Random(11));

        double ourNorm = GradientClipping.ClipGradNorm(ours, maxNorm, normType);
        double theirNorm = torch.nn.utils.clip_grad_norm_(theirs, maxNorm, normType);

        Assert.True(Math.Abs(ourNorm - theirNorm) <= 1e-6 * theirNorm, $"total norm {ourNorm}, torch {theirNorm}");
        for (int i = 0; i < ours.Count; i++)
        {
            ParityAssert.Close($"parameter {i} gradient", Twin.ToArray(theirs[i].grad!), ours[i].Grad, 1e-6);
        }
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(1.5)]
    [InlineData(10.0)]
    public void ClipGradValue_matches_torch(double clipValue)
    {
        using DisposeScope scope = NewDisposeScope();
        (List<FusedParameter> ours, List<TorchParameter> theirs) = Twins(new Random(12));

        GradientClipping.ClipGradValue(ours, clipValue);
        torch.nn.utils.clip_grad_value_(theirs, clipValue);

        for (int i = 0; i < ours.Count; i++)
        {
            Assert.Equal(Twin.ToArray(theirs[i].grad!), ours[i].Grad);
        }
    }

    /// <summary>The same gradients on both sides (set on the PyTorch side by back-propagating <c>sum(p * g)</c>).</summary>
    private static (List<FusedParameter> Ours, List<TorchParameter> Theirs) Twins(Random random)
    {
        var ours = new List<FusedParameter>();
        var theirs = new List<TorchParameter>();
        TorchSharp.torch.Tensor objective = torch.zeros(1);
        foreach (int[] shape in Shapes)
        {
            var p = new FusedParameter($"p{ours.Count}", shape);
            TestData.Normal(random, p.Length).CopyTo(p.Data, 0);
            float[] g = TestData.Normal(random, p.Length, std: 2.0);
            g.CopyTo(p.Grad, 0);
            long[] dims = shape.Select(d => (long)d).ToArray();
            var t = new TorchParameter(torch.tensor(p.Data, dims));
            objective = objective + (t * torch.tensor(g, dims)).sum();
            ours.Add(p);
            theirs.Add(t);
        }

        objective.backward();
        for (int i = 0; i < ours.Count; i++)
        {
            Assert.Equal(ours[i].Grad, Twin.ToArray(theirs[i].grad!));
        }

        return (ours, theirs);
    }
}
