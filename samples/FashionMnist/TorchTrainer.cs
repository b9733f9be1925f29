using System;
using System.Collections.Generic;
using System.Linq;
using FusedLayers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace FashionMnist;

/// <summary>
/// Trains <see cref="TorchTwin"/> with PyTorch (libtorch through TorchSharp) exactly as a PyTorch user
/// would: <c>F.cross_entropy</c>, <c>torch.optim.SGD</c>/<c>AdamW</c>, <c>CosineAnnealingLR</c> stepped per
/// batch. It starts from the FusedLayers model's initial weights and sees the same batches.
/// </summary>
internal sealed class TorchTrainer : ITrainer
{
    private readonly Sequential net;
    private readonly optim.Optimizer optimizer;
    private readonly optim.lr_scheduler.LRScheduler schedule;
    private readonly double labelSmoothing;
    private readonly long[] sampleShape;

    /// <summary>Creates the twin with <paramref name="initial"/>'s parameters and buffers.</summary>
    public TorchTrainer(IFusedModel initial, Options options, int totalSteps)
    {
        torch.set_num_threads(options.Threads);
        net = TorchTwin.Create();
        CopyStateFrom(initial);
        net.train();
        double lr = options.EffectiveLearningRate;
        optimizer = options.Optimizer == OptimizerKind.Sgd
            ? optim.SGD(net.parameters(), lr, momentum: 0.9, dampening: 0, weight_decay: options.EffectiveWeightDecay, nesterov: true)
            : optim.AdamW(net.parameters(), lr, 0.9, 0.999, 1e-8, options.EffectiveWeightDecay);
        schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, totalSteps);
        labelSmoothing = options.LabelSmoothing;
        sampleShape = initial.InputShape.Select(d => (long)d).ToArray();
    }

    public string Name => "TorchSharp";

    public PhaseTimes Phases { get; } = new();

    /// <summary>libtorch's version string, for the header.</summary>
    public static string Version => $"TorchSharp {typeof(torch).Assembly.GetName().Version?.ToString(3)}, libtorch {torch.__version__}";

    public double LearningRate => schedule.get_last_lr().First();

    public (double Loss, int Correct) TrainStep(float[] images, int[] labels, int count)
    {
        using DisposeScope scope = torch.NewDisposeScope();
        Phases.Start();
        TorchTensor x = Images(images, count);
        TorchTensor y = Labels(labels, count);
        Phases.Lap(Phase.Data);
        TorchTensor logits = net.forward(x);
        Phases.Lap(Phase.Forward);
        TorchTensor loss = nn.functional.cross_entropy(logits, y, label_smoothing: labelSmoothing);
        int correct = (int)logits.argmax(1).eq(y).sum().item<long>();
        Phases.Lap(Phase.Loss);
        optimizer.zero_grad();
        loss.backward();
        Phases.Lap(Phase.Backward);
        optimizer.step();
        schedule.step();
        Phases.Lap(Phase.Optimizer);
        return (loss.item<float>(), correct);
    }

    public void SetTraining(bool training) => net.train(training);

    public (double Loss, int Correct) EvaluateBatch(float[] images, int[] labels, int count)
    {
        using DisposeScope scope = torch.NewDisposeScope();
        using IDisposable noGrad = torch.no_grad();
        TorchTensor y = Labels(labels, count);
        TorchTensor logits = net.forward(Images(images, count));
        return (nn.functional.cross_entropy(logits, y).item<float>(), (int)logits.argmax(1).eq(y).sum().item<long>());
    }

    /// <summary>
    /// Largest difference between the two models' inference outputs on the same batch: a check that the
    /// twin is the same function as the FusedLayers model (same layers, same weights).
    /// </summary>
    public float MaxOutputDifference(IFusedModel fused, float[] images, int count)
    {
        var expected = new float[count * fused.OutputLength];
        fused.Forward(images.AsSpan(0, count * fused.InputLength), expected);
        using DisposeScope scope = torch.NewDisposeScope();
        using IDisposable noGrad = torch.no_grad();
        float[] actual = net.forward(Images(images, count)).contiguous().data<float>().ToArray();
        float max = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            max = MathF.Max(max, MathF.Abs(expected[i] - actual[i]));
        }

        return max;
    }

    public void Dispose()
    {
        optimizer.Dispose();
        net.Dispose();
    }

    private TorchTensor Images(float[] images, int count)
    {
        long[] shape = [count, .. sampleShape];
        int length = count * (int)sampleShape.Aggregate(1L, (a, b) => a * b);
        // torch.tensor copies the data; it wants an array of exactly the tensor's size.
        return torch.tensor(length == images.Length ? images : images.AsSpan(0, length).ToArray(), shape);
    }

    private static TorchTensor Labels(int[] labels, int count)
    {
        var values = new long[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = labels[i];
        }

        return torch.tensor(values);
    }

    /// <summary>Copies every FusedLayers parameter and buffer into the PyTorch one of the same name and shape.</summary>
    private void CopyStateFrom(IFusedModel model)
    {
        Dictionary<string, TorchTensor> targets = net.named_parameters().ToDictionary(p => p.name, p => (TorchTensor)p.parameter);
        foreach ((string name, TorchTensor buffer) in net.named_buffers())
        {
            targets.Add(name, buffer);
        }

        var expected = model.Parameters.Select(p => p.Name).Concat(model.Buffers.Select(b => b.Name)).ToHashSet();
        if (!expected.SetEquals(targets.Keys))
        {
            throw new InvalidOperationException(
                $"The PyTorch twin does not have the FusedLayers model's state: FusedLayers [{string.Join(", ", expected)}], " +
                $"PyTorch [{string.Join(", ", targets.Keys)}].");
        }

        using IDisposable noGrad = torch.no_grad();
        foreach (FusedLayers.Parameter p in model.Parameters)
        {
            Copy(targets[p.Name], p.Name, p.Shape, torch.tensor(p.Data, p.Shape.Select(d => (long)d).ToArray()));
        }

        foreach (FusedLayers.Buffer b in model.Buffers)
        {
            TorchTensor source = b.ElementType == BufferElementType.Int64
                ? torch.tensor(b.Int64Data[0])
                : torch.tensor(b.FloatData, b.Shape.Select(d => (long)d).ToArray());
            Copy(targets[b.Name], b.Name, b.Shape, source);
        }
    }

    private static void Copy(TorchTensor target, string name, int[] shape, TorchTensor source)
    {
        if (!target.shape.SequenceEqual(shape.Select(d => (long)d)))
        {
            throw new InvalidOperationException(
                $"{name}: FusedLayers shape [{string.Join(", ", shape)}], PyTorch shape [{string.Join(", ", target.shape)}].");
        }

        target.copy_(source);
        source.Dispose();
    }
}
