using FusedLayers;

// Small models for the PyTorch traps that the shared models (tests/FusedLayers.TestModels) do not isolate.
namespace FusedLayers.TorchParity.Tests.Models;

/// <summary>BatchNorm2d(3, track_running_stats=False): batch statistics in training and in inference.</summary>
[FusedModel(InputShape = new[] { 3, 5, 5 })]
public partial class BatchStatsOnlyBnModel
{
    [BatchNorm2d(3, TrackRunningStats = false)]
    public partial BatchNorm2dLayer Bn { get; }
}

/// <summary>BatchNorm1d(3) over <c>[N, C]</c>: one value per channel and sample, so a batch of 2 has m = 2.</summary>
[FusedModel(InputShape = new[] { 3 })]
public partial class FeatureBnModel
{
    [BatchNorm1d(3)]
    public partial BatchNorm1dLayer Bn { get; }
}

/// <summary>BatchNorm2d(2, momentum=None): running statistics are the plain average over the batches seen.</summary>
[FusedModel(InputShape = new[] { 2, 3, 3 })]
public partial class CumulativeBnModel
{
    [BatchNorm2d(2, CumulativeAverage = true)]
    public partial BatchNorm2dLayer Bn { get; }
}
