using System;
using System.Linq;
using FusedLayers.Training;
using TorchSharp;
using static TorchSharp.torch;
using TorchReduction = TorchSharp.torch.nn.Reduction;
using TorchTensor = TorchSharp.torch.Tensor;

namespace FusedLayers.TorchParity.Tests;

/// <summary>
/// <see cref="BCEWithLogitsLoss"/>, <see cref="NLLLoss"/>, <see cref="L1Loss"/>, <see cref="SmoothL1Loss"/> and
/// <see cref="HuberLoss"/> against libtorch's <c>torch.nn.functional</c> losses: the loss and its gradient
/// (autograd) with identical inputs, for both reductions. Tolerance: <see cref="LossParityTests.LossTolerance"/>.
/// </summary>
public class ElementwiseLossParityTests
{
    [Theory]
    [InlineData(1, 1, false, true)]
    [InlineData(13, 3, false, true)]
    [InlineData(13, 3, true, true)]
    [InlineData(8, 37, true, false)]
    [InlineData(100, 10, false, false)]
    public void Bce_with_logits_matches_pytorch(int rows, int classes, bool withPosWeight, bool mean)
    {
        using DisposeScope scope = NewDisposeScope();
        var random = new Random((rows * 100) + classes);
        float[] logits = TestData.Normal(random, rows * classes, mean: 0.2, std: 4.0);
        float[] target = TestData.Normal(random, rows * classes).Select(v => v > 0 ? 1f : (float)random.NextDouble()).ToArray();
        logits[0] = 60f; // far in the tail, where a naive log(sigmoid) would lose the loss
        float[]? posWeight = withPosWeight ? Enumerable.Range(0, classes).Select(_ => (float)(0.25 + (3 * random.NextDouble()))).ToArray() : null;

        var grad = new float[logits.Length];
        float loss = new BCEWithLogitsLoss(posWeight, mean ? Reduction.Mean : Reduction.Sum).Compute(logits, target, grad);

        TorchTensor x = torch.tensor(logits, [rows, classes]).requires_grad_(true);
        TorchTensor expected = nn.functional.binary_cross_entropy_with_logits(
            x,
            torch.tensor(target, [rows, classes]),
            reduction: mean ? TorchReduction.Mean : TorchReduction.Sum,
            pos_weights: posWeight is null ? null : torch.tensor(posWeight));
        expected.backward();
        ParityAssert.Close("bce-with-logits loss", [expected.item<float>()], [loss], LossParityTests.LossTolerance);
        ParityAssert.Close("bce-with-logits dLogits", Twin.ToArray(x.grad!), grad, LossParityTests.LossTolerance);
    }

    [Theory]
    [InlineData(9, 10, false, true)]
    [InlineData(9, 10, false, false)]
    [InlineData(16, 3, true, true)]
    [InlineData(16, 3, true, false)]
    [InlineData(1, 1, false, true)]
    public void Nll_matches_pytorch(int batch, int classes, bool withIgnored, bool mean)
    {
        using DisposeScope scope = NewDisposeScope();
        var random = new Random((batch * 100) + classes);
        float[] scores = TestData.Normal(random, batch * classes, std: 2.0);
        float[] logProbabilities = Twin.ToArray(torch.tensor(scores, [batch, classes]).log_softmax(1));
        int[] labels = Enumerable.Range(0, batch).Select(i => withIgnored && i % 3 == 0 ? -100 : random.Next(classes)).ToArray();

        var grad = new float[logProbabilities.Length];
        float loss = new NLLLoss(reduction: mean ? Reduction.Mean : Reduction.Sum).Compute(logProbabilities, labels, grad);

        // TorchSharp 0.107's nll_loss takes no ignore_index: PyTorch's definition of it (the ignored samples
        // left out of the sum and of the mean's count, their gradient zero) is reproduced by selecting the
        // other rows, so that autograd still gives the gradient of every row.
        long[] kept = Enumerable.Range(0, batch).Where(i => labels[i] != -100).Select(i => (long)i).ToArray();
        TorchTensor x = torch.tensor(logProbabilities, [batch, classes]).requires_grad_(true);
        TorchTensor expected = nn.functional.nll_loss(
            x.index_select(0, torch.tensor(kept)),
            torch.tensor(kept.Select(i => (long)labels[i]).ToArray()),
            reduction: mean ? TorchReduction.Mean : TorchReduction.Sum);
        expected.backward();
        ParityAssert.Close("nll loss", [expected.item<float>()], [loss], LossParityTests.LossTolerance);
        ParityAssert.Close("nll dLogProbabilities", Twin.ToArray(x.grad!), grad, LossParityTests.LossTolerance);
    }

