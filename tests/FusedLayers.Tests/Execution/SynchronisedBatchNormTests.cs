using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using FusedLayers.Data;
using FusedLayers.Tests.Models;

namespace FusedLayers.Tests.Execution;

/// <summary>
/// The synchronised-BatchNorm hook of the runtime (<see cref="ExecutionOptions.StatisticsCollective"/>), with replicas on
/// threads instead of MPI ranks, on whatever ISA path this test process runs (CI reruns it down AVX2 and scalar):
/// N replicas of local batch b give the outputs, input gradients (of each replica's own mean loss: N times the global
/// one), mean parameter gradients and running statistics of one model with batch N*b, for every way BatchNorm gets its
/// statistics (standalone, Conv2d and Linear epilogues, a residual projection, pooling, BatchRenorm, momentum=None).
/// </summary>
public sealed class SynchronisedBatchNormTests
{
    public static TheoryData<string, int> Models() => new()
    {
        { nameof(StandaloneBnModel), 2 },
        { nameof(TwoBlockCnn), 2 },
        { nameof(TwoBlockCnn), 3 },
        { nameof(LinearBnReluModel), 3 },
        { nameof(BatchNormOptionsModel), 2 },
        { nameof(SequenceBnModel), 2 },
        { nameof(ResidualCnn), 2 },
        { nameof(PooledBnModel), 2 },
        { nameof(RenormCnn), 2 },
    };

