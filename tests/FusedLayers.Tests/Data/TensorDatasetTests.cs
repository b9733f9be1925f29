using System;
using System.Linq;
using FusedLayers.Data;

namespace FusedLayers.Tests.Data;

/// <summary>The in-memory data set: any sample shape, labels in range, optional targets, precise errors that keep nothing.</summary>
public class TensorDatasetTests
{
    [Fact]
    public void Samples_labels_and_targets_are_read_by_index()
    {
        float[] samples = Enumerable.Range(0, 3 * 2 * 2 * 2).Select(i => (float)i).ToArray();
        int[] shape = [2, 2, 2];
        float[] targets = [0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f];
        var data = new TensorDataset(samples, shape, [2, 0, 1], targets: targets, targetShape: [2]);
        Assert.Equal(3, data.Count);
        Assert.Equal(3, data.ClassCount);
        Assert.Equal(8, data.SampleLength);
        Assert.Equal(2, data.TargetLength);
        Assert.Equal([2, 2, 2], data.SampleShape);
        Assert.Equal([2], data.TargetShape);
        Assert.Equal(Enumerable.Range(8, 8).Select(i => (float)i), data.Sample(1).ToArray());
        Assert.Equal([4.5f, 5.5f], data.Target(2).ToArray());
        Assert.Same(samples, data.Samples);
        shape[0] = 9;
        data.SampleShape[1] = 9;
        Assert.Equal([2, 2, 2], data.SampleShape); // copied both ways
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Sample(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Target(-1));
    }

    [Fact]
    public void Class_count_is_the_given_number_or_one_more_than_the_largest_label()
    {
        Assert.Equal(10, new TensorDataset(new float[2], [1], [0, 3], numClasses: 10).ClassCount);
        Assert.Equal(4, new TensorDataset(new float[2], [1], [0, 3]).ClassCount);
        Assert.Equal(0, new TensorDataset([], [3, 4], []).ClassCount);
        var empty = new TensorDataset([], [3, 4], []);
        Assert.Equal(0, empty.Count);
        Assert.Equal(0, empty.TargetLength);
    }

    [Fact]
    public void A_tensor_gives_the_sample_shape_from_its_trailing_dimensions()
    {
        var tensor = new Tensor(2, 3, 4, 4);
        var data = new TensorDataset(tensor, [1, 1], numClasses: 2);
        Assert.Equal([3, 4, 4], data.SampleShape);
        Assert.Same(tensor.Data, data.Samples);
        Assert.Contains("has no per-sample dimensions", Assert.Throws<ArgumentException>(() => new TensorDataset(new Tensor(4), [0, 0, 0, 0])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => new TensorDataset((Tensor)null!, [0]));
    }

    [Fact]
    public void Invalid_arguments_raise_precise_exceptions_and_change_nothing()
    {
        float[] samples = [1, 2, 3, 4, 5, 6];
        int[] labels = [0, 1, 2];
        float[] samplesBefore = (float[])samples.Clone();
        int[] labelsBefore = (int[])labels.Clone();

        Assert.Equal("samples", Assert.Throws<ArgumentNullException>(() => new TensorDataset(null!, [2], labels)).ParamName);
        Assert.Equal("sampleShape", Assert.Throws<ArgumentNullException>(() => new TensorDataset(samples, null!, labels)).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentNullException>(() => new TensorDataset(samples, [2], null!)).ParamName);

        var e = Assert.Throws<ArgumentException>(() => new TensorDataset(samples, [], labels));
        Assert.Equal("sampleShape", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => new TensorDataset(samples, [2, 0], labels));
        Assert.Contains("Dimension 1 of shape [2, 0] is 0", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => new TensorDataset(samples, [65536, 65536], labels));
        Assert.Contains("more than", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ArgumentException>(() => new TensorDataset(samples, [3], labels));
        Assert.Equal("samples", e.ParamName);
        Assert.Contains("3 labels and samples of shape [3] (3 floats each) need 9 floats, the samples array has 6", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ArgumentException>(() => new TensorDataset(samples, [2], [0, -1, 2]));
        Assert.Equal("labels", e.ParamName);
        Assert.Contains("Label 1 is -1, a class index cannot be negative", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => new TensorDataset(samples, [2], labels, numClasses: 2));
        Assert.Contains("Label 2 is 2, outside [0, 2) for numClasses 2", e.Message, StringComparison.Ordinal);
        Assert.Equal("numClasses", Assert.Throws<ArgumentOutOfRangeException>(() => new TensorDataset(samples, [2], labels, numClasses: 0)).ParamName);

        Assert.Equal("targetShape", Assert.Throws<ArgumentException>(() => new TensorDataset(samples, [2], labels, targets: new float[3])).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => new TensorDataset(samples, [2], labels, targetShape: [1])).ParamName);
        e = Assert.Throws<ArgumentException>(() => new TensorDataset(samples, [2], labels, targets: new float[4], targetShape: [1]));
        Assert.Equal("targets", e.ParamName);
        Assert.Contains("targets array has 4", e.Message, StringComparison.Ordinal);

        Assert.Equal(samplesBefore, samples);
        Assert.Equal(labelsBefore, labels);
    }
}
