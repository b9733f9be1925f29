using System;

namespace FusedLayers.Data;

/// <summary>What a <see cref="DataLoader"/> reads: samples as floats, labels and targets, by index.</summary>
internal abstract class SampleSource
{
    public abstract int Count { get; }

    public abstract int[] SampleShape { get; }

    public abstract int TargetLength { get; }

    /// <summary>The floats of one sample; valid until the next call (it may be a scratch buffer).</summary>
    public abstract ReadOnlySpan<float> Sample(int index);

    public abstract int Label(int index);

    public abstract ReadOnlySpan<float> Target(int index);
}

/// <summary>A <see cref="TensorDataset"/>: samples are read in place.</summary>
internal sealed class TensorSampleSource(TensorDataset data) : SampleSource
{
    public override int Count => data.Count;

    public override int[] SampleShape => data.SampleShape;

    public override int TargetLength => data.TargetLength;

    public override ReadOnlySpan<float> Sample(int index) => data.Samples.AsSpan(index * data.SampleLength, data.SampleLength);

    public override int Label(int index) => data.Labels[index];

    public override ReadOnlySpan<float> Target(int index) =>
        data.Targets is null ? default : data.Targets.AsSpan(index * data.TargetLength, data.TargetLength);
}

/// <summary>An <see cref="IdxDataset"/>: byte pixels normalised into a scratch buffer, shape <c>[1, H, W]</c>.</summary>
internal sealed class IdxSampleSource(IdxDataset data, Normalization normalization) : SampleSource
{
    private readonly float[] scratch = new float[data.SampleLength];

    public override int Count => data.Count;

    public override int[] SampleShape => data.SampleShape;

    public override int TargetLength => 0;

    public override ReadOnlySpan<float> Sample(int index)
    {
        normalization.Apply(data.Images.Image(index), scratch);
        return scratch;
    }

    public override int Label(int index) => data.Labels[index];

    public override ReadOnlySpan<float> Target(int index) => default;
}
