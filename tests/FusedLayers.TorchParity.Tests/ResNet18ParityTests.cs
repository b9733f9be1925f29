using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FusedLayers.Checkpoints;
using FusedLayers.Tests.Models;
using FusedLayers.Training;
using TorchSharp;
using TorchSharp.PyBridge;
using Xunit.Abstractions;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace FusedLayers.TorchParity.Tests;

/// <summary>
/// torchvision's own <c>resnet18</c> (TorchVision 0.107.0, TorchSharp's port, torchvision's module names) against the
/// FusedLayers ResNet-18 composed of eight <see cref="BasicBlock"/> uses (issue 12 points 1-3): its safetensors state dict
/// loads strictly into the FusedLayers model and back, and the two agree in inference, in training (outputs, the input
/// gradient, every parameter gradient) and in the running statistics after several SGD steps, within
/// <see cref="ParityAssert.Relative"/>. Batch 2 at 3x64x64 keeps it cheap; the network is the same at 224.
/// </summary>
[Collection(TorchGlobalSeedCollection.Name)]
public sealed class ResNet18ParityTests(ITestOutputHelper output) : IDisposable
{
    private const int Batch = 2;
    /// <summary>
    /// Small on purpose: this test holds FusedLayers to float32 PyTorch, and at 0.01 both are 4e-5..7e-5 from float64 PyTorch
    /// after one step, so 1e-4 apart (the float64 comparison below runs at 0.01). The larger drift first seen here
    /// (1e-2 and more) was Winograd under Auto, which now runs direct (ConvAlgorithmRule.AutoPicksWinograd).
    /// </summary>
    private const float LearningRate = 0.001f;

    private readonly string directory = Path.Combine(Path.GetTempPath(), "fusedlayers-resnet18-" + Guid.NewGuid().ToString("N"));
    private double worst;
    private string worstWhat = "";

    [Fact]
    public void Torchvision_resnet18_loads_strictly_and_trains_the_same()
    {
        Directory.CreateDirectory(directory);
        using DisposeScope scope = NewDisposeScope();
        torch.manual_seed(12);
        using var vision = torchvision.models.resnet18(num_classes: ResNet18At64.Classes);
        var random = new Random(12);
        MoveOffInitialisation(vision, random);

        string path = Path.Combine(directory, "torchvision.safetensors");
        vision.save_safetensors(path);
        var fused = new ResNet18At64(seed: 99);
        StateDictLoadResult result = StateDict.Load(fused, path);
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        Assert.Equal(vision.named_parameters().Select(p => p.name), fused.Parameters.Select(p => p.Name));
        Assert.Equal(vision.named_buffers().Select(b => b.name), fused.Buffers.Select(b => b.Name));
        Assert.Equal(122, fused.Parameters.Count + fused.Buffers.Count);
        CompareState(vision, fused, "after loading");

        vision.eval();
        fused.Eval();
        CompareInference(vision, fused, random, "inference after loading");

        vision.train();
        fused.Train();
        var fusedSgd = new Sgd(fused.Parameters, lr: LearningRate);
        using var torchSgd = torch.optim.SGD(vision.parameters(), LearningRate);
        for (int step = 0; step < 3; step++)
        {
            string what = $"training step {step}";
            fused.ZeroGrad();
            torchSgd.zero_grad();
            float[] input = TestData.Normal(random, Batch * fused.InputLength, mean: 0.5, std: 2.0);
            var y = new float[Batch * fused.OutputLength];
            var dx = new float[input.Length];
            fused.Forward(input, y);
            float[] gradOutput = CrossEntropyGradient(y, random);
            fused.Backward(gradOutput, dx);

            TorchTensor x = Twin.ToTorch(input, Batch, fused.InputShape).requires_grad_(true);
            TorchTensor ty = vision.forward(x);
            ty.backward([Twin.ToTorch(gradOutput, Batch, fused.OutputShape)]);
            Close($"{what}: output", Twin.ToArray(ty), y);
            Close($"{what}: input gradient", Twin.ToArray(x.grad!), dx);
            Dictionary<string, TorchSharp.Modules.Parameter> parameters = vision.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (Parameter p in fused.Parameters)
            {
                Close($"{what}: {p.Name} gradient", Twin.ToArray(parameters[p.Name].grad!), p.Grad);
            }

            fusedSgd.Step();
            torchSgd.step();
            CompareState(vision, fused, $"after SGD step {step}");
        }

        vision.eval();
        fused.Eval();
        CompareInference(vision, fused, random, "inference after training");

        // The reverse: the trained FusedLayers state dict loads strictly into a fresh torchvision resnet18.
        string back = Path.Combine(directory, "fused.safetensors");
        StateDict.Save(fused, back, new Dictionary<string, string> { ["format"] = "pt" });
        torch.manual_seed(13);
        using var fresh = torchvision.models.resnet18(num_classes: ResNet18At64.Classes);
        fresh.load_safetensors(back, strict: true);
        fresh.eval();
        CompareState(fresh, fused, "torchvision after loading the FusedLayers state dict");
        CompareInference(fresh, fused, random, "torchvision with the FusedLayers state dict");
        output.WriteLine($"worst relative error {worst:E2} ({worstWhat})");
    }

