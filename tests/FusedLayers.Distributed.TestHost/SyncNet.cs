using FusedLayers;

namespace FusedLayers.Distributed.TestHost;

/// <summary>
/// Every way a BatchNorm gets its training statistics: a standalone BatchNorm2d (BatchNormKernels.Statistics), one in
/// a Conv2d epilogue, one after a strided bias-free Conv2d, and a BatchNorm1d in a Linear epilogue; then a classifier.
/// </summary>
[FusedModel(InputShape = new[] { 3, 6, 6 })]
public partial class SyncNet
{
    [BatchNorm2d(3)]
    public partial BatchNorm2dLayer InBn { get; }

    [Conv2d(3, 6, 3, Padding = 1)]
    public partial Conv2dLayer Conv1 { get; }

    [BatchNorm2d(6)]
    public partial BatchNorm2dLayer Bn1 { get; }

    [ReLU]
    public partial ReLULayer Relu1 { get; }

    [Conv2d(6, 8, 3, Stride = 2, Padding = 1, Bias = false)]
    public partial Conv2dLayer Conv2 { get; }

    [BatchNorm2d(8, CumulativeAverage = true)]
    public partial BatchNorm2dLayer Bn2 { get; }

    [ReLU]
    public partial ReLULayer Relu2 { get; }

    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(72, 12)]
    public partial LinearLayer Fc1 { get; }

    [BatchNorm1d(12)]
    public partial BatchNorm1dLayer Bn3 { get; }

    [ReLU]
    public partial ReLULayer Relu3 { get; }

    [Linear(12, 5)]
    public partial LinearLayer Fc2 { get; }
}

/// <summary>SyncNet with a different classifier width: the schema-mismatch scenario builds it on rank 1.</summary>
[FusedModel(InputShape = new[] { 3, 6, 6 })]
public partial class SyncNetWide
{
    [BatchNorm2d(3)]
    public partial BatchNorm2dLayer InBn { get; }

    [Conv2d(3, 6, 3, Padding = 1)]
    public partial Conv2dLayer Conv1 { get; }

    [BatchNorm2d(6)]
    public partial BatchNorm2dLayer Bn1 { get; }

    [ReLU]
    public partial ReLULayer Relu1 { get; }

    [Conv2d(6, 8, 3, Stride = 2, Padding = 1, Bias = false)]
    public partial Conv2dLayer Conv2 { get; }

    [BatchNorm2d(8, CumulativeAverage = true)]
    public partial BatchNorm2dLayer Bn2 { get; }

    [ReLU]
    public partial ReLULayer Relu2 { get; }

    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(72, 16)]
    public partial LinearLayer Fc1 { get; }

    [BatchNorm1d(16)]
    public partial BatchNorm1dLayer Bn3 { get; }

    [ReLU]
    public partial ReLULayer Relu3 { get; }

    [Linear(16, 5)]
    public partial LinearLayer Fc2 { get; }
}
