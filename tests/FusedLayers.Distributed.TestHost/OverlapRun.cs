using System;
using System.Collections.Generic;
using System.Linq;
using FusedLayers;
using FusedLayers.Training;

namespace FusedLayers.Distributed.TestHost;

/// <summary>What one rank's averaged step-0 gradients were under each way of running the gradient allreduce.</summary>
public sealed class OverlapResult
{
    /// <summary>Mode name to parameter name to averaged gradient.</summary>
    public Dictionary<string, Dictionary<string, float[]>> Grads { get; set; } = [];

    /// <summary>Mode name to the buckets started during Backward.</summary>
    public Dictionary<string, int> StartedDuringBackward { get; set; } = [];

    /// <summary>Buckets per step.</summary>
    public int Buckets { get; set; }
}

/// <summary>
/// The overlap scenario: the same step (same replica state, same shard) with the allreduce after Backward, overlapped
/// with it, overlapped with gradient accumulation over two micro-batches inside and outside <c>NoSync</c>, and with a
/// second <c>retainGraph</c> Backward; each mode starts from rank 0's broadcast state.
/// </summary>
public static class OverlapRun
{
    /// <summary>Runs every mode on this rank.</summary>
    /// <param name="group">The group.</param>
    /// <param name="modelName">Model name (<see cref="TrainingRun.CreateModel"/>).</param>
    /// <param name="sync">Synchronised BatchNorm.</param>
    /// <param name="localBatch">b.</param>
    /// <returns>The gradients per mode.</returns>
    public static OverlapResult Run(ProcessGroup group, string modelName, bool sync, int localBatch)
    {
        var result = new OverlapResult();
        foreach (string mode in new[] { "after", "overlap", "after-accumulate", "overlap-nosync", "overlap-accumulate", "overlap-retain", "after-retain" })
        {
            IFusedModel model = TrainingRun.CreateModel(modelName, TrainingRun.RootSeed + (101 * group.Rank));
            var ddp = new DistributedDataParallel(group, model, new DistributedOptions
            {
                SyncBatchNorm = sync,
                BucketBytes = 1024,
                OverlapGradients = mode.StartsWith("overlap", StringComparison.Ordinal),
            });
            var loss = new CrossEntropyLoss();
            var output = new float[localBatch * model.OutputLength];
            var gradOutput = new float[output.Length];
            model.Train();
            model.ZeroGrad();
            int micro = mode.EndsWith("accumulate", StringComparison.Ordinal) || mode.EndsWith("nosync", StringComparison.Ordinal) ? 2 : 1;
            for (int m = 0; m < micro; m++)
            {
                (float[] inputs, int[] labels) = TrainingRun.GlobalBatch(model, localBatch * group.Size, m);
                ReadOnlySpan<float> x = inputs.AsSpan(group.Rank * localBatch * model.InputLength, localBatch * model.InputLength);
                model.Forward(x, output);
                loss.Compute(output, labels.AsSpan(group.Rank * localBatch, localBatch), gradOutput);
                if (mode == "overlap-nosync" && m < micro - 1)
                {
                    using (ddp.NoSync())
                    {
                        model.Backward(gradOutput);
                    }
                }
                else if (mode.EndsWith("retain", StringComparison.Ordinal))
                {
                    model.Backward(gradOutput, retainGraph: true);
                    model.Backward(gradOutput);
                }
                else
                {
                    model.Backward(gradOutput);
                }
            }

            ddp.AverageGradients();
            result.Grads[mode] = model.Parameters.ToDictionary(p => p.Name, p => (float[])p.Grad.Clone());
            result.StartedDuringBackward[mode] = ddp.BucketsStartedDuringBackward;
            result.Buckets = ddp.BucketCount;
        }

        return result;
    }
}
