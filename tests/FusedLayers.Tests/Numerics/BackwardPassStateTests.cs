using System;
using System.Linq;

namespace FusedLayers.Tests.Numerics;

/// <summary>
/// A Backward uses up the saved training pass, as in PyTorch: a second Backward for one Forward is refused
/// (PyTorch: "Trying to backward through the graph a second time") unless the first kept the pass
/// (<c>retainGraph</c>, PyTorch's <c>retain_graph</c>); an inference-mode Forward in between overwrites the
/// pass, and Backward says exactly that. Every refusal leaves every parameter, gradient and buffer unchanged.
/// </summary>
public class BackwardPassStateTests
{
    [Theory]
    [MemberData(nameof(ModelCase.Names), MemberType = typeof(ModelCase))]
    public void Second_backward_for_one_forward_is_refused_and_changes_nothing(string name)
    {
        (IFusedModel model, float[] input, float[] gradOutput) = Prepared(name);
        model.Backward(gradOutput, new float[input.Length]);
        var before = StateComparison.Snapshot(model);

        var error = Assert.Throws<InvalidOperationException>(() => model.Backward(gradOutput, new float[input.Length]));
        Assert.Contains("Backward was already called for the last training Forward", error.Message, StringComparison.Ordinal);
        Assert.Contains("retainGraph", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => model.Backward(gradOutput));
        StateComparison.Unchanged(before, StateComparison.Snapshot(model));
    }

    [Theory]
    [MemberData(nameof(ModelCase.Names), MemberType = typeof(ModelCase))]
    public void Retained_pass_gives_the_same_gradients_again(string name)
    {
        (IFusedModel model, float[] input, float[] gradOutput) = Prepared(name);
        var firstInputGrad = new float[input.Length];
        model.Backward(gradOutput, firstInputGrad, retainGraph: true);
        float[][] once = [.. model.Parameters.Select(p => p.Grad.ToArray())];

        var secondInputGrad = new float[input.Length];
        model.Backward(gradOutput, secondInputGrad);

        // The saved pass was not altered by the first Backward: the second one computes the very same numbers,
        // which accumulate onto the first (g + g is exact in float).
        Assert.Equal(firstInputGrad, secondInputGrad);
        for (int i = 0; i < once.Length; i++)
        {
            Assert.Equal(once[i].Select(g => g + g).ToArray(), model.Parameters[i].Grad);
        }

        Assert.Throws<InvalidOperationException>(() => model.Backward(gradOutput));
    }

    [Theory]
    [MemberData(nameof(ModelCase.Names), MemberType = typeof(ModelCase))]
    public void Inference_forward_between_training_forward_and_backward_is_named_in_the_error(string name)
    {
        (IFusedModel model, float[] input, float[] gradOutput) = Prepared(name);
        model.Eval();
        model.Forward(input, new float[gradOutput.Length]);
        model.Train();
        var before = StateComparison.Snapshot(model);

        var error = Assert.Throws<InvalidOperationException>(() => model.Backward(gradOutput));
        Assert.Contains("overwritten by an inference-mode Forward", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("call Train() before Forward", error.Message, StringComparison.Ordinal);
        StateComparison.Unchanged(before, StateComparison.Snapshot(model));

        // A new training Forward saves a new pass.
        model.Forward(input, new float[gradOutput.Length]);
        model.Backward(gradOutput);
    }

    [Fact]
    public void Backward_before_any_forward_says_to_run_a_training_forward()
    {
        ModelCase c = ModelCase.Get(nameof(Models.SeedModel));
        IFusedModel model = c.Create(1);
        var error = Assert.Throws<InvalidOperationException>(() => model.Backward(new float[c.Batch * model.OutputLength]));
        Assert.Contains("needs a preceding Forward in training mode", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A model of case <paramref name="name"/> after one training Forward, with an input and an output gradient.</summary>
    private static (IFusedModel Model, float[] Input, float[] GradOutput) Prepared(string name)
    {
        ModelCase c = ModelCase.Get(name);
        IFusedModel model = c.Create(2);
        var random = new Random(3);
        float[] input = RandomData.Uniform(random, c.Batch * model.InputLength);
        float[] gradOutput = RandomData.Uniform(random, c.Batch * model.OutputLength);
        model.Train();
        model.Forward(input, new float[gradOutput.Length]);
        return (model, input, gradOutput);
    }
}
