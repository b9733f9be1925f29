using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Sdk;
using static TorchSharp.torch;
using TorchParameter = TorchSharp.Modules.Parameter;
using TorchTensor = TorchSharp.torch.Tensor;

namespace FusedLayers.TorchParity.Tests;

/// <summary>
/// A generated model and its PyTorch twin holding identical weights, driven in lockstep: the same
/// inputs and output gradients go to both, and every result is compared (<see cref="ParityAssert"/>).
/// Every TorchSharp tensor made in its lifetime belongs to one dispose scope, freed by <see cref="Dispose"/>.
/// </summary>
public sealed class Twin : IDisposable
{
    private readonly DisposeScope scope;
    private readonly ParityCase parityCase;
    private int samplesSinceZeroGrad;

    /// <summary>Creates both models (weights from <paramref name="seed"/>), copies the weights into PyTorch and checks the state-dict keys agree.</summary>
    public Twin(ParityCase parityCase, KernelIsa isa, int seed = 11)
    {
        ArgumentNullException.ThrowIfNull(parityCase);
        this.parityCase = parityCase;
        scope = torch.NewDisposeScope();
        Fused = parityCase.CreateOn(isa, seed);
        Torch = parityCase.Torch();
        Torch.train();

        // The state-dict keys must agree one to one, in order (PyTorch's named_parameters / named_buffers).
        Assert.Equal(Torch.named_parameters().Select(p => p.name), Fused.Parameters.Select(p => p.Name));
        Assert.Equal(Torch.named_buffers().Select(b => b.name), Fused.Buffers.Select(b => b.Name));
        CopyParametersToTorch();
    }

    /// <summary>The generated model.</summary>
    public IFusedModel Fused { get; }

    /// <summary>The PyTorch twin.</summary>
    public nn.Module<TorchTensor, TorchTensor> Torch { get; }

    /// <summary>Short description for messages: the case and the path that actually runs.</summary>
    public string Label => $"{parityCase.Name} on {Fused.Execution.EffectiveIsa}";

    /// <summary>A tensor <c>[batch, ...shape]</c> holding <paramref name="data"/>.</summary>
    public static TorchTensor ToTorch(float[] data, int batch, IReadOnlyList<int> sampleShape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(sampleShape);
        long[] shape = [batch, .. sampleShape.Select(d => (long)d)];
        return torch.tensor(data, shape);
    }

    /// <summary>The values of a float32 tensor in row-major order.</summary>
    public static float[] ToArray(TorchTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.detach().contiguous().data<float>().ToArray();
    }

    /// <summary>Copies every FusedLayers parameter into the PyTorch parameter of the same name.</summary>
    public void CopyParametersToTorch()
    {
        Dictionary<string, TorchParameter> parameters = Torch.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (torch.no_grad())
        {
            foreach (FusedLayers.Parameter p in Fused.Parameters)
            {
                TorchParameter target = parameters[p.Name];
                Assert.Equal(target.shape, p.Shape.Select(d => (long)d).ToArray());
                target.copy_(torch.tensor(p.Data, target.shape));
            }
        }
    }

    /// <summary>
    /// Gives every affine BatchNorm, GroupNorm, LayerNorm and InstanceNorm random gamma (around 1) and beta (around 0) on both sides. PyTorch's
    /// initial gamma = 1, beta = 0 is a special point: there, for example, BatchNormOptionsModel's
    /// BnCumulative.weight gradient is exactly zero in theory (BN(ReLU(gamma * xhat)) with an affine-free
    /// BatchNorm after it does not depend on gamma > 0), and only float noise is left to compare.
    /// </summary>
    public void RandomizeBatchNormAffine(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var names = Torch.named_modules()
            .Where(m => m.module is BatchNorm or GroupNorm or LayerNorm or InstanceNorm1d or InstanceNorm2d)
            .Select(m => m.name)
            .ToHashSet();
        foreach (FusedLayers.Parameter p in Fused.Parameters)
        {
            int dot = p.Name.LastIndexOf('.');
            if (names.Contains(p.Name[..dot]))
            {
                bool gamma = p.Name[(dot + 1)..] == "weight";
                TestData.Normal(random, p.Length, gamma ? 1.0 : 0.0, 0.3).CopyTo(p.Data, 0);
            }
        }

        CopyParametersToTorch();
    }

    /// <summary>Both models to training mode.</summary>
    public void Train()
    {
        Fused.Train();
        Torch.train();
    }

    /// <summary>Both models to inference mode.</summary>
    public void Eval()
    {
        Fused.Eval();
        Torch.eval();
    }

    /// <summary>Sets every gradient to zero on both sides (<c>optimizer.zero_grad()</c>).</summary>
    public void ZeroGrad()
    {
        Fused.ZeroGrad();
        Torch.zero_grad();
        samplesSinceZeroGrad = 0;
    }

    /// <summary>
    /// A training-mode forward and backward on both models; compares the outputs and the input gradients
    /// (parameter gradients and buffers: <see cref="CompareGradients"/>, <see cref="CompareBuffers"/>).
    /// Returns the FusedLayers output.
    /// </summary>
    /// <param name="what">Step description, for messages.</param>
    /// <param name="input">Input batch.</param>
    /// <param name="gradOutput">Output gradient.</param>
    /// <param name="inputGradientScale">
    /// Smallest scale for the input-gradient comparison (see <see cref="ParityAssert.Close"/>'s floor); raise
    /// it where the input gradient is a cancellation far smaller than the terms it comes from.
    /// </param>
    public float[] TrainingStep(string what, float[] input, float[] gradOutput, double inputGradientScale = 1e-6)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(gradOutput);
        Assert.True(Fused.Training, "the twin is not in training mode");
        int batch = input.Length / Fused.InputLength;
        var output = new float[batch * Fused.OutputLength];
        var gradInput = new float[input.Length];
        Fused.Forward(input, output);
        Fused.Backward(gradOutput, gradInput);
        samplesSinceZeroGrad += batch;

