using TorchSharp.Modules;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace FashionMnist;

/// <summary>
/// <see cref="FashionNet"/> written as a PyTorch <c>nn.Sequential</c> with the same layer names, so that
/// <c>named_parameters()</c> gives the FusedLayers names (<c>Conv1.weight</c>, <c>Bn1.running_mean</c>, ...).
/// Written by hand from the attributes; <see cref="TorchTrainer"/> checks names, shapes and one forward pass.
/// </summary>
internal static class TorchTwin
{
    public static Sequential Create() => nn.Sequential(
        ("Conv1", Layer(nn.Conv2d(1, 32, 3, padding: 1, bias: false))),
        ("Bn1", Layer(nn.BatchNorm2d(32))),
        ("Relu1", Layer(nn.ReLU())),
        ("Pool1", Layer(nn.MaxPool2d(2))),
        ("Conv2", Layer(nn.Conv2d(32, 64, 3, padding: 1, bias: false))),
        ("Bn2", Layer(nn.BatchNorm2d(64))),
        ("Relu2", Layer(nn.ReLU())),
        ("Pool2", Layer(nn.MaxPool2d(2))),
        ("Flat", Layer(nn.Flatten())),
        ("Fc1", Layer(nn.Linear(64 * 7 * 7, 128, hasBias: false))),
        ("Bn3", Layer(nn.BatchNorm1d(128))),
        ("Relu3", Layer(nn.ReLU())),
        ("Fc2", Layer(nn.Linear(128, 10))));

    private static nn.Module<TorchTensor, TorchTensor> Layer(nn.Module<TorchTensor, TorchTensor> module) => module;
}
