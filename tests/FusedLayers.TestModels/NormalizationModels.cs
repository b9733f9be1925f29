using FusedLayers;

// The LayerNorm, GroupNorm, InstanceNorm and BatchRenorm models of the numeric suite (kept apart from
// TestModels.cs). Each is mirrored by a ReferenceSequential in ModelCase.cs; those with a PyTorch twin also
// by a ParityCase.
namespace FusedLayers.Tests.Models;

/// <summary>Conv -> GroupNorm(4, 8) -> SiLU, then Conv (stride 2) -> InstanceNorm2d with PyTorch's defaults (no affine, no running statistics).</summary>
[FusedModel(InputShape = new[] { 3, 8, 8 })]
public partial class GroupNormSiluModel
{
    [Conv2d(3, 8, 3, Padding = 1)]
    public partial Conv2dLayer Conv1 { get; }

    [GroupNorm(4, 8)]
    public partial GroupNormLayer Gn1 { get; }

    [SiLU]
    public partial ActivationLayer Act1 { get; }

    [Conv2d(8, 4, 3, Stride = 2, Padding = 1)]
    public partial Conv2dLayer Conv2 { get; }

    [InstanceNorm2d(4)]
    public partial InstanceNorm2dLayer In2 { get; }
}

/// <summary>Conv -> InstanceNorm2d(affine, tracking) -> ReLU, Flatten, Linear -> LayerNorm -> GELU.</summary>
[FusedModel(InputShape = new[] { 3, 6, 6 })]
public partial class InstanceNormReluModel
{
    [Conv2d(3, 6, 3, Padding = 1)]
    public partial Conv2dLayer Conv { get; }

    [InstanceNorm2d(6, Affine = true, TrackRunningStats = true)]
    public partial InstanceNorm2dLayer In { get; }

    [ReLU]
    public partial ReLULayer Relu { get; }

    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(216, 10)]
    public partial LinearLayer Fc { get; }

    [LayerNorm(10)]
    public partial LayerNormLayer Ln { get; }

    [GELU]
    public partial ActivationLayer Act { get; }
}

/// <summary>
/// [C, L] samples: a standalone InstanceNorm1d with running statistics (momentum 0.3) -> LeakyReLU, a standalone
/// GroupNorm without affine, then Flatten and a classifier.
/// </summary>
[FusedModel(InputShape = new[] { 4, 10 })]
public partial class SequenceNormModel
{
    [InstanceNorm1d(4, TrackRunningStats = true, Momentum = 0.3)]
    public partial InstanceNorm1dLayer In { get; }

    [LeakyReLU(NegativeSlope = 0.1)]
    public partial ActivationLayer Act { get; }

    [GroupNorm(2, 4, Affine = false, Eps = 1e-3)]
    public partial GroupNormLayer Gn { get; }

    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(40, 6)]
    public partial LinearLayer Fc { get; }
}

/// <summary>
/// LayerNorm over the whole [C, H, W] sample as the first kernel, Conv -> LayerNorm over the trailing [H, W]
/// (no bias) -> ReLU, then a classifier.
/// </summary>
[FusedModel(InputShape = new[] { 2, 6, 6 })]
public partial class LayerNormCnn
{
    [LayerNorm(2, 6, 6)]
    public partial LayerNormLayer Ln0 { get; }

    [Conv2d(2, 4, 3, Padding = 1)]
    public partial Conv2dLayer Conv { get; }

    [LayerNorm(6, 6, Bias = false)]
    public partial LayerNormLayer Ln1 { get; }

    [ReLU]
    public partial ReLULayer Relu { get; }

    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(144, 5)]
    public partial LinearLayer Fc { get; }
}

/// <summary>
/// Batch renormalisation with r and d active: a standalone BatchRenorm2d, Conv -> BatchRenorm2d -> ReLU, and
/// Linear -> BatchRenorm1d (no affine) -> SiLU, then a classifier.
/// </summary>
[FusedModel(InputShape = new[] { 3, 6, 6 })]
public partial class RenormCnn
{
    [BatchRenorm2d(3, RMax = 1.2, DMax = 0.2, Momentum = 0.3)]
    public partial BatchRenormLayer Br0 { get; }

