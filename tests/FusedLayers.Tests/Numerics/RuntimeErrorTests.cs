using System;
using FusedLayers.Tests.Models;

namespace FusedLayers.Tests.Numerics;

/// <summary>
/// Bad input at run time: a precise exception naming what was expected and what came, and no change to
/// weights, gradients, running statistics or the mode.
/// </summary>
public class RuntimeErrorTests
{
    [Fact]
    public void Input_that_is_not_a_whole_number_of_samples_is_rejected_and_nothing_changes()
    {
        var model = new SeedModel(1);
        var before = StateComparison.Snapshot(model);
        var error = Assert.Throws<ArgumentException>(() => model.Forward(new float[3072 + 5], new float[65536]));
        Assert.Contains("input length 3077 is not a positive multiple of the sample size 3072", error.Message, StringComparison.Ordinal);
        Assert.Contains("[3, 32, 32]", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => model.Forward(ReadOnlySpan<float>.Empty, Span<float>.Empty));
        StateComparison.Unchanged(before, StateComparison.Snapshot(model));
    }

    [Fact]
    public void Output_span_of_the_wrong_length_is_rejected_and_nothing_changes()
    {
        var model = new LinearBnReluModel(1);
        var before = StateComparison.Snapshot(model);
        var error = Assert.Throws<ArgumentException>(() => model.Forward(new float[4 * 20], new float[4 * 16 - 1]));
        Assert.Contains("output span has length 63, expected 64", error.Message, StringComparison.Ordinal);
        StateComparison.Unchanged(before, StateComparison.Snapshot(model));
    }

    [Fact]
    public void Tensor_of_the_wrong_shape_is_rejected()
    {
        var model = new SeedModel(1);
        var error = Assert.Throws<ArgumentException>(() => model.Forward(new Tensor(2, 3, 31, 32)));
        Assert.Contains("expected a tensor of shape [N, 3, 32, 32]", error.Message, StringComparison.Ordinal);
        Assert.Contains("got [2, 3, 31, 32]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Training_batch_norm_with_one_value_per_channel_is_rejected_like_PyTorch_and_nothing_changes()
    {
        var model = new LinearBnReluModel(1);
        var before = StateComparison.Snapshot(model);
        var error = Assert.Throws<ArgumentException>(() => model.Forward(new float[20], new float[16]));
        Assert.StartsWith("Expected more than 1 value per channel when training, got input size [1, 16]", error.Message, StringComparison.Ordinal);
        StateComparison.Unchanged(before, StateComparison.Snapshot(model));

        // In inference the running statistics are used, so a batch of one is fine.
        model.Eval();
        model.Forward(new float[20], new float[16]);
    }

    [Fact]
    public void Training_batch_norm_2d_with_a_batch_of_one_and_several_positions_is_legal()
    {
        var model = new SeedModel(1);
        var output = new float[65536];
        model.Forward(RandomData.Uniform(new Random(1), 3072), output);
        Assert.Equal(1, model.Bn.NumBatchesTracked);
    }

    [Fact]
    public void Batch_statistics_without_running_stats_reject_one_value_per_channel_in_inference_too()
    {
        var model = new BatchNormOptionsModel(1);
        model.Eval();
        var error = Assert.Throws<ArgumentException>(() => model.Forward(new float[50], new float[8]));
        Assert.Contains("'BnBatchOnly'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NaN_input_in_training_throws_and_leaves_running_statistics_unchanged()
    {
        var model = new SeedModel(1);
        var random = new Random(3);
        model.Forward(RandomData.Uniform(random, 2 * 3072), new float[2 * 65536]);
        var before = StateComparison.Snapshot(model);
        float[] input = RandomData.Uniform(random, 2 * 3072);
        input[100] = float.NaN;
        var error = Assert.Throws<ArgumentException>(() => model.Forward(input, new float[2 * 65536]));
        Assert.Contains("BatchNorm layer 'Bn'", error.Message, StringComparison.Ordinal);
        Assert.Contains("not finite", error.Message, StringComparison.Ordinal);
        StateComparison.Unchanged(before, StateComparison.Snapshot(model));

        // The failed pass saved nothing for backward.
        Assert.Throws<InvalidOperationException>(() => model.Backward(new float[2 * 65536]));
    }

    [Fact]
    public void Backward_without_a_training_forward_is_rejected()
    {
        var model = new SeedModel(1);
        var error = Assert.Throws<InvalidOperationException>(() => model.Backward(new float[65536]));
        Assert.Contains("Backward needs a preceding Forward in training mode", error.Message, StringComparison.Ordinal);

        model.Eval();
        model.Forward(new float[3072], new float[65536]);
        Assert.Throws<InvalidOperationException>(() => model.Backward(new float[65536]));
    }

    [Fact]
    public void Backward_with_gradients_of_the_wrong_length_is_rejected_and_nothing_changes()
    {
        var model = new TwoBlockCnn(1);
        var random = new Random(4);
        model.Forward(RandomData.Uniform(random, 3 * 192), new float[3 * 10]);
        var before = StateComparison.Snapshot(model);
        var error = Assert.Throws<ArgumentException>(() => model.Backward(new float[2 * 10], new float[3 * 192]));
        Assert.Contains("gradOutput has length 20, expected 30", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => model.Backward(new float[3 * 10], new float[2 * 192]));
        Assert.Contains("gradInput has length 384, expected 576", error.Message, StringComparison.Ordinal);
        StateComparison.Unchanged(before, StateComparison.Snapshot(model));
    }
}
