using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using B = FusedLayers.Generator.Planning.Buffers;

namespace FusedLayers.Generator.Planning;

/// <summary>
/// What a kernel does once every kernel of a training forward has succeeded: the finiteness check of its batch
/// statistics, then its running-statistics update. Nothing the user can observe changes before this point.
/// </summary>
internal static class CommitRule
{
    public static void Build(RuleContext c, PassBuilder passes)
    {
        LayerSpec? norm = c.Norm;
        bool tracks = norm is { TrackRunningStats: true };
        bool projection = c.Kernel.Residual is { Projection: true };
        string? condition = c.CanFreeze ? RuleContext.UnlessFrozen : null;
        const string ProjectionCondition = RuleContext.UnlessProjectionFrozen;
        if (tracks)
        {
            if (c.IsTrackedInstanceNorm)
            {
                c.Describe(B.RowVar, "per-row biased variance (for the running update)");
                passes.Step("RowNormKernels.ThrowIfNotFinite", new[] { B.RowStats, B.RowVar }, new string[0], "the per-instance statistics are finite", condition);
            }
            else
            {
                passes.Step("BatchNormKernels.ThrowIfNotFinite", new[] { B.Stats }, new string[0], "the batch statistics are finite", condition);
            }
        }

        if (projection)
        {
            passes.Step("BatchNormKernels.ThrowIfNotFinite", new[] { B.ProjStats }, new string[0], "the projection's batch statistics are finite", ProjectionCondition);
        }

        if (tracks)
        {
            if (LayerKinds.IsBatchNorm(norm!.Kind))
            {
                string how = norm.CumulativeAverage ? "cumulative average (momentum=None)" : "momentum " + Shapes.Number(norm.Momentum);
                passes.Pass("BatchNormKernels.UpdateRunningStatistics", new[] { B.Stats }, new[] { B.Running }, $"{norm.Name}: running statistics, {how}; the variance enters unbiased (m / (m - 1))", condition);
            }
            else if (c.IsTrackedInstanceNorm)
            {
                passes.Step("RowNormKernels.UpdateInstanceRunningStatistics", new[] { B.RowStats, B.RowVar }, new[] { B.Running },
                    $"{norm.Name}: running statistics, momentum {Shapes.Number(norm.Momentum)}, the mean of the per-instance updates (unbiased variances)");
            }
            else
            {
                passes.Step("BatchRenormKernels.UpdateRunningStatistics", new[] { B.Stats }, new[] { B.Running },
                    $"{norm.Name}: mu and sigma move by momentum {Shapes.Number(norm.Momentum)} towards mu_B and sigma_B");
            }
        }

        if (projection)
        {
            passes.Pass("BatchNormKernels.UpdateRunningStatistics", new[] { B.ProjStats }, new[] { B.Running }, "the projection's BatchNorm: running statistics, momentum 0.1", ProjectionCondition);
        }
    }
}
