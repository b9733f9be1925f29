using System;

namespace FusedLayers.Distributed;

/// <summary>
/// Synchronised BatchNorm over MPI: the float64 sum across the group, for one model. In inference mode it is the
/// identity, so that an evaluation on one rank alone never waits for the others (as PyTorch's <c>SyncBatchNorm</c>,
/// which synchronises only in training).
/// </summary>
internal sealed class MpiStatisticsCollective(ProcessGroup group, IFusedModel model) : IBatchStatisticsCollective
{
    public void AllReduceSum(Span<double> values)
    {
        if (model.Training)
        {
            group.AllReduceSum(values, CommunicationKind.BatchNorm);
        }
    }
}
