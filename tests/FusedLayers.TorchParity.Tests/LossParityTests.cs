using System;
using System.Linq;
using FusedLayers.Training;
using TorchSharp;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace FusedLayers.TorchParity.Tests;

/// <summary>
/// <see cref="CrossEntropyLoss"/> and <see cref="MSELoss"/> against libtorch's
/// <c>torch.nn.functional.cross_entropy</c> (with <c>label_smoothing</c>) and <c>mse_loss</c>: the loss and its
/// gradient (autograd) with identical inputs. Tolerance: <see cref="LossTolerance"/>.
/// </summary>
public class LossParityTests
{
    /// <summary>
    /// 1e-5 relative (to the loss, and to the gradient's largest magnitude): both sides are float32 with
    /// different summation orders and exp implementations; observed differences are near 1e-7.
    /// </summary>
    public const double LossTolerance = 1e-5;

    [Theory]
    [InlineData(9, 10, 0.0)]
    [InlineData(9, 10, 0.1)]
    [InlineData(5, 37, 0.3)]
    [InlineData(16, 3, 1.0)]
    [InlineData(1, 1, 0.0)]
    public void Cross_entropy_matches_pytorch(int batch, int classes, double labelSmoothing)
    {
        using DisposeScope scope = NewDisposeScope();
        var random = new Random((batch * 100) + classes);
        float[] logits = TestData.Normal(random, batch * classes, mean: 0.3, std: 3.0);
        int[] labels = Enumerable.Range(0, batch).Select(_ => random.Next(classes)).ToArray();

        var grad = new float[logits.Length];
        float loss = new CrossEntropyLoss(labelSmoothing).Compute(logits, labels, grad);

        TorchTensor x = torch.tensor(logits, [batch, classes]).requires_grad_(true);
        TorchTensor expected = nn.functional.cross_entropy(x, torch.tensor(labels.Select(l => (long)l).ToArray()), label_smoothing: labelSmoothing);
        expected.backward();
        ParityAssert.Close("cross-entropy loss", [expected.item<float>()], [loss], LossTolerance);
        ParityAssert.Close("cross-entropy dLogits", Twin.ToArray(x.grad!), grad, LossTolerance);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(1000)]
    public void Mse_matches_pytorch(int length)
    {
        using DisposeScope scope = NewDisposeScope();
        var random = new Random(length);
        float[] prediction = TestData.Normal(random, length, std: 2.0);
        float[] target = TestData.Normal(random, length, mean: 0.5);
        var grad = new float[length];
        float loss = new MSELoss().Compute(prediction, target, grad);

        TorchTensor p = torch.tensor(prediction).requires_grad_(true);
        TorchTensor expected = nn.functional.mse_loss(p, torch.tensor(target));
        expected.backward();
        ParityAssert.Close("mse loss", [expected.item<float>()], [loss], LossTolerance);
        ParityAssert.Close("mse dPrediction", Twin.ToArray(p.grad!), grad, LossTolerance);
    }
}
