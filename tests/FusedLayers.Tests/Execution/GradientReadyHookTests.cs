using System;
using System.Collections.Generic;
using System.Linq;
using FusedLayers.Tests.Models;

namespace FusedLayers.Tests.Execution;

/// <summary>
/// The gradient-ready hook of the generated Backward (<see cref="ExecutionOptions.GradientObserver"/>), on which
/// data-parallel overlap relies: every call names a parameter from which on every gradient is already final, the calls
/// move down the parameter list, and the last one names <c>Parameters[0]</c>; for every kind of kernel.
/// </summary>
public sealed class GradientReadyHookTests
{
    public static TheoryData<string> Models() =>
    [
        nameof(TwoBlockCnn), nameof(ResidualCnn), nameof(ResidualMlp), nameof(InputFirstResidualMlp), nameof(InputResidualModel),
        nameof(PooledBnModel), nameof(PoolCnn), nameof(RenormCnn), nameof(LinearBnReluModel), nameof(InstanceNormReluModel),
        nameof(GroupNormSiluModel), nameof(LayerNormCnn), nameof(SequenceBnModel), nameof(DropoutMlp), nameof(StandaloneBnModel),
        nameof(BatchNormOptionsModel), nameof(GroupedConvModel), nameof(ActivationCnn),
    ];

    private static IFusedModel Create(string name) => name switch
    {
        nameof(TwoBlockCnn) => new TwoBlockCnn(5),
        nameof(ResidualCnn) => new ResidualCnn(5),
        nameof(ResidualMlp) => new ResidualMlp(5),
        nameof(InputFirstResidualMlp) => new InputFirstResidualMlp(5),
        nameof(InputResidualModel) => new InputResidualModel(5),
        nameof(PooledBnModel) => new PooledBnModel(5),
        nameof(PoolCnn) => new PoolCnn(5),
        nameof(RenormCnn) => new RenormCnn(5),
        nameof(LinearBnReluModel) => new LinearBnReluModel(5),
        nameof(InstanceNormReluModel) => new InstanceNormReluModel(5),
        nameof(GroupNormSiluModel) => new GroupNormSiluModel(5),
        nameof(LayerNormCnn) => new LayerNormCnn(5),
        nameof(SequenceBnModel) => new SequenceBnModel(5),
        nameof(DropoutMlp) => new DropoutMlp(5),
        nameof(StandaloneBnModel) => new StandaloneBnModel(5),
        nameof(BatchNormOptionsModel) => new BatchNormOptionsModel(5),
        nameof(GroupedConvModel) => new GroupedConvModel(5),
        nameof(ActivationCnn) => new ActivationCnn(5),
        _ => throw new ArgumentException(name, nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Each_call_names_a_point_from_which_every_gradient_is_final_and_the_last_names_the_first_parameter(string name)
    {
        IFusedModel model = Create(name);
        var observer = new Recorder(model);
        model.Execution.GradientObserver = observer;
        const int Batch = 3;
        var x = new float[Batch * model.InputLength];
        var g = new float[Batch * model.OutputLength];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)Math.Sin(i * 0.37);
        }

        for (int i = 0; i < g.Length; i++)
        {
            g[i] = (float)Math.Cos(i * 0.11);
        }

        model.Train();
        model.Forward(x, new float[g.Length]);
        model.ZeroGrad();
        model.Backward(g, new float[x.Length]);

        Assert.NotEmpty(observer.Calls);
        Assert.Equal(0, observer.Calls[^1].Index);
        for (int c = 1; c < observer.Calls.Count; c++)
        {
            Assert.True(observer.Calls[c].Index < observer.Calls[c - 1].Index, $"call {c} named {observer.Calls[c].Index} after {observer.Calls[c - 1].Index}");
        }

        foreach ((int index, float[][] seen) in observer.Calls)
        {
            for (int p = index; p < model.Parameters.Count; p++)
            {
                Assert.True(seen[p - index].AsSpan().SequenceEqual(model.Parameters[p].Grad),
                    $"{model.Parameters[p].Name}'s gradient changed after the hook named {model.Parameters[index].Name} final");
            }
        }

        // Without an observer the hook is a null check: Backward runs as before and the old observer hears nothing.
        int calls = observer.Calls.Count;
        model.Execution.GradientObserver = null;
        model.Forward(x, new float[g.Length]);
        model.Backward(g, new float[x.Length]);
        Assert.Equal(calls, observer.Calls.Count);
    }

    private sealed class Recorder(IFusedModel model) : IGradientReadyObserver
    {
        public List<(int Index, float[][] Seen)> Calls { get; } = [];

        public void GradientsReady(Parameter first)
        {
            int index = model.Parameters.ToList().IndexOf(first);
            Assert.True(index >= 0, $"{first.Name} is not a parameter of the model");
            Calls.Add((index, model.Parameters.Skip(index).Select(p => p.Grad.ToArray()).ToArray()));
        }
    }
}
