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
    /// Small on purpose: this test lets both sides take their own SGD steps and compares them directly, so their separately
    /// rounded weights must stay close; at 0.01 such trajectories can part at a ReLU or max-pool kink within a step or two
    /// (see the float64 test below, which resynchronises the weights every step instead).
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
    /// ResNet-18's training gradients (the input's and every parameter's) against float64 PyTorch <i>at the same weights</i>,
    /// over four SGD steps taken by FusedLayers: before each step both PyTorch twins (float32 and float64) are given FusedLayers'
    /// current parameters, so the comparison measures the gradient computation, not how far three separately rounded training
    /// trajectories have drifted apart (they do: one step from the same start, float32 PyTorch's own input gradient was up
    /// to 1.9e-1 from float64's on some initialisations, FusedLayers' up to 4.4e-2 on others). Bound: the parity tolerance, or
    /// 4x float32 PyTorch's distance from float64 at that point, if larger.
    /// <para>
    /// The gradient is not a continuous function of the input at float32's resolution: where a ReLU's input or two max-pool
    /// candidates are within rounding of each other, which side a float32 computation lands on is decided by rounding, and
    /// one element's share of a small layer's sum is large (layer4 sees 8 positions per channel at batch 2, so one flipped
    /// ReLU moves its weight gradient by about 1e-1; under 1e-5 relative input changes float64's own gradient moved by
    /// 3e-2..1.6e-1 at every step). At a given point FusedLayers, float32 PyTorch and float64 PyTorch each cross such kinks
    /// independently (seen here: FusedLayers 4.2e-2 off at one step where float32 PyTorch was 8e-6; on other seeds float32
    /// PyTorch was the one off). So a step passes when the three agree at the drawn input or, failing that, at one of three
    /// inputs within 1e-6 (relative) of it, each evaluated by all three at that same point: a wrong gradient is wrong at
    /// every point, a crossed kink is not crossed at its neighbours. How many steps needed a neighbour is printed.
    /// </para>
    /// <c>FUSEDLAYERS_RESNET18_ALGORITHM</c> (e.g. <c>Winograd2x2</c>) runs the same check on a forced convolution algorithm.
    /// </summary>
    [Fact]
    public void Training_gradients_match_float64_pytorch_at_the_same_weights_as_closely_as_float32_pytorch_does()
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
            fused.Execution.ConvAlgorithm = Enum.Parse<FusedLayers.ConvAlgorithm>(forced);
        }


        // An inference pass first, as a training script's validation does.
        vision.eval();
        fused.Eval();
        CompareInference(vision, fused, random, "inference before training");
        vision.train();
        vision64.train();
        fused.Train();
        var fusedSgd = new Sgd(fused.Parameters, lr: 0.01f);
        var neighbours = new Random(3);
        const int Steps = 4, Points = 4;
        for (int step = 0; step < Steps; step++)
        {
            CopyParameters(fused, vision, torch.float32);
            CopyParameters(fused, vision64, torch.float64);
            float[] drawn = TestData.Normal(random, Batch * fused.InputLength, mean: 0.5, std: 2.0);
            float[]? gradOutput = null;
            var misses = new List<string>();
            for (int point = 0; point < Points; point++)
            {
                // The drawn input, then its neighbours within 1e-6 relative; the output gradient stays the drawn point's.
                float[] input = point == 0 ? drawn : [.. drawn.Select(v => (float)(v * (1 + (2e-6 * (neighbours.NextDouble() - 0.5)))))];
                fused.ZeroGrad();
                vision.zero_grad();
                var y = new float[Batch * fused.OutputLength];
                var dx = new float[input.Length];
                fused.Forward(input, y);
                gradOutput ??= CrossEntropyGradient(y, random);
                fused.Backward(gradOutput, dx);
                var fusedGradients = fused.Parameters.ToDictionary(p => p.Name, p => p.Grad.ToArray());
                fusedGradients[InputGradient] = dx;

                TorchTensor x = Twin.ToTorch(input, Batch, fused.InputShape).requires_grad_(true);
                vision.forward(x).backward([Twin.ToTorch(gradOutput, Batch, fused.OutputShape)]);
                Dictionary<string, float[]> g32 = Gradients(vision, x);
                Dictionary<string, float[]> g64 = Float64Gradients(vision64, input, gradOutput);
                double f = Worst(g64, fusedGradients, out string fWhere), t = Worst(g64, g32, out string tWhere);
                string line = $"FusedLayers {f:E2} ({fWhere}), float32 PyTorch {t:E2} ({tWhere})";
                if (f <= Math.Max(ParityAssert.Relative, 4 * t))
                {
                    output.WriteLine($"step {step}: worst gradient error vs float64 PyTorch at {(point == 0 ? "the drawn input" : $"neighbour {point}")}: {line}" +
                        (misses.Count == 0 ? "" : $"; at the drawn input{(misses.Count > 1 ? " and earlier neighbours" : "")}: {string.Join("; ", misses)}"));
                    break;
                }

                misses.Add(line);
                Assert.True(
                    point < Points - 1,
                    $"step {step}: FusedLayers' gradients are off float64 PyTorch's at the same weights at the drawn input and {Points - 1} neighbours: {string.Join("; ", misses)}");
            }

            fusedSgd.Step();
        }
    }

    /// <summary>The name under which the input gradient sits among the parameter gradients.</summary>
    private const string InputGradient = "(input)";

    /// <summary>Copies FusedLayers' parameters into a PyTorch twin of the given precision (the buffers do not change a training-mode pass).</summary>
    private static void CopyParameters(ResNet18At64 fused, nn.Module<TorchTensor, TorchTensor> twin, ScalarType type)
    {
        Dictionary<string, TorchSharp.Modules.Parameter> parameters = twin.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (torch.no_grad())
        {
            foreach (Parameter p in fused.Parameters)
            {
                TorchSharp.Modules.Parameter target = parameters[p.Name];
                target.copy_(torch.tensor(p.Data, target.shape).to(type));
            }
        }
    }

    /// <summary>Every parameter gradient of <paramref name="twin"/> and the input gradient, as float32.</summary>
    private static Dictionary<string, float[]> Gradients(nn.Module<TorchTensor, TorchTensor> twin, TorchTensor x)
    {
        Dictionary<string, float[]> gradients = twin.named_parameters().ToDictionary(p => p.name, p => Twin.ToArray(p.parameter.grad!.to(torch.float32)));
        gradients[InputGradient] = Twin.ToArray(x.grad!.to(torch.float32));
        return gradients;
    }

    /// <summary>One float64 training-mode forward and backward from zeroed gradients.</summary>
    private static Dictionary<string, float[]> Float64Gradients(nn.Module<TorchTensor, TorchTensor> vision64, float[] input, float[] gradOutput)
    {
        vision64.zero_grad();
        TorchTensor x = Twin.ToTorch(input, Batch, [3, 64, 64]).to(torch.float64).requires_grad_(true);
        vision64.forward(x).backward([Twin.ToTorch(gradOutput, Batch, [ResNet18At64.Classes]).to(torch.float64)]);
        return Gradients(vision64, x);
    }

    /// <summary>The largest <see cref="Rel"/> over the gradients, and where.</summary>
    private static double Worst(Dictionary<string, float[]> expected, Dictionary<string, float[]> actual, out string where)
    {
        double worst = 0;
        where = "";
        foreach ((string name, float[] e) in expected)
        {
            double r = Rel(e, actual[name]);
            if (r >= worst)
            {
                (worst, where) = (r, name);
            }
        }

        return worst;
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