    /// <summary>
    /// The convolution algorithms <c>Auto</c> picks (Winograd F(2x2, 3x3) in layer1 and layer2 at this size) keep ResNet-18's
    /// training gradients, over two SGD steps, within the parity tolerance (or 4x float32 PyTorch's own distance, if larger) of
    /// float64 PyTorch. This
    /// is the test that showed F(4x4, 3x3) cannot be auto's choice: it put them 1.3e-2 (input) and 1.5e-1 (layer4.1.conv2)
    /// off; see <c>ConvAlgorithmRule.AutoLayerError</c>.
    /// </summary>
    [Fact]
    public void Auto_keeps_the_gradients_as_close_to_float64_pytorch_as_float32_pytorch_is()
    {
        Directory.CreateDirectory(directory);
        using DisposeScope scope = NewDisposeScope();
        torch.manual_seed(12);
        using var vision = torchvision.models.resnet18(num_classes: ResNet18At64.Classes);
        var random = new Random(12);
        MoveOffInitialisation(vision, random);
        string path = Path.Combine(directory, "torchvision.safetensors");
        vision.save_safetensors(path);
        using var vision64 = torchvision.models.resnet18(num_classes: ResNet18At64.Classes);
        vision64.load_safetensors(path, strict: true);
        vision64.to(torch.float64);
        var fused = new ResNet18At64(seed: 99);
        StateDict.Load(fused, path);
        if (System.Environment.GetEnvironmentVariable("FUSEDLAYERS_RESNET18_ALGORITHM") is { } forced)
        {
            fused.Execution.ConvAlgorithm = Enum.Parse<FusedLayers.ConvAlgorithm>(forced); // to measure a Winograd variant by hand
        }

        // An inference pass first, as a training script's validation does.
        vision.eval();
        fused.Eval();
        CompareInference(vision, fused, random, "inference before training");
        vision.train(); vision64.train(); fused.Train();
        const float lr = 0.01f;
        var fusedSgd = new Sgd(fused.Parameters, lr: lr);
        using var sgd32 = torch.optim.SGD(vision.parameters(), lr);
        using var sgd64 = torch.optim.SGD(vision64.parameters(), lr);
        for (int step = 0; step < 2; step++)
        {
        fused.ZeroGrad(); sgd32.zero_grad(); sgd64.zero_grad();
        float[] input = TestData.Normal(random, Batch * fused.InputLength, mean: 0.5, std: 2.0);
        var y = new float[Batch * fused.OutputLength];
        var dx = new float[input.Length];
        fused.Forward(input, y);
        float[] gradOutput = CrossEntropyGradient(y, random);
        fused.Backward(gradOutput, dx);
        TorchTensor x = Twin.ToTorch(input, Batch, fused.InputShape).requires_grad_(true);
        vision.forward(x).backward([Twin.ToTorch(gradOutput, Batch, fused.OutputShape)]);
        TorchTensor x64 = Twin.ToTorch(input, Batch, fused.InputShape).to(torch.float64).requires_grad_(true);
        vision64.forward(x64).backward([Twin.ToTorch(gradOutput, Batch, fused.OutputShape).to(torch.float64)]);
        float[] g32 = Twin.ToArray(x.grad!), g64 = Twin.ToArray(x64.grad!.to(torch.float32));
        output.WriteLine($"step {step}: input gradient, torch32 vs torch64 {Rel(g64, g32):E2}; FusedLayers vs torch64 {Rel(g64, dx):E2}");
        Assert.True(Rel(g64, dx) <= Math.Max(ParityAssert.Relative, 4 * Rel(g64, g32)), $"step {step}: input gradient {Rel(g64, dx):E2} from float64 PyTorch (float32 PyTorch: {Rel(g64, g32):E2})");
        Dictionary<string, TorchSharp.Modules.Parameter> p32 = vision.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Dictionary<string, TorchSharp.Modules.Parameter> p64 = vision64.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        double w32 = 0, wf = 0;
        foreach (Parameter p in fused.Parameters)
        {
            float[] e = Twin.ToArray(p64[p.Name].grad!.to(torch.float32));
            w32 = Math.Max(w32, Rel(e, Twin.ToArray(p32[p.Name].grad!)));
            wf = Math.Max(wf, Rel(e, p.Grad));
        }
        output.WriteLine($"step {step}: worst parameter gradient, torch32 vs torch64 {w32:E2}; FusedLayers vs torch64 {wf:E2}");
        Assert.True(wf <= Math.Max(ParityAssert.Relative, 4 * w32), $"step {step}: a parameter gradient {wf:E2} from float64 PyTorch (float32 PyTorch: {w32:E2})");
        fusedSgd.Step(); sgd32.step(); sgd64.step();
        }
    }