    [Conv2d(3, 6, 3, Padding = 1)]
    public partial Conv2dLayer Conv { get; }

    [BatchRenorm2d(6, RMax = 1.5, DMax = 0.5, Momentum = 0.1)]
    public partial BatchRenormLayer Br1 { get; }

    [ReLU]
    public partial ReLULayer Relu { get; }

    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(216, 8)]
    public partial LinearLayer Fc1 { get; }

    [BatchRenorm1d(8, Affine = false, RMax = 2, DMax = 1, Momentum = 0.2)]
    public partial BatchRenormLayer Br2 { get; }

    [SiLU]
    public partial ActivationLayer Act { get; }

    [Linear(8, 4)]
    public partial LinearLayer Fc2 { get; }
}

/// <summary>BatchRenorm at its defaults (r_max = 1, d_max = 0): trains exactly like <see cref="RenormTwinBatchNormModel"/>.</summary>
[FusedModel(InputShape = new[] { 3, 6, 6 })]
public partial class RenormDefaultsModel
{
    [Conv2d(3, 6, 3, Padding = 1)]
    public partial Conv2dLayer Conv { get; }

    [BatchRenorm2d(6)]
    public partial BatchRenormLayer Bn1 { get; }

    [ReLU]
    public partial ReLULayer Relu { get; }

    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(216, 8)]
    public partial LinearLayer Fc { get; }

    [BatchRenorm1d(8)]
    public partial BatchRenormLayer Bn2 { get; }

    [Tanh]
    public partial ActivationLayer Act { get; }
}

/// <summary><see cref="RenormDefaultsModel"/> with BatchNorm in place of BatchRenorm (same state-dict names for the parameters).</summary>
[FusedModel(InputShape = new[] { 3, 6, 6 })]
public partial class RenormTwinBatchNormModel
{
    [Conv2d(3, 6, 3, Padding = 1)]
    public partial Conv2dLayer Conv { get; }

    [BatchNorm2d(6)]
    public partial BatchNorm2dLayer Bn1 { get; }

    [ReLU]
    public partial ReLULayer Relu { get; }

    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(216, 8)]
    public partial LinearLayer Fc { get; }

    [BatchNorm1d(8)]
    public partial BatchNorm1dLayer Bn2 { get; }

    [Tanh]
    public partial ActivationLayer Act { get; }
}

/// <summary>
/// Skip connections after per-sample normalisations, each fused into the row pass: Conv -> GroupNorm -> + input -> ReLU,
/// Conv -> InstanceNorm2d(affine) -> + that -> SiLU, then Flatten, Linear, Linear -> LayerNorm -> + the first Linear
/// (post-norm, no activation), and a classifier.
/// </summary>
[FusedModel(InputShape = new[] { 4, 6, 6 })]
public partial class RowNormResidualModel
{
    [Conv2d(4, 4, 3, Padding = 1)]
    public partial Conv2dLayer Conv1 { get; }

    [GroupNorm(2, 4)]
    public partial GroupNormLayer Gn1 { get; }

    [Residual(ResidualAttribute.ModelInput)]
    public partial ResidualLayer Add1 { get; }

    [ReLU]
    public partial ReLULayer Relu1 { get; }

    [Conv2d(4, 4, 3, Padding = 1)]
    public partial Conv2dLayer Conv2 { get; }

    [InstanceNorm2d(4, Affine = true)]
    public partial InstanceNorm2dLayer In2 { get; }

    [Residual(nameof(Relu1))]
    public partial ResidualLayer Add2 { get; }

    [SiLU]
    public partial ActivationLayer Act2 { get; }

    [Flatten]
    public partial FlattenLayer Flat { get; }

    [Linear(144, 16)]
    public partial LinearLayer Fc1 { get; }

    [Linear(16, 16)]
    public partial LinearLayer Fc2 { get; }

    [LayerNorm(16)]
    public partial LayerNormLayer Ln { get; }

    [Residual(nameof(Fc1))]
    public partial ResidualLayer Add3 { get; }

    [Linear(16, 5)]
    public partial LinearLayer Fc3 { get; }
}
