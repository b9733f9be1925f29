using System;

namespace FusedLayers.Distributed;

/// <summary>
/// Synchronised BatchNorm over MPI: the float64 gather and sum across the group, for one model. In inference mode it is the
/// identity, so that an evaluation on one rank alone never waits for the others (as PyTorch's <c>SyncBatchNorm</c>,
/// which synchronises only in training).
/// </summary>
internal sealed class MpiStatisticsCollective(ProcessGroup group, IFusedModel model) : IBatchStatisticsCollective
{
    public int Replicas => model.Training ? group.Size : 1;

    public void AllGather(ReadOnlySpan<double> values, Span<double> gathered)
    {
        if (model.Training)
        {
            group.AllGather(values, gathered, CommunicationKind.BatchNorm);
        }
        else
        {
            values.CopyTo(gathered);
        }
    }

    public void AllReduceSum(Span<double> values)
    {
        if (model.Training)
        {
            group.AllReduceSum(values, CommunicationKind.BatchNorm);
        }
    }
}
