using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FusedLayers.Checkpoints;
using FusedLayers.Tests.Models;
using FusedLayers.Tests.Numerics;
using FusedLayers.Training;

namespace FusedLayers.Tests.Training;

/// <summary>
/// Optimizer state dicts: training N steps, saving model and optimizer, loading both into fresh instances
/// and training M more steps is bit-identical to N + M steps without stopping; loading checks every key and
/// changes nothing on error.
/// </summary>
public class OptimizerStateTests
{
    private const int Batch = 4;

    public static TheoryData<string> Optimizers => new() { "sgd_momentum", "sgd_nesterov_wd", "adam", "adamw_amsgrad" };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Resuming_from_saved_state_is_bit_identical(string kind)
    {
        const int n = 5;
        const int m = 6;

        // Uninterrupted.
        var straight = new TwoBlockCnn(7);
        Optimizer straightOptimizer = Create(kind, straight.Parameters);
        Train(straight, straightOptimizer, 0, n + m);

        // Stopped after n steps and saved (model to a file, optimizer to a file and a stream).
        var first = new TwoBlockCnn(7);
        Optimizer firstOptimizer = Create(kind, first.Parameters);
        Train(first, firstOptimizer, 0, n);
        string directory = Path.Combine(Path.GetTempPath(), "fusedlayers-optimizer-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            string modelPath = Path.Combine(directory, "model.safetensors");
            string optimizerPath = Path.Combine(directory, "optimizer.safetensors");
            StateDict.Save(first, modelPath);
            firstOptimizer.SaveStateDict(optimizerPath);

            // Fresh instances, differently initialised, then loaded.
            var resumed = new TwoBlockCnn(99);
            Optimizer resumedOptimizer = Create(kind, resumed.Parameters);
            StateDict.Load(resumed, modelPath);
            resumedOptimizer.LoadStateDict(optimizerPath);
            Assert.Equal(n, resumedOptimizer.StepCount);
            Assert.Equal(firstOptimizer.LearningRate, resumedOptimizer.LearningRate);
            Train(resumed, resumedOptimizer, n, m);

            Assert.Equal(n + m, resumedOptimizer.StepCount);
            for (int i = 0; i < straight.Parameters.Count; i++)
            {
                Assert.Equal(Bits(straight.Parameters[i].Data), Bits(resumed.Parameters[i].Data));
            }

            for (int i = 0; i < straight.Buffers.Count; i++)
            {
                Assert.Equal(Bits(straight.Buffers[i].FloatData), Bits(resumed.Buffers[i].FloatData));
                Assert.Equal(straight.Buffers[i].Int64Data, resumed.Buffers[i].Int64Data);
            }

            // The optimizer states agree too.
            SafeTensorsFile a = straightOptimizer.StateDict();
            SafeTensorsFile b = resumedOptimizer.StateDict();
            Assert.Equal(a.Tensors.Select(t => t.Name), b.Tensors.Select(t => t.Name));
            for (int i = 0; i < a.Tensors.Count; i++)
            {
                Assert.Equal(a.Tensors[i].Data.ToArray(), b.Tensors[i].Data.ToArray());
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void State_dict_names_follow_PyTorch()
    {
        (Parameter[] ps, Adam adam) = SteppedAdam(amsgrad: true, steps: 3);
        SafeTensorsFile file = adam.StateDict();
        Assert.Equal(
            ["state.a.step", "state.a.exp_avg", "state.a.exp_avg_sq", "state.a.max_exp_avg_sq",
             "state.b.step", "state.b.exp_avg", "state.b.exp_avg_sq", "state.b.max_exp_avg_sq", "param_groups.0.lr"],
            file.Tensors.Select(t => t.Name));
        Assert.Equal("I64", file.Find("state.a.step")!.DType);
        Assert.Empty(file.Find("state.a.step")!.Shape);
        Assert.Equal(3L, file.Find("state.b.step")!.ToInt64()[0]);
        Assert.Equal([2L, 3L], file.Find("state.b.exp_avg")!.Shape);
        Assert.Equal(adam.ExpAvgSq(1).ToArray(), file.Find("state.b.exp_avg_sq")!.ToFloat32());
        Assert.Equal("F64", file.Find("param_groups.0.lr")!.DType);
        Assert.Equal("Adam", file.Metadata["optimizer"]);
        Assert.Equal("a,b", file.Metadata["param_groups.0.params"]);
        Assert.Equal("0.9", file.Metadata["param_groups.0.beta1"]);
        Assert.Equal("1", file.Metadata["param_groups.0.amsgrad"]);

        // Through bytes and back.
        var stream = new MemoryStream();
        adam.SaveStateDict(stream);
        stream.Position = 0;
        (_, Adam other) = SteppedAdam(amsgrad: true, steps: 0);
        other.LoadStateDict(stream);
        Assert.Equal(3, other.StepCount);
        Assert.Equal(adam.MaxExpAvgSq(0).ToArray(), other.MaxExpAvgSq(0).ToArray());
        GC.KeepAlive(ps);
    }

    [Fact]
    public void Before_the_first_step_the_state_is_empty_and_loading_it_resets()
    {
        var p = new Parameter("w", 5);
        var sgd = new Sgd([p], lr: 0.1, momentum: 0.9);
        SafeTensorsFile empty = sgd.StateDict();
        Assert.Equal(["param_groups.0.lr"], empty.Tensors.Select(t => t.Name));

        p.Grad.AsSpan().Fill(1f);
        sgd.Step();
        sgd.Step();
        Assert.NotEqual(0f, sgd.MomentumBuffer(0)[0]);
        sgd.LoadStateDict(empty);
        Assert.Equal(0, sgd.StepCount);
        Assert.All(sgd.MomentumBuffer(0).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Scheduler_initial_lr_is_saved_and_restored()
    {
        var p = new Parameter("w", 3);
        var sgd = new Sgd([p], lr: 0.4);
        var schedule = new StepLR(sgd, stepSize: 1, gamma: 0.5);
        sgd.Step();
        schedule.Step();
        SafeTensorsFile file = sgd.StateDict();
        Assert.Equal(0.4, BitConverter.ToDouble(file.Find("param_groups.0.initial_lr")!.Data.Span));

        var other = new Sgd([new Parameter("w", 3)], lr: 1.0);
        other.LoadStateDict(file);
        Assert.Equal(0.2, other.LearningRate);
        Assert.Equal(0.4, new StepLR(other, stepSize: 1, gamma: 0.5).BaseLearningRate);
    }

    [Fact]
    public void A_PyTorch_style_float32_step_loads()
    {
        (_, Adam adam) = SteppedAdam(amsgrad: false, steps: 2);
        SafeTensorsFile file = adam.StateDict();
        SafeTensorsFile converted = Replace(file, "state.a.step", SafeTensor.FromFloat32("state.a.step", [], [2f]));
        converted = Replace(converted, "state.b.step", SafeTensor.FromFloat32("state.b.step", [1], [2f]));
        (_, Adam other) = SteppedAdam(amsgrad: false, steps: 0);
        other.LoadStateDict(converted);
        Assert.Equal(2, other.StepCount);
    }

    [Fact]
    public void Wrong_shape_is_reported_precisely_and_changes_nothing()
    {
        (_, Adam source) = SteppedAdam(amsgrad: false, steps: 3, seed: 1);
        SafeTensorsFile file = Replace(source.StateDict(), "state.b.exp_avg", SafeTensor.FromFloat32("state.b.exp_avg", [6], new float[6]));
        (_, Adam target) = SteppedAdam(amsgrad: false, steps: 2, seed: 2);
        AssertUnchangedOnFailure(target, file, "size mismatch for state.b.exp_avg: copying a tensor with shape [6] from the state, the shape of the parameter is [2, 3].");
    }

    [Fact]
    public void Missing_and_unexpected_keys_are_reported()
    {
        (_, Adam source) = SteppedAdam(amsgrad: false, steps: 3, seed: 1);
        SafeTensorsFile full = source.StateDict();
        var file = new SafeTensorsFile(
            full.Tensors.Where(t => t.Name != "state.a.exp_avg_sq").Append(SafeTensor.FromFloat32("state.c.exp_avg", [1], [0f])),
            full.Metadata);
        (_, Adam target) = SteppedAdam(amsgrad: false, steps: 2, seed: 2);
        StateDictLoadException e = AssertUnchangedOnFailure(target, file, "Missing key(s) in state_dict: \"state.a.exp_avg_sq\".");
        Assert.Contains("Unexpected key(s) in state_dict: \"state.c.exp_avg\".", e.Message, StringComparison.Ordinal);
        Assert.Equal(["state.a.exp_avg_sq"], e.MissingKeys);
        Assert.Equal(["state.c.exp_avg"], e.UnexpectedKeys);

        // AMSGrad state into an optimizer without AMSGrad: the extra buffers are unexpected, and amsgrad differs.
        (_, Adam ams) = SteppedAdam(amsgrad: true, steps: 1);
        e = AssertUnchangedOnFailure(target, ams.StateDict(), "Unexpected key(s) in state_dict: \"state.a.max_exp_avg_sq\", \"state.b.max_exp_avg_sq\".");
        Assert.Contains("param_groups.0.amsgrad is 1 in the state and 0 in this optimizer", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_optimizer_type_hyperparameter_or_parameter_list_is_refused()
    {
        (Parameter[] ps, Adam adam) = SteppedAdam(amsgrad: false, steps: 1);
        var adamW = new AdamW(ps, lr: 0.01);
        AssertUnchangedOnFailure(adamW, adam.StateDict(), "The state was saved by a Adam optimizer and cannot be loaded into a AdamW.");

        var w = new Parameter("w", 2);
        var sgd = new Sgd([w], lr: 0.1, momentum: 0.9);
        w.Grad.AsSpan().Fill(1f);
        sgd.Step();
        var other = new Sgd([new Parameter("w", 2)], lr: 0.1, momentum: 0.8);
        AssertUnchangedOnFailure(other, sgd.StateDict(), "param_groups.0.momentum is 0.9 in the state and 0.8 in this optimizer");

        var renamed = new Sgd([new Parameter("v", 2)], lr: 0.1, momentum: 0.9);
        StateDictLoadException e = AssertUnchangedOnFailure(renamed, sgd.StateDict(), "param_groups.0.params differ: the state has [w], this optimizer has [v].");
        Assert.Contains("Unexpected key(s)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Disagreeing_or_invalid_steps_are_refused()
    {
        (_, Adam source) = SteppedAdam(amsgrad: false, steps: 3);
        SafeTensorsFile file = Replace(source.StateDict(), "state.b.step", SafeTensor.FromInt64("state.b.step", [], [4]));
        (_, Adam target) = SteppedAdam(amsgrad: false, steps: 1, seed: 2);
        AssertUnchangedOnFailure(target, file, "state.b.step is 4, the first parameter's step is 3");

        file = Replace(source.StateDict(), "state.a.step", SafeTensor.FromFloat32("state.a.step", [], [2.5f]));
        AssertUnchangedOnFailure(target, file, "state.a.step is 2.5: a step count must be a whole number, at least 0.");

        file = new SafeTensorsFile(source.StateDict().Tensors.Where(t => t.Name != "state.b.step"), source.StateDict().Metadata);
        AssertUnchangedOnFailure(target, file, "Missing key(s) in state_dict: \"state.b.step\".");
    }

    private static StateDictLoadException AssertUnchangedOnFailure(Optimizer target, SafeTensorsFile file, string expected)
    {
        SafeTensorsFile before = target.StateDict();
        var e = Assert.Throws<StateDictLoadException>(() => target.LoadStateDict(file));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith($"Error(s) in loading state_dict for {target.GetType().Name}:", e.Message, StringComparison.Ordinal);
        SafeTensorsFile after = target.StateDict();
        Assert.Equal(before.Tensors.Select(t => t.Name), after.Tensors.Select(t => t.Name));
        for (int i = 0; i < before.Tensors.Count; i++)
        {
            Assert.Equal(before.Tensors[i].Data.ToArray(), after.Tensors[i].Data.ToArray());
        }

        return e;
    }

    private static SafeTensorsFile Replace(SafeTensorsFile file, string name, SafeTensor replacement) =>
        new(file.Tensors.Select(t => t.Name == name ? replacement : t), file.Metadata);

    private static (Parameter[] Parameters, Adam Adam) SteppedAdam(bool amsgrad, int steps, int seed = 0)
    {
        var random = new Random(seed);
        Parameter[] ps = [new Parameter("a", 4), new Parameter("b", 2, 3)];
        foreach (Parameter p in ps)
        {
            RandomData.Normal(random, p.Length).CopyTo(p.Data, 0);
        }

        var adam = new Adam(ps, lr: 0.01, amsgrad: amsgrad);
        for (int s = 0; s < steps; s++)
        {
            foreach (Parameter p in ps)
            {
                RandomData.Normal(random, p.Length, std: 1.0 / (s + 1)).CopyTo(p.Grad, 0);
            }

            adam.Step();
        }

        return (ps, adam);
    }

    private static Optimizer Create(string kind, IReadOnlyList<Parameter> ps) => kind switch
    {
        "sgd_momentum" => new Sgd(ps, lr: 0.05, momentum: 0.9),
        "sgd_nesterov_wd" => new Sgd(ps, lr: 0.05, momentum: 0.8, weightDecay: 1e-3, nesterov: true),
        "adam" => new Adam(ps, lr: 3e-3),
        _ => new AdamW(ps, lr: 3e-3, weightDecay: 0.05, amsgrad: true),
    };

    /// <summary>Steps <paramref name="first"/> .. first + count - 1, each on its own seeded batch (MSE to random targets); the rate halves after step 2.</summary>
    private static void Train(TwoBlockCnn model, Optimizer optimizer, int first, int count)
    {
        var loss = new MSELoss();
        var output = new float[Batch * model.OutputLength];
        var grad = new float[output.Length];
        model.Train();
        for (int step = first; step < first + count; step++)
        {
            var random = new Random(1000 + step);
            float[] input = RandomData.Normal(random, Batch * model.InputLength);
            float[] target = RandomData.Normal(random, output.Length);
            model.Forward(input, output);
            loss.Compute(output, target, grad);
            optimizer.ZeroGrad();
            model.Backward(grad);
            optimizer.Step();
            if (step == 2)
            {
                optimizer.LearningRate *= 0.5;
            }
        }
    }

    private static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);
}
