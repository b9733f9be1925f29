using System;
using System.Collections.Generic;
using System.Linq;
using FusedLayers.Reference;
using Xunit.Sdk;

namespace FusedLayers.Tests.Numerics;

/// <summary>Compares gradients and buffers of a generated model with its reference twin.</summary>
public static class StateComparison
{
    /// <summary>
    /// Every parameter gradient. Float32 rounding in backward is relative to the size of the gradients
    /// flowing through the model, not to the size of one result: a gradient that is zero in exact
    /// arithmetic (the bias of a conv/linear layer in front of a training-mode BatchNorm, which subtracts
    /// the mean) is pure float noise, and a gradient that BatchNorm's backward projection
    /// (<c>dy - mean(dy) - xhat * mean(dy*xhat)</c>) shrinks by orders of magnitude carries the rounding
    /// of the larger terms it came from. So each gradient's scale is at least 1e-2 of the model's largest
    /// parameter gradient (and theoretically-zero ones use exactly that).
    /// </summary>
    public static void Gradients(string step, IFusedModel model, ReferenceSequential reference)
    {
        double global = 1e-12;
        foreach (ReferenceParameter p in reference.Parameters)
        {
            global = Math.Max(global, p.Grad.Max(Math.Abs));
        }

        foreach (Parameter parameter in model.Parameters)
        {
            ReferenceParameter expected = reference.FindParameter(parameter.Name)!;
            double floor = 1e-2 * global;
            Compare.Close($"{step}: grad {parameter.Name}", expected.Grad, parameter.Grad, floor: floor);
        }
    }

    /// <summary>
    /// Running statistics and num_batches_tracked of every tracking BatchNorm and InstanceNorm (running_mean,
    /// running_var) and BatchRenorm (running_mean, running_std).
    /// </summary>
    public static void Buffers(string step, IFusedModel model, ReferenceSequential reference)
    {
        foreach (Buffer buffer in model.Buffers)
        {
            string layerName = buffer.Name[..buffer.Name.LastIndexOf('.')];
            IEnumerable<IReferenceLayer> owners = reference.Layers.Concat(reference.Layers.OfType<ReferenceResidual>().Select(r => r.ProjectionNorm).OfType<ReferenceBatchNorm>());
            (double[]? mean, double[]? spread, long batches) = owners.Single(l => l.Name == layerName) switch
            {
                ReferenceBatchNorm bn => (bn.RunningMean, bn.RunningVar, bn.NumBatchesTracked),
                ReferenceInstanceNorm instance => (instance.RunningMean, instance.RunningVar, instance.NumBatchesTracked),
                ReferenceBatchRenorm renorm => (renorm.RunningMean, renorm.RunningStd, renorm.NumBatchesTracked),
                IReferenceLayer other => throw new XunitException($"{step}: {buffer.Name} belongs to {other}, which has no buffers."),
            };

            if (buffer.Name.EndsWith(".running_mean", StringComparison.Ordinal))
            {
                Compare.Close($"{step}: {buffer.Name}", mean!, buffer.FloatData);
            }
            else if (buffer.Name.EndsWith(".running_var", StringComparison.Ordinal) || buffer.Name.EndsWith(".running_std", StringComparison.Ordinal))
            {
                Compare.Close($"{step}: {buffer.Name}", spread!, buffer.FloatData);
            }
            else if (buffer.Int64Data[0] != batches)
            {
                throw new XunitException($"{step}: {buffer.Name} is {buffer.Int64Data[0]}, expected {batches}.");
            }
        }
    }

    /// <summary>A deep copy of every parameter value, gradient and buffer, to prove nothing changed.</summary>
    public static IReadOnlyList<(string Name, double[] Values)> Snapshot(IFusedModel model)
    {
        var state = new List<(string, double[])>();
        foreach (Parameter p in model.Parameters)
        {
            state.Add((p.Name, p.Data.Select(v => (double)v).ToArray()));
            state.Add((p.Name + ".grad", p.Grad.Select(v => (double)v).ToArray()));
        }

        foreach (Buffer b in model.Buffers)
        {
            state.Add((b.Name, b.ElementType == BufferElementType.Float32
                ? b.FloatData.Select(v => (double)v).ToArray()
                : b.Int64Data.Select(v => (double)v).ToArray()));
        }

        state.Add(("training", [model.Training ? 1 : 0]));
        return state;
    }

    /// <summary>Asserts two snapshots are bit-identical.</summary>
    public static void Unchanged(IReadOnlyList<(string Name, double[] Values)> before, IReadOnlyList<(string Name, double[] Values)> after)
    {
        for (int i = 0; i < before.Count; i++)
        {
            if (!before[i].Values.SequenceEqual(after[i].Values))
            {
                throw new XunitException($"State '{before[i].Name}' changed although the call failed.");
            }
        }
    }
}