        TorchTensor x = ToTorch(input, batch, Fused.InputShape).requires_grad_(true);
        TorchTensor y = Torch.forward(x);
        y.backward([ToTorch(gradOutput, batch, Fused.OutputShape)]);

        ParityAssert.Close($"{Label}, {what}: training output", ToArray(y), output);
        ParityAssert.Close($"{Label}, {what}: input gradient", ToArray(x.grad!), gradInput, floor: inputGradientScale);
        return output;
    }

    /// <summary>
    /// A differentiable eval-mode forward and backward: FusedLayers after <c>Eval(withGradients: true)</c>, PyTorch
    /// after <c>eval()</c> with autograd on; compares the outputs and the input gradients, returns the FusedLayers output.
    /// </summary>
    /// <param name="what">Step description, for messages.</param>
    /// <param name="input">Input batch.</param>
    /// <param name="gradOutput">Output gradient.</param>
    public float[] EvalGradientStep(string what, float[] input, float[] gradOutput)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(gradOutput);
        Assert.False(Fused.Training, "the twin is not in eval mode");
        int batch = input.Length / Fused.InputLength;
        var output = new float[batch * Fused.OutputLength];
        var gradInput = new float[input.Length];
        Fused.Forward(input, output);
        Fused.Backward(gradOutput, gradInput);
        samplesSinceZeroGrad += batch;

        TorchTensor x = ToTorch(input, batch, Fused.InputShape).requires_grad_(true);
        TorchTensor y = Torch.forward(x);
        y.backward([ToTorch(gradOutput, batch, Fused.OutputShape)]);

        ParityAssert.Close($"{Label}, {what}: eval output", ToArray(y), output);
        ParityAssert.Close($"{Label}, {what}: eval input gradient", ToArray(x.grad!), gradInput);
        return output;
    }

    /// <summary>An inference-mode forward on both; compares the outputs and returns the FusedLayers one.</summary>
    public float[] Infer(string what, float[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Assert.False(Fused.Training, "the twin is not in inference mode");
        int batch = input.Length / Fused.InputLength;
        var output = new float[batch * Fused.OutputLength];
        Fused.Forward(input, output);
        TorchTensor y;
        using (torch.no_grad())
        {
            y = Torch.forward(ToTorch(input, batch, Fused.InputShape));
        }

        ParityAssert.Close($"{Label}, {what}: inference output", ToArray(y), output);
        return output;
    }

    /// <summary>Compares every parameter gradient (absolutely for biases in front of a training-mode BatchNorm).</summary>
    /// <param name="what">Step description, for messages.</param>
    /// <param name="exceptBatchStatistics">
    /// Names of parameters compared relatively although listed in <see cref="ParityCase.BiasesBeforeTrainingBatchNorm"/>:
    /// biases whose BatchNorm ran on its running statistics, which have a real gradient.
    /// </param>
    public void CompareGradients(string what, IReadOnlySet<string>? exceptBatchStatistics = null)
    {
        Dictionary<string, TorchParameter> parameters = Torch.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (FusedLayers.Parameter p in Fused.Parameters)
        {
            TorchTensor grad = parameters[p.Name].grad ?? throw new XunitException($"{Label}, {what}: PyTorch has no gradient for {p.Name}.");
            if (parityCase.BiasesBeforeTrainingBatchNorm.TryGetValue(p.Name, out int valuesPerSample) && exceptBatchStatistics?.Contains(p.Name) != true)
            {
                double tolerance = ParityAssert.BiasBeforeBatchNormPerValue * valuesPerSample * samplesSinceZeroGrad;
                ParityAssert.Near($"{Label}, {what}: {p.Name} gradient (zero in theory)", ToArray(grad), p.Grad, tolerance);
            }
            else
            {
                ParityAssert.Close($"{Label}, {what}: {p.Name} gradient", ToArray(grad), p.Grad);
            }
        }
    }

    /// <summary>Compares every buffer: running_mean and running_var within tolerance, num_batches_tracked exactly.</summary>
    public void CompareBuffers(string what)
    {
        Dictionary<string, TorchTensor> buffers = Torch.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        foreach (FusedLayers.Buffer b in Fused.Buffers)
        {
            TorchTensor expected = buffers[b.Name];
            if (b.ElementType == BufferElementType.Int64)
            {
                Assert.Equal(expected.item<long>(), b.Int64Data[0]);
            }
            else
            {
                ParityAssert.Close($"{Label}, {what}: {b.Name}", ToArray(expected), b.FloatData);
            }
        }
    }

    /// <summary>
    /// One SGD step on the FusedLayers weights (<c>w -= lr * grad</c>), copied into PyTorch, so that the
    /// next step runs on weights that changed since the last (the inference path must refold them).
    /// </summary>
    public void SgdStep(float learningRate)
    {
        foreach (FusedLayers.Parameter p in Fused.Parameters)
        {
            for (int i = 0; i < p.Length; i++)
            {
                p.Data[i] -= learningRate * p.Grad[i];
            }
        }

        CopyParametersToTorch();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        scope.Dispose();
        Torch.Dispose();
    }
}
