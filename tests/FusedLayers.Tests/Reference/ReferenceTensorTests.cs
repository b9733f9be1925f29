using System;
using FusedLayers.Reference;

namespace FusedLayers.Tests.Reference;

public class ReferenceTensorTests
{
    [Fact]
    public void Constructors_zero_fill_wrap_and_validate()
    {
        var zeros = new ReferenceTensor(2, 3, 4);
        Assert.Equal(24, zeros.Length);
        Assert.All(zeros.Data, v => Assert.Equal(0.0, v));

        double[] data = [1, 2, 3, 4, 5, 6];
        var wrapped = new ReferenceTensor(data, 2, 3);
        Assert.Same(data, wrapped.Data);
        Assert.Equal(6.0, wrapped[1, 2]);

        Assert.Throws<ArgumentException>(() => new ReferenceTensor(data, 4, 2));
        Assert.Throws<ArgumentException>(() => new ReferenceTensor(2, -1));
    }

    [Fact]
    public void Float_conversions_round_trip()
    {
        float[] values = [1.5f, -2.25f, 3e-3f, 7f];
        ReferenceTensor t = ReferenceTensor.FromFloats(values, 2, 2);
        Assert.Equal(new[] { 2, 2 }, t.Shape);
        Assert.Equal(values, t.ToFloats());
        Assert.Throws<ArgumentException>(() => ReferenceTensor.FromFloats(values, 3));
    }

    [Fact]
    public void Parameter_starts_at_zero_and_copies_values_of_the_right_length()
    {
        var p = new ReferenceParameter("Fc.weight", 2, 2);
        Assert.Equal("Fc.weight", p.Name);
        Assert.All(p.Data, v => Assert.Equal(0.0, v));
        Assert.All(p.Grad, v => Assert.Equal(0.0, v));

        p.CopyFrom(new float[] { 1, 2, 3, 4 });
        Assert.Equal(new[] { 1.0, 2.0, 3.0, 4.0 }, p.Data);
        Assert.Throws<ArgumentException>(() => p.CopyFrom(new float[] { 1, 2, 3 }));
    }
}