    [Theory]
    [InlineData("l1", 0.0, 1, true)]
    [InlineData("l1", 0.0, 257, false)]
    [InlineData("smooth_l1", 1.0, 257, true)]
    [InlineData("smooth_l1", 0.3, 100, false)]
    [InlineData("smooth_l1", 0.0, 33, true)]
    [InlineData("huber", 1.0, 257, true)]
    [InlineData("huber", 2.5, 100, false)]
    public void Regression_losses_match_pytorch(string kind, double parameter, int length, bool mean)
    {
        using DisposeScope scope = NewDisposeScope();
        var random = new Random(length + kind.Length);
        float[] prediction = TestData.Normal(random, length, std: 2.0);
        float[] target = TestData.Normal(random, length, mean: 0.5);
        if (!(kind == "smooth_l1" && parameter == 0))
        {
            // A zero difference: sign(0) = 0. Not for smooth L1 with beta = 0: PyTorch's Python
            // F.smooth_l1_loss turns it into l1_loss (gradient 0 there, as SmoothL1Loss gives), but TorchSharp
            // calls libtorch's smooth_l1_loss kernel directly, whose backward takes x <= -beta, giving -1.
            target[0] = prediction[0];
        }
        Reduction reduction = mean ? Reduction.Mean : Reduction.Sum;
        TorchReduction torchReduction = mean ? TorchReduction.Mean : TorchReduction.Sum;

        var grad = new float[length];
        float loss = kind switch
        {
            "l1" => new L1Loss(reduction).Compute(prediction, target, grad),
            "smooth_l1" => new SmoothL1Loss(reduction, parameter).Compute(prediction, target, grad),
            _ => new HuberLoss(reduction, parameter).Compute(prediction, target, grad),
        };

        TorchTensor p = torch.tensor(prediction).requires_grad_(true);
        TorchTensor t = torch.tensor(target);
        TorchTensor expected = kind switch
        {
            "l1" => nn.functional.l1_loss(p, t, torchReduction),
            "smooth_l1" => nn.functional.smooth_l1_loss(p, t, torchReduction, parameter),
            _ => nn.functional.huber_loss(p, t, parameter, torchReduction),
        };
        expected.backward();
        ParityAssert.Close($"{kind} loss", [expected.item<float>()], [loss], LossParityTests.LossTolerance);
        ParityAssert.Close($"{kind} dPrediction", Twin.ToArray(p.grad!), grad, LossParityTests.LossTolerance);
    }
    [Theory]
    [InlineData("l1", 0.0)]
    [InlineData("smooth_l1", 0.5)]
    [InlineData("huber", 1.5)]
    [InlineData("bce", 0.0)]
    public void Nan_and_infinity_propagate_as_in_pytorch(string kind, double parameter)
    {
        using DisposeScope scope = NewDisposeScope();
        float[] prediction = [float.NaN, 1f, float.PositiveInfinity, -2f, float.NegativeInfinity, 0.25f];
        float[] target = [0.5f, float.NaN, 1f, 1f, 0f, 0.5f];
        var grad = new float[prediction.Length];
        float loss = kind switch
        {
            "l1" => new L1Loss().Compute(prediction, target, grad),
            "smooth_l1" => new SmoothL1Loss(beta: parameter).Compute(prediction, target, grad),
            "huber" => new HuberLoss(delta: parameter).Compute(prediction, target, grad),
            _ => new BCEWithLogitsLoss().Compute(prediction, target, grad),
        };

        TorchTensor p = torch.tensor(prediction).requires_grad_(true);
        TorchTensor t = torch.tensor(target);
        TorchTensor expected = kind switch
        {
            "l1" => nn.functional.l1_loss(p, t),
            "smooth_l1" => nn.functional.smooth_l1_loss(p, t, TorchReduction.Mean, parameter),
            "huber" => nn.functional.huber_loss(p, t, parameter),
            _ => nn.functional.binary_cross_entropy_with_logits(p, t),
        };
        expected.backward();
        float[] expectedGrad = Twin.ToArray(p.grad!);
        AssertSameOrClose("loss", expected.item<float>(), loss);
        for (int i = 0; i < grad.Length; i++)
        {
            AssertSameOrClose($"gradient {i}", expectedGrad[i], grad[i]);
        }
    }

    /// <summary>NaN where PyTorch has NaN, the same infinity, finite values within the loss tolerance (float32 rounding).</summary>
    private static void AssertSameOrClose(string what, float expected, float actual) => Assert.True(
        expected.Equals(actual) || Math.Abs(expected - actual) <= LossParityTests.LossTolerance * Math.Max(1, Math.Abs(expected)),
        $"{what}: {actual}, PyTorch {expected}");
}
