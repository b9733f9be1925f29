using System;
using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using ResNet;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace FusedLayers.Benchmarks.Peers;

/// <summary>
/// PyTorch (libtorch 2.10 CPU through TorchSharp-cpu 0.107.0) on the same blocks, modes, thread counts
/// and weights as <see cref="BlockBenchmarks"/>: an <c>nn.Sequential</c> of Conv2d/Linear, BatchNorm and
/// ReLU (for the ResNet block, the hand-written <see cref="ResNetStageTwin"/> of samples/ResNet; for ResNet18 and ResNet18b1,
/// torchvision's own <c>resnet18</c> from the TorchVision package) with
/// FusedLayers' initial parameters and running statistics copied in, checked against
/// FusedLayers' output in <see cref="Setup"/>. libtorch runs <c>torch.set_num_threads(Threads)</c>
/// intra-op threads and one inter-op thread; glibc malloc keeps freed memory (see
/// <see cref="PeerNative.TuneMalloc"/>); each iteration runs inside a dispose scope, as a TorchSharp
/// training loop should, so its tensors are freed at the end of the iteration.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
public class TorchSharpBenchmarks
{
    private PeerBlock data = null!;
    private nn.Module<TorchTensor, TorchTensor> module = null!;
    private torch.optim.Optimizer optimizer = null!;
    private TorchTensor input = null!;
    private TorchTensor gradOutput = null!;

    /// <summary>Block: S, R or L (DESIGN.md), or ResNet, ResNet18 or ResNet18b1 (samples/ResNet).</summary>
    [ParamsSource(nameof(Blocks))]
    public string Block { get; set; } = "S";

    /// <summary>The blocks of this run (see <see cref="BlockBenchmarks.Smoke"/>).</summary>
    public static string[] Blocks => BlockBenchmarks.Blocks;

