using TorchSharp.Modules;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace FusedLayers.TorchParity.Tests;

/// <summary>
/// PyTorch twin of <c>ResidualCnn</c>, written by hand like torchvision's BasicBlock: fields named as the
/// generated layers, so <c>named_parameters()</c> gives the same state-dict keys (<c>Down.0.weight</c>,
/// <c>Down.1.running_mean</c>, ...).
/// </summary>
internal sealed class ResidualCnnTwin : nn.Module<TorchTensor, TorchTensor>
{
#pragma warning disable IDE0044, SA1306 // Fields are registered by name (RegisterComponents) and must carry the layer names.
    private Conv2d Stem = nn.Conv2d(3, 8, 3, padding: 1, bias: false);
    private BatchNorm2d StemBn = nn.BatchNorm2d(8);
    private Conv2d Conv1 = nn.Conv2d(8, 8, 3, padding: 1, bias: false);
    private BatchNorm2d Bn1 = nn.BatchNorm2d(8);
    private Conv2d Conv2 = nn.Conv2d(8, 8, 3, padding: 1, bias: false);
    private BatchNorm2d Bn2 = nn.BatchNorm2d(8);
    private Conv2d Conv3 = nn.Conv2d(8, 16, 3, stride: 2, padding: 1, bias: false);
    private BatchNorm2d Bn3 = nn.BatchNorm2d(16);
    private Conv2d Conv4 = nn.Conv2d(16, 16, 3, padding: 1, bias: false);
    private BatchNorm2d Bn4 = nn.BatchNorm2d(16);
    private Sequential Down = nn.Sequential(("0", nn.Conv2d(8, 16, 1, stride: 2, bias: false)), ("1", nn.BatchNorm2d(16)));
    private Linear Fc = nn.Linear(16, 5);
#pragma warning restore IDE0044, SA1306

    public ResidualCnnTwin()
        : base(nameof(ResidualCnnTwin)) => RegisterComponents();

    public override TorchTensor forward(TorchTensor x)
    {
        TorchTensor stem = nn.functional.relu(StemBn.forward(Stem.forward(x)));
        TorchTensor h = nn.functional.relu(Bn1.forward(Conv1.forward(stem)));
        TorchTensor block1 = nn.functional.relu(Bn2.forward(Conv2.forward(h)) + stem);
        TorchTensor g = nn.functional.relu(Bn3.forward(Conv3.forward(block1)));
        TorchTensor block2 = nn.functional.relu(Bn4.forward(Conv4.forward(g)) + Down.forward(block1));
        return Fc.forward(nn.functional.adaptive_avg_pool2d(block2, 1).flatten(1));
    }
}

/// <summary>PyTorch twin of <c>ResidualMlp</c>: two adds from the same source, one fused with BatchNorm and Tanh.</summary>
internal sealed class ResidualMlpTwin : nn.Module<TorchTensor, TorchTensor>
{
#pragma warning disable IDE0044, SA1306
    private Linear Fc1 = nn.Linear(12, 12);
    private Linear Fc2 = nn.Linear(12, 12);
    private BatchNorm1d Bn2 = nn.BatchNorm1d(12);
    private Linear Fc3 = nn.Linear(12, 3);
#pragma warning restore IDE0044, SA1306

    public ResidualMlpTwin()
        : base(nameof(ResidualMlpTwin)) => RegisterComponents();

    public override TorchTensor forward(TorchTensor x)
    {
        TorchTensor r1 = nn.functional.relu(Fc1.forward(x));
        TorchTensor a = tanh(Bn2.forward(Fc2.forward(r1)) + r1);
        return Fc3.forward(a + r1);
    }
}

/// <summary>
/// PyTorch twin of <c>RowNormResidualModel</c>: skip connections after GroupNorm (+ ReLU), InstanceNorm (+ SiLU) and a
/// post-norm LayerNorm, which FusedLayers adds to each normalised row in the same pass.
/// </summary>
internal sealed class RowNormResidualTwin : nn.Module<TorchTensor, TorchTensor>
{
#pragma warning disable IDE0044, SA1306 // Fields are registered by name (RegisterComponents) and must carry the layer names.
    private Conv2d Conv1 = nn.Conv2d(4, 4, 3, padding: 1);
    private GroupNorm Gn1 = nn.GroupNorm(2, 4);
    private Conv2d Conv2 = nn.Conv2d(4, 4, 3, padding: 1);
    private InstanceNorm2d In2 = nn.InstanceNorm2d(4, affine: true);
    private Linear Fc1 = nn.Linear(144, 16);
    private Linear Fc2 = nn.Linear(16, 16);
    private LayerNorm Ln = nn.LayerNorm([16]);
    private Linear Fc3 = nn.Linear(16, 5);
#pragma warning restore IDE0044, SA1306

    public RowNormResidualTwin()
        : base(nameof(RowNormResidualTwin)) => RegisterComponents();

    public override TorchTensor forward(TorchTensor x)
    {
        TorchTensor r1 = nn.functional.relu(Gn1.forward(Conv1.forward(x)) + x);
        TorchTensor a2 = nn.functional.silu(In2.forward(Conv2.forward(r1)) + r1);
        TorchTensor f1 = Fc1.forward(a2.flatten(1));
        return Fc3.forward(Ln.forward(Fc2.forward(f1)) + f1);
    }
}
