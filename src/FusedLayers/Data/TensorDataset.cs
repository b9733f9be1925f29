using System;

namespace FusedLayers.Data;

/// <summary>
/// An in-memory data set of float samples of any per-sample shape (for example <c>[3, 32, 32]</c>) with a class
/// index per sample and, optionally, a float target per sample (PyTorch's <c>TensorDataset(x, y)</c>). The
/// arrays are referenced, not copied; everything is checked once, here, and an invalid argument raises before
/// anything is kept.
/// </summary>
public sealed class TensorDataset
{
    private readonly int[] sampleShape;
    private readonly int[] targetShape;

    /// <summary>Pairs samples with labels (and optionally targets).</summary>
    /// <param name="samples">The samples, one after the other, each <c>sampleShape</c> in row-major order.</param>
    /// <param name="sampleShape">Shape of one sample, every dimension at least 1 (copied).</param>
    /// <param name="labels">One class index per sample.</param>
    /// <param name="numClasses">Number of classes: every label must lie in <c>[0, numClasses)</c>. When null, labels need only be non-negative and <see cref="ClassCount"/> is one more than the largest.</param>
    /// <param name="targets">Optional float targets, one <paramref name="targetShape"/> per sample (for regression or soft labels).</param>
    /// <param name="targetShape">Shape of one target (copied); given exactly when <paramref name="targets"/> is.</param>
    /// <exception cref="ArgumentNullException"><paramref name="samples"/>, <paramref name="sampleShape"/> or <paramref name="labels"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numClasses"/> is below 1.</exception>
    /// <exception cref="ArgumentException">A shape is empty, has a dimension below 1 or overflows; a length does not match; a label is out of range; or only one of <paramref name="targets"/> and <paramref name="targetShape"/> is given.</exception>
    public TensorDataset(float[] samples, int[] sampleShape, int[] labels, int? numClasses = null, float[]? targets = null, int[]? targetShape = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(sampleShape);
        ArgumentNullException.ThrowIfNull(labels);
        if (numClasses is int classes)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes, nameof(numClasses));
        }

        int sampleLength = CheckedLength(sampleShape, nameof(sampleShape));
        CheckData(samples.Length, labels.Length, sampleLength, sampleShape, "sample", nameof(samples));
        int max = CheckLabels(labels, numClasses);

        int targetLength = 0;
        if ((targets is null) != (targetShape is null))
        {
            throw new ArgumentException(
                targets is null ? "A targetShape was given without targets." : "Targets need a targetShape (the shape of one sample's target).",
                targets is null ? nameof(targets) : nameof(targetShape));
        }

        if (targets is not null && targetShape is not null)
        {
            targetLength = CheckedLength(targetShape, nameof(targetShape));
            CheckData(targets.Length, labels.Length, targetLength, targetShape, "target", nameof(targets));
        }

        Samples = samples;
        Labels = labels;
        Targets = targets;
        this.sampleShape = (int[])sampleShape.Clone();
        this.targetShape = targetShape is null ? [] : (int[])targetShape.Clone();
        SampleLength = sampleLength;
        TargetLength = targetLength;
        ClassCount = numClasses ?? (labels.Length == 0 ? 0 : max + 1);
    }

    /// <summary>Wraps a tensor <c>[N, ...]</c> of samples: the sample shape is the tensor's shape without its first dimension.</summary>
    /// <param name="samples">The samples (their data is referenced, not copied).</param>
    /// <param name="labels">One class index per sample.</param>
    /// <param name="numClasses">Number of classes, as in the other constructor.</param>
    /// <exception cref="ArgumentException">The tensor has fewer than two dimensions, or as in the other constructor.</exception>
    public TensorDataset(Tensor samples, int[] labels, int? numClasses = null)
        : this(ArgumentNullExceptionOr(samples).Data, SampleShapeOf(samples), labels, numClasses)
    {
    }

    /// <summary>All samples, one after the other.</summary>
    public float[] Samples { get; }

    /// <summary>The labels, one per sample.</summary>
    public int[] Labels { get; }

    /// <summary>The targets, one <see cref="TargetShape"/> per sample, or null.</summary>
    public float[]? Targets { get; }

    /// <summary>Number of samples.</summary>
    public int Count => Labels.Length;

    /// <summary>The number of classes given, else one more than the largest label.</summary>
    public int ClassCount { get; }

    /// <summary>Shape of one sample (a copy).</summary>
    public int[] SampleShape => (int[])sampleShape.Clone();

    /// <summary>Floats per sample.</summary>
    public int SampleLength { get; }

    /// <summary>Shape of one target (a copy; empty without targets).</summary>
    public int[] TargetShape => (int[])targetShape.Clone();

    /// <summary>Floats per target (0 without targets).</summary>
    public int TargetLength { get; }

    /// <summary>The floats of sample <paramref name="index"/>.</summary>
    /// <param name="index">Sample index.</param>
    /// <returns>The sample.</returns>
    public ReadOnlySpan<float> Sample(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Samples.AsSpan(index * SampleLength, SampleLength);
    }

    /// <summary>The target of sample <paramref name="index"/> (empty without targets).</summary>
    /// <param name="index">Sample index.</param>
    /// <returns>The target.</returns>
    public ReadOnlySpan<float> Target(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Targets is null ? default : Targets.AsSpan(index * TargetLength, TargetLength);
    }

    internal ReadOnlySpan<int> ShapeSpan => sampleShape;

    private static int CheckedLength(int[] shape, string name)
    {
        if (shape.Length == 0)
        {
            throw new ArgumentException("The shape has no dimensions: give at least one, for example [1] for a scalar.", name);
        }

        long length = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] < 1)
            {
                throw new ArgumentException($"Dimension {d} of shape {TensorShape.Format(shape)} is {shape[d]}, every dimension must be at least 1.", name);
            }

            length *= shape[d];
            if (length > Array.MaxLength)
            {
                throw new ArgumentException($"Shape {TensorShape.Format(shape)} has more than {Array.MaxLength} elements.", name);
            }
        }

        return (int)length;
    }

    private static void CheckData(int dataLength, int count, int length, int[] shape, string what, string name)
    {
        if ((long)count * length != dataLength)
        {
            throw new ArgumentException(
                $"{count} labels and {what}s of shape {TensorShape.Format(shape)} ({length} floats each) need {(long)count * length} floats, the {what}s array has {dataLength}.", name);
        }
    }

    private static int CheckLabels(int[] labels, int? numClasses)
    {
        int max = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            int label = labels[i];
            if (label < 0 || label >= numClasses)
            {
                throw new ArgumentException(
                    numClasses is null
                        ? $"Label {i} is {label}, a class index cannot be negative."
                        : $"Label {i} is {label}, outside [0, {numClasses}) for numClasses {numClasses}.",
                    nameof(labels));
            }

            max = Math.Max(max, label);
        }

        return max;
    }

    private static Tensor ArgumentNullExceptionOr(Tensor samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        return samples;
    }

    private static int[] SampleShapeOf(Tensor samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Shape.Length < 2)
        {
            throw new ArgumentException(
                $"A tensor of shape {TensorShape.Format(samples.Shape)} has no per-sample dimensions: give [N, ...], for example [N, 3, 32, 32].", nameof(samples));
        }

        return samples.Shape[1..];
    }
}
