using System;
using System.Collections.Generic;
using System.Linq;
using FusedLayers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace ResNet;

/// <summary>
/// <see cref="ResNetStage"/> written by hand in TorchSharp, the way torchvision writes ResNet's stem and
/// <c>BasicBlock</c>: one field per layer with parameters, named as the FusedLayers properties, so that
/// <c>named_parameters()</c> and <c>named_buffers()</c> give the same state-dict keys in the same order
/// (<c>Stem.weight</c>, <c>StemBn.running_mean</c>, ..., <c>Fc.bias</c>). Stateless layers (ReLU, max pool,
/// the adds, global average pool, flatten) are functional calls in <see cref="forward"/>.
/// </summary>
internal sealed class ResNetStageTwin : nn.Module<TorchTensor, TorchTensor>
{
#pragma warning disable IDE0044, SA1306 // Fields are registered by name (RegisterComponents) and must carry the layer names.
    private Conv2d Stem = nn.Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
    private BatchNorm2d StemBn = nn.BatchNorm2d(64);
    private Conv2d Block1Conv1 = nn.Conv2d(64, 64, 3, padding: 1, bias: false);
    private BatchNorm2d Block1Bn1 = nn.BatchNorm2d(64);
    private Conv2d Block1Conv2 = nn.Conv2d(64, 64, 3, padding: 1, bias: false);
    private BatchNorm2d Block1Bn2 = nn.BatchNorm2d(64);
    private Conv2d Block2Conv1 = nn.Conv2d(64, 64, 3, padding: 1, bias: false);
    private BatchNorm2d Block2Bn1 = nn.BatchNorm2d(64);
    private Conv2d Block2Conv2 = nn.Conv2d(64, 64, 3, padding: 1, bias: false);
    private BatchNorm2d Block2Bn2 = nn.BatchNorm2d(64);
    private Linear Fc = nn.Linear(64, ResNetStage.Classes);
#pragma warning restore IDE0044, SA1306

    /// <summary>Creates the module with PyTorch's default initialisation (overwritten by <see cref="CopyFrom"/>).</summary>
    public ResNetStageTwin()
        : base(nameof(ResNetStageTwin)) => RegisterComponents();

    /// <summary>The stem, two basic blocks with identity skips, global average pooling and the classifier.</summary>
    public override TorchTensor forward(TorchTensor x)
    {
        TorchTensor stem = nn.functional.relu(StemBn.forward(Stem.forward(x)));
        TorchTensor pooled = nn.functional.max_pool2d(stem, 3, 2, 1);
        TorchTensor h1 = nn.functional.relu(Block1Bn1.forward(Block1Conv1.forward(pooled)));
        TorchTensor block1 = nn.functional.relu(Block1Bn2.forward(Block1Conv2.forward(h1)) + pooled);
        TorchTensor h2 = nn.functional.relu(Block2Bn1.forward(Block2Conv1.forward(block1)));
        TorchTensor block2 = nn.functional.relu(Block2Bn2.forward(Block2Conv2.forward(h2)) + block1);
        return Fc.forward(nn.functional.adaptive_avg_pool2d(block2, 1).flatten(1));
    }

    /// <summary>
    /// Copies every parameter and buffer of <paramref name="model"/> into this module by state-dict name;
    /// throws unless both have the same keys in the same order.
    /// </summary>
    public void CopyFrom(IFusedModel model) => StateCopy.Copy(model, this);
}
