using System;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace ResNet;

/// <summary>
/// The PyTorch side: torchvision's resnet18 (TorchVision, TorchSharp's port) or <see cref="ResNetStageTwin"/> on libtorch (TorchSharp-cpu), trained as a PyTorch user
/// would (<c>optimizer.zero_grad()</c>, <c>F.cross_entropy</c>, <c>backward()</c>, <c>torch.optim.SGD</c>),
/// inference under <c>torch.inference_mode()</c>, every step inside a dispose scope so that its tensors are
/// freed at its end.
/// </summary>
internal sealed class TorchRunner : IRunner, IDisposable
{
    private readonly nn.Module<TorchTensor, TorchTensor> twin;
    private readonly optim.Optimizer optimizer;
    private readonly TorchTensor images;
    private readonly TorchTensor labels;

    /// <summary>Gives <paramref name="twin"/> <paramref name="model"/>'s current parameters and buffers (by state-dict name).</summary>
    public TorchRunner(FusedLayers.IFusedModel model, nn.Module<TorchTensor, TorchTensor> twin, SyntheticBatch batch, double learningRate, double momentum)
    {
        this.twin = twin;
        StateCopy.Copy(model, twin);
        optimizer = optim.SGD(twin.parameters(), learningRate, momentum: momentum);
        images = torch.tensor(batch.Images, [batch.Count, .. model.InputShape.Select(d => (long)d)]);
        labels = torch.tensor(batch.Labels.Select(l => (long)l).ToArray());
    }

    public string Name => "PyTorch";

    /// <summary>TorchSharp and libtorch versions, for the header.</summary>
    public static string Version => $"TorchSharp {typeof(torch).Assembly.GetName().Version?.ToString(3)}, libtorch {torch.__version__}";

    public void SetThreads(int threads) => torch.set_num_threads(threads);

    /// <summary>Copies FusedLayers' current state again (after both have trained, before the output check).</summary>
    public void CopyFrom(FusedLayers.IFusedModel model) => StateCopy.Copy(model, twin);

    public float TrainStep()
    {
        twin.train();
        using DisposeScope scope = torch.NewDisposeScope();
        optimizer.zero_grad();
        TorchTensor loss = nn.functional.cross_entropy(twin.forward(images), labels);
        loss.backward();
        optimizer.step();
        return loss.item<float>();
    }

    public void InferForward()
    {
        twin.eval();
        using IDisposable mode = torch.inference_mode();
        using DisposeScope scope = torch.NewDisposeScope();
        twin.forward(images);
    }

    public float[] InferenceLogits()
    {
        twin.eval();
        using IDisposable mode = torch.inference_mode();
        using DisposeScope scope = torch.NewDisposeScope();
        return twin.forward(images).contiguous().data<float>().ToArray();
    }

    public void Dispose()
    {
        optimizer.Dispose();
        images.Dispose();
        labels.Dispose();
        twin.Dispose();
    }
}