    /// <summary>libtorch intra-op threads.</summary>
    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; } = 1;

    /// <summary>1 and all cores.</summary>
    public static int[] ThreadCounts => BlockBenchmarks.ThreadCounts;

    /// <summary>Builds the PyTorch twin with FusedLayers' weights and checks its outputs.</summary>
    [GlobalSetup]
    public void Setup()
    {
        PeerNative.EnsureTorch();
        torch.set_num_threads(Threads);
        data = PeerBlock.Create(Block, Threads);
        module = CreateModule(Block);
        CopyState(data, module);

        // The training step's update, as BlockBenchmarks.FusedTrainStep's: plain SGD at learning rate 0.
        optimizer = torch.optim.SGD(module.parameters(), 0.0);

        input = torch.tensor(data.Input, data.InputShape);
        gradOutput = torch.tensor(data.GradOutput, data.OutputShape);

        // Same results as FusedLayers, in inference mode (running statistics) and training mode (batch statistics).
        float[] fusedInference = data.InferForward();
        module.eval();
        using (torch.inference_mode())
        using (TorchTensor y = module.forward(input))
        {
            PeerBlock.Check($"TorchSharp block {Block} inference output vs FusedLayers", fusedInference, y.data<float>().ToArray());
        }

        if (BlockShapes.InferenceOnly(Block))
        {
            // ResNet18b1: no training cases run (BlockModeFilter), so only the inference output is checked.
            return;
        }

        float[] fusedTraining = data.TrainForward();
        module.train();
        using (DisposeScope scope = torch.NewDisposeScope())
        {
            TorchTensor y = module.forward(input);
            PeerBlock.Check($"TorchSharp block {Block} training output vs FusedLayers", fusedTraining, y.data<float>().ToArray());
        }
    }

    /// <summary>Frees the module and tensors.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        input?.Dispose();
        gradOutput?.Dispose();
        module?.Dispose();
    }

    /// <summary>PyTorch, training forward (autograd records the graph, as in a training loop).</summary>
    [Benchmark]
    [BenchmarkCategory("TrainForward")]
    public void TorchTrainForward()
    {
        module.train();
        using DisposeScope scope = torch.NewDisposeScope();
        module.forward(input);
    }

    /// <summary>
    /// PyTorch, a training step like <see cref="BlockBenchmarks.FusedTrainStep"/>: <c>zero_grad()</c> (set_to_none, as
    /// <c>optimizer.zero_grad()</c> does by default), forward + backward with the input gradient and every parameter
    /// gradient, then <c>optimizer.step()</c> (SGD, learning rate 0). The input is a fresh leaf view that requires grad (so
    /// its gradient is computed, not accumulated).
    /// </summary>
    [Benchmark]
    [BenchmarkCategory("TrainStep")]
    public void TorchTrainStep()
    {
        module.train();
        optimizer.zero_grad();
        using DisposeScope scope = torch.NewDisposeScope();
        TorchTensor x = input.detach().requires_grad_(true);
        TorchTensor y = module.forward(x);
        y.backward([gradOutput]);
        optimizer.step();
    }

    /// <summary>PyTorch, inference forward under <c>torch.inference_mode()</c>.</summary>
    [Benchmark]
    [BenchmarkCategory("InferForward")]
    public void TorchInferForward()
    {
        module.eval();
        using IDisposable mode = torch.inference_mode();
        using DisposeScope scope = torch.NewDisposeScope();
        module.forward(input);
    }

    /// <summary>
    /// The block as a PyTorch module with the FusedLayers names (an <c>nn.Sequential</c>, the ResNet twin, or
    /// torchvision's resnet18, whose state-dict keys are the FusedLayers ResNet18's).
    /// </summary>
    internal static nn.Module<TorchTensor, TorchTensor> CreateModule(string block) => block switch
    {
        "S" => nn.Sequential(("Conv", nn.Conv2d(3, 64, 3, stride: 1, padding: 1)), ("Bn", nn.BatchNorm2d(64)), ("Relu", nn.ReLU())),
        "R" => nn.Sequential(("Conv", nn.Conv2d(64, 64, 3, stride: 1, padding: 1, bias: false)), ("Bn", nn.BatchNorm2d(64)), ("Relu", nn.ReLU())),
        "L" => nn.Sequential(("Fc", nn.Linear(784, 256)), ("Bn", nn.BatchNorm1d(256)), ("Relu", nn.ReLU())),
        "ResNet" => new ResNetStageTwin(),
        "ResNet18" or "ResNet18b1" => torchvision.models.resnet18(num_classes: ResNet18.Classes),
        _ => throw new ArgumentException("Unknown block " + block, nameof(block)),
    };

    /// <summary>Copies every parameter and buffer of the FusedLayers model into the module (same names).</summary>
    private static void CopyState(PeerBlock data, nn.Module<TorchTensor, TorchTensor> module)
    {
        Dictionary<string, TorchTensor> parameters = module.named_parameters().ToDictionary(p => p.name, p => (TorchTensor)p.parameter);
        Dictionary<string, TorchTensor> buffers = module.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        CheckNames(data.Block, "parameter", parameters.Keys, data.Model.Parameters.Select(p => p.Name));
        CheckNames(data.Block, "buffer", buffers.Keys, data.Model.Buffers.Select(b => b.Name));

        using (torch.no_grad())
        {
            foreach (FusedLayers.Parameter p in data.Model.Parameters)
            {
                TorchTensor target = parameters[p.Name];
                if (target.numel() != p.Data.Length)
                {
                    throw new InvalidOperationException($"Block {data.Block}: PyTorch's {p.Name} has {target.numel()} elements, FusedLayers' {p.Data.Length}.");
                }

                using TorchTensor source = torch.tensor(p.Data, target.shape);
                target.copy_(source);
            }

            foreach (FusedLayers.Buffer b in data.Model.Buffers)
            {
                TorchTensor target = buffers[b.Name];
                using TorchTensor source = b.ElementType == BufferElementType.Int64
                    ? torch.tensor(b.Int64Data[0])
                    : torch.tensor(b.FloatData, target.shape);
                target.copy_(source);
            }
        }
    }

    /// <summary>Throws, naming the keys on either side only, unless PyTorch's and FusedLayers' names are the same set.</summary>
    private static void CheckNames(string block, string kind, IEnumerable<string> torchNames, IEnumerable<string> fusedNames)
    {
        var torchSet = new HashSet<string>(torchNames, StringComparer.Ordinal);
        var fusedSet = new HashSet<string>(fusedNames, StringComparer.Ordinal);
        if (!torchSet.SetEquals(fusedSet))
        {
            throw new InvalidOperationException(
                $"Block {block}: PyTorch's {kind} names differ from FusedLayers'; only in PyTorch: [{string.Join(", ", torchSet.Except(fusedSet))}], " +
                $"only in FusedLayers: [{string.Join(", ", fusedSet.Except(torchSet))}].");
        }
    }
}