    private static double Rel(float[] e, ReadOnlySpan<float> a)
    {
        double scale = 0, worst = 0;
        foreach (float v in e) scale = Math.Max(scale, Math.Abs(v));
        for (int i = 0; i < e.Length; i++) worst = Math.Max(worst, Math.Abs(e[i] - a[i]) / scale);
        return worst;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Random BatchNorm affine parameters and two no-grad training forwards, so that every loaded value matters.</summary>
    private static void MoveOffInitialisation(nn.Module<TorchTensor, TorchTensor> vision, Random random)
    {
        using (torch.no_grad())
        {
            foreach ((string name, TorchSharp.Modules.Parameter p) in vision.named_parameters())
            {
                if (name.Contains("bn", StringComparison.Ordinal) || name.Contains("downsample.1", StringComparison.Ordinal))
                {
                    bool gamma = name.EndsWith(".weight", StringComparison.Ordinal);
                    p.copy_(torch.tensor(TestData.Normal(random, (int)p.numel(), gamma ? 1.0 : 0.0, 0.3), p.shape));
                }
            }

            vision.train();
            for (int i = 0; i < 2; i++)
            {
                vision.forward(torch.tensor(TestData.Normal(random, Batch * 3 * 64 * 64, 0.5, 2.0), [Batch, 3, 64, 64]));
            }
        }
    }

    /// <summary>
    /// The gradient of the mean cross-entropy of <paramref name="logits"/> against random labels, <c>(softmax - onehot) / N</c>:
    /// a real loss's output gradient, given to both sides, so the SGD steps move the weights as training does.
    /// </summary>
    private static float[] CrossEntropyGradient(float[] logits, Random random)
    {
        int classes = ResNet18At64.Classes;
        var gradient = new float[logits.Length];
        for (int n = 0; n < Batch; n++)
        {
            ReadOnlySpan<float> row = logits.AsSpan(n * classes, classes);
            float max = float.NegativeInfinity;
            foreach (float v in row)
            {
                max = Math.Max(max, v);
            }

            double sum = 0;
            foreach (float v in row)
            {
                sum += Math.Exp(v - max);
            }

            int label = random.Next(classes);
            for (int c = 0; c < classes; c++)
            {
                gradient[(n * classes) + c] = (float)((Math.Exp(row[c] - max) / sum - (c == label ? 1 : 0)) / Batch);
            }
        }

        return gradient;
    }

    private void CompareInference(nn.Module<TorchTensor, TorchTensor> vision, ResNet18At64 fused, Random random, string what)
    {
        float[] input = TestData.Normal(random, Batch * fused.InputLength, mean: 0.5, std: 2.0);
        var y = new float[Batch * fused.OutputLength];
        fused.Forward(input, y);
        using (torch.no_grad())
        {
            Close(what, Twin.ToArray(vision.forward(Twin.ToTorch(input, Batch, fused.InputShape))), y);
        }
    }

    private void CompareState(nn.Module<TorchTensor, TorchTensor> vision, ResNet18At64 fused, string what)
    {
        Dictionary<string, TorchSharp.Modules.Parameter> parameters = vision.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (Parameter p in fused.Parameters)
        {
            Close($"{what}: {p.Name}", Twin.ToArray(parameters[p.Name]), p.Data);
        }

        Dictionary<string, TorchTensor> buffers = vision.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        foreach (Buffer b in fused.Buffers)
        {
            if (b.ElementType == BufferElementType.Int64)
            {
                Assert.Equal(buffers[b.Name].item<long>(), b.Int64Data[0]);
            }
            else
            {
                Close($"{what}: {b.Name}", Twin.ToArray(buffers[b.Name]), b.FloatData);
            }
        }
    }

    private void Close(string what, float[] expected, ReadOnlySpan<float> actual)
    {
        double relative = ParityAssert.Close("ResNet-18 vs torchvision, " + what, expected, actual);
        if (relative > worst)
        {
            (worst, worstWhat) = (relative, what);
        }
    }
}
