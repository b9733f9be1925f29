using System;
using FusedLayers.Kernels;
using FusedLayers.Reference;

namespace FusedLayers.Tests.Reference;

public class ReferenceActivationTests
{
    public static TheoryData<ActivationKind> Kinds() => new(Enum.GetValues<ActivationKind>());

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Gradients_match_finite_differences(ActivationKind kind)
    {
        // Magnitudes in [0.8, 8]: away from the kink at 0 by far more than h = 1e-6, and on both sides of ReLU6's
        // kink at 6 and Hardswish's at -3 and 3 (with these seeds no input lies within 1e-3 of them).
        var random = new Random(31 + (int)kind);
        Activation activation = kind == ActivationKind.LeakyReLU ? Activation.LeakyReLU(0.3f) : new Activation(kind);
        ReferenceTensor x = TestData.AwayFromZero(random, 2, 3, 4, 5);
        for (int i = 0; i < x.Length; i++)
        {
            x.Data[i] *= 8;
            Assert.True(Math.Abs(Math.Abs(x.Data[i]) - 6) > 1e-3);
            Assert.True(kind != ActivationKind.Hardswish || Math.Abs(Math.Abs(x.Data[i]) - 3) > 1e-3);
        }

        GradientCheck.Check(new ReferenceActivation("Act", activation), x, seed: 32);
    }

    [Fact]
    public void Values_at_known_points()
    {
        Assert.Equal(0.5, ReferenceActivation.Value(Activation.Sigmoid, 0));
        Assert.Equal(Math.Tanh(0.7), ReferenceActivation.Value(Activation.Tanh, 0.7));
        Assert.Equal(6, ReferenceActivation.Value(Activation.ReLU6, 9));
        Assert.Equal(-0.2, ReferenceActivation.Value(Activation.LeakyReLU(0.1f), -2), 7);
        Assert.Equal(1 / (1 + Math.Exp(-2)) * 2, ReferenceActivation.Value(Activation.SiLU, 2), 15);
        Assert.Equal(0, ReferenceActivation.Value(Activation.Hardswish, -4));
        Assert.Equal(1.0 * 4 / 6, ReferenceActivation.Value(Activation.Hardswish, 1), 15);
        Assert.Equal(5, ReferenceActivation.Value(Activation.Hardswish, 5));

        // Mish(1) = tanh(log(1 + e)); softplus's threshold makes Mish the identity above 20; far left it is x e^x.
        Assert.Equal(0.8650983882673103, ReferenceActivation.Value(Activation.Mish, 1), 1e-15);
        Assert.Equal(25, ReferenceActivation.Value(Activation.Mish, 25));
        Assert.Equal(-40 * Math.Exp(-40), ReferenceActivation.Value(Activation.Mish, -40), 1e-30);

        // erf from tables (Abramowitz and Stegun 7.1): erf(0.5) = 0.5204998778, erf(1) = 0.8427007929, erf(2) = 0.9953222650.
        Assert.Equal(0.5204998778130465, ReferenceActivation.Erf(0.5), 1e-15);
        Assert.Equal(0.8427007929497149, ReferenceActivation.Erf(1), 1e-15);
        Assert.Equal(-0.9953222650189527, ReferenceActivation.Erf(-2), 1e-15);
        Assert.Equal(1.0, ReferenceActivation.Erf(7));

        // GELU(1) = Phi(1) = 0.8413447460685429; the tanh form differs from it by ~1e-4 there.
        Assert.Equal(0.8413447460685429, ReferenceActivation.Value(Activation.Gelu, 1), 1e-15);
        Assert.Equal(0.8411919906082768, ReferenceActivation.Value(Activation.GeluTanh, 1), 1e-12);
    }

    [Fact]
    public void Kinks_follow_pytorch()
    {
        Assert.Equal(0, ReferenceActivation.Derivative(Activation.ReLU, 0));
        Assert.Equal(0.25, ReferenceActivation.Derivative(Activation.LeakyReLU(0.25f), 0));
        Assert.Equal(0, ReferenceActivation.Derivative(Activation.ReLU6, 0));
        Assert.Equal(0, ReferenceActivation.Derivative(Activation.ReLU6, 6));
        Assert.Equal(1, ReferenceActivation.Derivative(Activation.ReLU6, 5.9));

        // hardswish_backward: x <= -3 ? 0 : x < 3 ? x / 3 + 1/2 : 1, so the outer branches hold at both kinks.
        Assert.Equal(0, ReferenceActivation.Derivative(Activation.Hardswish, -3));
        Assert.Equal(-0.5, ReferenceActivation.Derivative(Activation.Hardswish, -2.9999999999999996), 15);
        Assert.Equal(1.5, ReferenceActivation.Derivative(Activation.Hardswish, 2.9999999999999996), 15);
        Assert.Equal(1, ReferenceActivation.Derivative(Activation.Hardswish, 3));
        Assert.Equal(1, ReferenceActivation.Derivative(Activation.Hardswish, double.NaN));
    }
}
