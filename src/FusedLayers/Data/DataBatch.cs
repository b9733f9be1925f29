using System;

namespace FusedLayers.Data;

/// <summary>
/// One mini-batch handed out by <see cref="DataLoader.Next"/>: <see cref="Count"/> samples
/// <c>[Count, ...SampleShape]</c>, their labels, targets and data-set indices, in buffers that the loader
/// owns and reuses. Valid until the next <see cref="DataLoader.Next"/> call on the same loader (or its
/// <see cref="DataLoader.Dispose"/>): that call may overwrite it. Copy what must outlive it.
/// </summary>
public sealed class DataBatch
{
    private readonly float[] samples;
    private readonly int[] labels;
    private readonly float[] targets;
    private readonly int[] indices;
    private readonly int[] sampleShape;

    internal DataBatch(int batchSize, int[] sampleShape, int targetLength)
    {
        this.sampleShape = sampleShape;
        SampleLength = TensorShape.Length(sampleShape);
        TargetLength = targetLength;
        samples = new float[checked(batchSize * SampleLength)];
        labels = new int[batchSize];
        targets = new float[checked(batchSize * targetLength)];
        indices = new int[batchSize];
    }

    /// <summary>Samples in this batch (the last batch of an epoch may be smaller than the batch size).</summary>
    public int Count { get; private set; }

    /// <summary>Which epoch this batch belongs to (1 for the first).</summary>
    public int Epoch { get; private set; }

    /// <summary>Position of this batch in its epoch, from 0.</summary>
    public int Index { get; private set; }

    /// <summary>Floats per sample.</summary>
    public int SampleLength { get; }

    /// <summary>Floats per target (0 without targets).</summary>
    public int TargetLength { get; }

    /// <summary>Shape of one sample (a copy).</summary>
    public int[] SampleShape => (int[])sampleShape.Clone();

    /// <summary>The PyTorch shape of <see cref="Samples"/>, <c>[Count, ...SampleShape]</c> (a new array).</summary>
    public int[] Shape => [Count, .. sampleShape];

    /// <summary>The samples, <c>Count * SampleLength</c> floats (the caller may change them in place).</summary>
    public Span<float> Samples => samples.AsSpan(0, Count * SampleLength);

    /// <summary>The labels, one per sample.</summary>
    public ReadOnlySpan<int> Labels => labels.AsSpan(0, Count);

    /// <summary>The targets, <c>Count * TargetLength</c> floats (empty without targets).</summary>
    public ReadOnlySpan<float> Targets => targets.AsSpan(0, Count * TargetLength);

    /// <summary>The data-set index of each sample.</summary>
    public ReadOnlySpan<int> Indices => indices.AsSpan(0, Count);

    internal Span<float> SampleBuffer(int i) => samples.AsSpan(i * SampleLength, SampleLength);

    internal Span<float> TargetBuffer(int i) => targets.AsSpan(i * TargetLength, TargetLength);

    internal void SetLabel(int i, int label, int index)
    {
        labels[i] = label;
        indices[i] = index;
    }

    internal void Complete(int count, int epoch, int index)
    {
        Count = count;
        Epoch = epoch;
        Index = index;
    }
}