    private static IFusedModel Create(string name) => name switch
    {
        nameof(StandaloneBnModel) => new StandaloneBnModel(5),
        nameof(TwoBlockCnn) => new TwoBlockCnn(5),
        nameof(LinearBnReluModel) => new LinearBnReluModel(5),
        nameof(BatchNormOptionsModel) => new BatchNormOptionsModel(5),
        nameof(SequenceBnModel) => new SequenceBnModel(5),
        nameof(ResidualCnn) => new ResidualCnn(5),
        nameof(PooledBnModel) => new PooledBnModel(5),
        nameof(RenormCnn) => new RenormCnn(5),
        _ => throw new ArgumentException(name, nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Replicas_with_a_statistics_collective_train_like_one_model_with_the_global_batch(string name, int replicas)
    {
        const int LocalBatch = 3;
        IFusedModel single = Create(name);
        single.Execution.MaxDegreeOfParallelism = 1;
        int global = replicas * LocalBatch, inLength = single.InputLength, outLength = single.OutputLength;
        float[] x1 = Values(global * inLength, 1, offset: 0.7), x2 = Values(global * inLength, 2, offset: -0.4), g = Values(global * outLength, 3, offset: 0);

        // One model, the global batch: forward, backward, and a second forward for a second running-statistics update.
        var y = new float[global * outLength];
        var dx = new float[global * inLength];
        single.Forward(x1, y);
        single.Backward(g, dx);
        single.Forward(x2, new float[y.Length]);

        var hub = new InProcessReplicas(replicas);
        var models = new IFusedModel[replicas];
        var ys = new float[replicas][];
        var dxs = new float[replicas][];
        var failures = new Exception?[replicas];
        var threads = new Thread[replicas];
        for (int r = 0; r < replicas; r++)
        {
            int rank = r;
            models[r] = Create(name);
            models[r].Execution.MaxDegreeOfParallelism = 1;
            models[r].Execution.StatisticsCollective = hub.Member(r);
            threads[r] = new Thread(() =>
            {
                try
                {
                    IFusedModel m = models[rank];
                    ys[rank] = new float[LocalBatch * outLength];
                    dxs[rank] = new float[LocalBatch * inLength];
                    m.Forward(x1.AsSpan(rank * LocalBatch * inLength, LocalBatch * inLength), ys[rank]);

                    // This replica's loss is the mean over its own samples: N times its share of the global mean.
                    float[] gLocal = g.AsSpan(rank * LocalBatch * outLength, LocalBatch * outLength).ToArray();
                    for (int i = 0; i < gLocal.Length; i++)
                    {
                        gLocal[i] *= replicas;
                    }

                    m.Backward(gLocal, dxs[rank]);
                    m.Forward(x2.AsSpan(rank * LocalBatch * inLength, LocalBatch * inLength), new float[LocalBatch * outLength]);
                }
                catch (Exception e)
                {
                    failures[rank] = e;
                }
            });
            threads[r].Start();
        }

        foreach (Thread t in threads)
        {
            t.Join();
        }

        Assert.All(failures, f => Assert.Null(f));
        Assert.True(hub.Calls > 0, "the collective was never called");
        for (int r = 0; r < replicas; r++)
        {
            Near($"replica {r} output", y.AsSpan(r * LocalBatch * outLength, LocalBatch * outLength), ys[r], 1);
            Near($"replica {r} input gradient", dx.AsSpan(r * LocalBatch * inLength, LocalBatch * inLength), dxs[r], replicas);
            for (int b = 0; b < single.Buffers.Count; b++)
            {
                Buffer expected = single.Buffers[b], actual = models[r].Buffers[b];
                if (expected.ElementType == BufferElementType.Int64)
                {
                    Assert.Equal(expected.Int64Data, actual.Int64Data);
                }
                else
                {
                    Near($"replica {r} {expected.Name}", expected.FloatData, actual.FloatData, 1);
                }
            }
        }

        for (int p = 0; p < single.Parameters.Count; p++)
        {
            float[] mean = new float[single.Parameters[p].Length];
            for (int i = 0; i < mean.Length; i++)
            {
                mean[i] = (float)models.Average(m => (double)m.Parameters[p].Grad[i]);
            }

            Near($"mean gradient of {single.Parameters[p].Name}", single.Parameters[p].Grad, mean, 1);
        }
    }

    [Fact]
    public void Without_a_collective_a_model_never_calls_one_and_keeps_its_own_statistics()
    {
        var model = new TwoBlockCnn(5) { Execution = { MaxDegreeOfParallelism = 1 } };
        Assert.Null(model.Execution.StatisticsCollective);
        Assert.Null(model.Execution.Context.StatisticsCollective);
        var hub = new InProcessReplicas(1);
        var synced = new TwoBlockCnn(5) { Execution = { MaxDegreeOfParallelism = 1, StatisticsCollective = hub.Member(0) } };
        float[] x = Values(4 * model.InputLength, 1, offset: 0.5);
        float[] a = new float[4 * model.OutputLength], b = new float[a.Length];
        model.Forward(x, a);
        synced.Forward(x, b);

        // A collective of one replica is the identity: the same statistics, through the hook.
        Assert.True(hub.Calls > 0);
        Near("output", a, b, 1);
        Near("Bn1.running_var", model.Bn1.RunningVar!, synced.Bn1.RunningVar!, 1);
    }

    [Theory]
    [InlineData(nameof(StandaloneBnModel))]
    [InlineData(nameof(TwoBlockCnn))]
    [InlineData(nameof(LinearBnReluModel))]
    [InlineData(nameof(ResidualCnn))]
    [InlineData(nameof(PooledBnModel))]
    public void A_frozen_batchnorm_takes_no_batch_statistics_and_runs_no_collective(string name)
    {
        // Eval(withGradients: true): every BatchNorm runs on its running statistics, forward and backward, so there is
        // nothing to synchronise; the replica computes exactly what a model without a collective computes.
        IFusedModel plain = Create(name);
        var hub = new InProcessReplicas(1);
        IFusedModel synced = Create(name);
        foreach (IFusedModel m in new[] { plain, synced })
        {
            m.Execution.MaxDegreeOfParallelism = 1;
            m.Eval(withGradients: true);
        }

        synced.Execution.StatisticsCollective = hub.Member(0);
        float[] x = Values(3 * plain.InputLength, 4, offset: 0.3), g = Values(3 * plain.OutputLength, 5, offset: 0);
        float[] ya = new float[g.Length], yb = new float[g.Length], dxa = new float[x.Length], dxb = new float[x.Length];
        plain.Forward(x, ya);
        plain.Backward(g, dxa);
        synced.Forward(x, yb);
        synced.Backward(g, dxb);

        Assert.Equal(0, hub.Calls);
        Assert.Equal(ya, yb);
        Assert.Equal(dxa, dxb);
        for (int p = 0; p < plain.Parameters.Count; p++)
        {
            Assert.Equal(plain.Parameters[p].Grad, synced.Parameters[p].Grad);
        }
    }

    private static float[] Values(int length, ulong seed, double offset)
    {
        var random = new SeededRandom(seed);
        return Enumerable.Range(0, length).Select(i => (float)((random.NextDouble() * 2) - 1 + offset + (0.1 * (i % 5)))).ToArray();
    }

    private static void Near(string what, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double scale)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i] * scale;
            double error = Math.Abs(actual[i] - e);
            Assert.True(error <= 1e-5 + (1e-4 * Math.Abs(e)), $"{what}[{i}]: {actual[i]}, expected {e} (error {error:E2})");
        }
    }
}
