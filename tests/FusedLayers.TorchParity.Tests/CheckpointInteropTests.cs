using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FusedLayers.Checkpoints;
using FusedLayers.Training;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace FusedLayers.TorchParity.Tests;

/// <summary>
/// Safetensors checkpoints between FusedLayers and PyTorch (TorchSharp 0.107 with TorchSharp.PyBridge 1.4.4's
/// <c>save_safetensors</c> / <c>load_safetensors</c>), for every shared model: after a few training steps on
/// one side (so that weights, running statistics and <c>num_batches_tracked</c> are all off their initial
/// values), the state dict written there loads strictly into the other side, every value arrives bit for
/// bit, and the two give the same inference output (<see cref="ParityAssert.Relative"/>).
/// </summary>
public sealed class CheckpointInteropTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "fusedlayers-interop-" + Guid.NewGuid().ToString("N"));

    public CheckpointInteropTests() => Directory.CreateDirectory(directory);

    public static TheoryData<string> Models => new(ParityCase.Shared.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Models))]
    public void A_pytorch_state_dict_loads_into_the_fused_model(string name)
    {
        ParityCase c = ParityCase.Get(name);
        using DisposeScope scope = NewDisposeScope();
        torch.manual_seed(7);
        nn.Module<TorchTensor, TorchTensor> module = c.Torch();
        var random = new Random(1);
        TrainTorch(module, c, random);
        string path = Path.Combine(directory, name + ".torch.safetensors");
        module.save_safetensors(path);

        IFusedModel fused = c.Create(123);
        StateDictLoadResult result = StateDict.Load(fused, path);
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        AssertSameState(module, fused);
        AssertSameInference(module, fused, c, random);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void A_fused_state_dict_loads_into_pytorch(string name)
    {
        ParityCase c = ParityCase.Get(name);
        using DisposeScope scope = NewDisposeScope();
        IFusedModel fused = c.Create(5);
        var random = new Random(2);
        TrainFused(fused, c, random);
        string path = Path.Combine(directory, name + ".fused.safetensors");
        StateDict.Save(fused, path, new Dictionary<string, string> { ["format"] = "pt", ["source"] = "FusedLayers" });

        torch.manual_seed(8);
        nn.Module<TorchTensor, TorchTensor> module = c.Torch();
        module.load_safetensors(path, strict: true);
        AssertSameState(module, fused);
        AssertSameInference(module, fused, c, random);
    }

    [Fact]
    public void PyTorch_writes_num_batches_tracked_as_an_int64_scalar_and_float32_parameters()
    {
        using DisposeScope scope = NewDisposeScope();
        ParityCase c = ParityCase.Get("TwoBlockCnn");
        nn.Module<TorchTensor, TorchTensor> module = c.Torch();
        TrainTorch(module, c, new Random(3));
        string path = Path.Combine(directory, "dtypes.safetensors");
        module.save_safetensors(path);

        SafeTensorsFile file = SafeTensorsFile.Read(path);
        Assert.Equal(module.state_dict().Keys.Order(), file.Tensors.Select(t => t.Name).Order());
        SafeTensor count = file.Find("Bn1.num_batches_tracked")!;
        Assert.Equal("I64", count.DType);
        Assert.Empty(count.Shape);
        Assert.Equal([2L], count.ToInt64());
        Assert.All(file.Tensors.Where(t => !t.Name.EndsWith("num_batches_tracked", StringComparison.Ordinal)), t => Assert.Equal("F32", t.DType));
        Assert.Equal([16L, 8, 3, 3], file.Find("Conv2.weight")!.Shape);
    }

    [Fact]
    public void A_mismatched_pytorch_checkpoint_is_refused_and_the_model_kept()
    {
        using DisposeScope scope = NewDisposeScope();
        Sequential module = nn.Sequential(("Conv", nn.Conv2d(3, 32, 3, padding: 1)), ("Bn", nn.BatchNorm2d(32)), ("Relu", nn.ReLU()));
        string path = Path.Combine(directory, "narrow.safetensors");
        module.save_safetensors(path);

        ParityCase c = ParityCase.Get("SeedModel");
        IFusedModel fused = c.Create(1);
        float[] before = (float[])fused.Parameters[0].Data.Clone();
        StateDictLoadException e = Assert.Throws<StateDictLoadException>(() => StateDict.Load(fused, path));
        Assert.Contains(
            "size mismatch for Conv.weight: copying a param with shape [32, 3, 3, 3] from checkpoint, the shape in current model is [64, 3, 3, 3].",
            e.Message,
            StringComparison.Ordinal);
        Assert.Equal(before, fused.Parameters[0].Data);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    /// <summary>Two SGD steps in PyTorch on an MSE objective against random targets.</summary>
    private static void TrainTorch(nn.Module<TorchTensor, TorchTensor> module, ParityCase c, Random random)
    {
        IFusedModel shapes = c.Create(0);
        module.train();
        var sgd = optim.SGD(module.parameters(), 0.05, momentum: 0.9);
        for (int step = 0; step < 2; step++)
        {
            sgd.zero_grad();
            TorchTensor x = Twin.ToTorch(TestData.Normal(random, c.Batch * shapes.InputLength, 0.5, 2.0), c.Batch, shapes.InputShape);
            TorchTensor target = Twin.ToTorch(TestData.Normal(random, c.Batch * shapes.OutputLength), c.Batch, shapes.OutputShape);
            nn.functional.mse_loss(module.forward(x), target).backward();
            sgd.step();
        }
    }

    /// <summary>Two SGD steps in FusedLayers on an MSE objective against random targets.</summary>
    private static void TrainFused(IFusedModel fused, ParityCase c, Random random)
    {
        var sgd = new Sgd(fused.Parameters, 0.05, momentum: 0.9);
        var loss = new FusedLayers.Training.MSELoss();
        fused.Train();
        for (int step = 0; step < 2; step++)
        {
            float[] x = TestData.Normal(random, c.Batch * fused.InputLength, 0.5, 2.0);
            float[] target = TestData.Normal(random, c.Batch * fused.OutputLength);
            var y = new float[target.Length];
            fused.Forward(x, y);
            loss.Compute(y, target, y);
            sgd.ZeroGrad();
            fused.Backward(y);
            sgd.Step();
        }
    }

    private static void AssertSameState(nn.Module<TorchTensor, TorchTensor> module, IFusedModel fused)
    {
        Dictionary<string, TorchTensor> state = module.state_dict();
        Assert.Equal(fused.Parameters.Count + fused.Buffers.Count, state.Count);
        foreach (FusedLayers.Parameter p in fused.Parameters)
        {
            Assert.Equal(Twin.ToArray(state[p.Name]), p.Data);
        }

        foreach (FusedLayers.Buffer b in fused.Buffers)
        {
            if (b.ElementType == BufferElementType.Int64)
            {
                Assert.Equal(ScalarType.Int64, state[b.Name].dtype);
                Assert.Equal(2L, b.Int64Data[0]);
                Assert.Equal(state[b.Name].item<long>(), b.Int64Data[0]);
            }
            else
            {
                Assert.Equal(Twin.ToArray(state[b.Name]), b.FloatData);
            }
        }
    }

    private static void AssertSameInference(nn.Module<TorchTensor, TorchTensor> module, IFusedModel fused, ParityCase c, Random random)
    {
        module.eval();
        fused.Eval();
        float[] x = TestData.Normal(random, c.Batch * fused.InputLength, 0.5, 2.0);
        var y = new float[c.Batch * fused.OutputLength];
        fused.Forward(x, y);
        using (torch.no_grad())
        {
            TorchTensor expected = module.forward(Twin.ToTorch(x, c.Batch, fused.InputShape));
            ParityAssert.Close($"{c.Name}: inference after loading", Twin.ToArray(expected), y);
        }
    }
}
