using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using FusedLayers.Reference;
using TorchSharp;
using Xunit.Abstractions;
using Xunit.Sdk;
using static TorchSharp.torch;
using TorchModule = TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>;
using TorchTensor = TorchSharp.torch.Tensor;

namespace FusedLayers.TorchParity.Tests;

/// <summary>
/// The float64 normalisation references (<see cref="ReferenceLayerNorm"/>, <see cref="ReferenceGroupNorm"/>,
/// <see cref="ReferenceInstanceNorm"/>) against libtorch's <c>nn.LayerNorm</c>, <c>nn.GroupNorm</c>,
/// <c>nn.InstanceNorm1d/2d</c> run in float64: outputs, input gradients and accumulated parameter gradients
/// over several training steps, running statistics and <c>num_batches_tracked</c>, then inference.
/// <see cref="ReferenceBatchRenorm"/> has no PyTorch counterpart; at <c>r_max = 1, d_max = 0</c> it must
/// train exactly as <c>nn.BatchNorm1d/2d</c> (and its running mean, same update rule, must agree too).
/// Tolerance: <see cref="Tolerance"/>. The float32 runtime kernels (<see cref="FusedLayers.Kernels.RowNormKernels"/>)
/// are also compared with libtorch's float32 <c>layer_norm</c> and <c>group_norm</c> (tolerance <see cref="ParityAssert.Relative"/>).
/// </summary>
public class NormalizationReferenceParityTests(ITestOutputHelper output)
{
    /// <summary>
    /// 1e-12 of the tensor's largest magnitude: both sides are float64 (unit round-off 1.1e-16) and differ
    /// only in summation order and in libtorch computing <c>rsqrt</c> and fused forms; observed differences
    /// are 1e-16..1e-15 of the scale. Any formula difference (biased vs unbiased variance, a missing term of
    /// the backward pass) is 1e-6 and more, eps alone 1e-5.
    /// </summary>
    public const double Tolerance = 1e-12;

    /// <summary>LayerNorm: input shape, normalized shape, elementwise_affine, bias.</summary>
    public static TheoryData<int[], int[], bool, bool> LayerNormCases => new()
    {
        { [5, 16], [16], true, true },
        { [5, 16], [16], true, false },
        { [5, 16], [16], false, true },
        { [2, 3, 7], [7], true, true },
        { [2, 3, 7], [3, 7], true, true },
        { [2, 3, 4, 5], [3, 4, 5], true, false },
        { [2, 3, 4, 5], [4, 5], false, false },
    };

    [Theory]
    [MemberData(nameof(LayerNormCases))]
    public void LayerNorm_matches_pytorch(int[] inputShape, int[] normalizedShape, bool elementwiseAffine, bool bias)
    {
        using DisposeScope scope = NewDisposeScope();
        var random = new Random(inputShape.Sum() + normalizedShape.Length + (elementwiseAffine ? 10 : 0) + (bias ? 20 : 0));
        var reference = new ReferenceLayerNorm("ln", normalizedShape, 1e-5, elementwiseAffine, bias);
        TorchModule module = nn.LayerNorm(Longs(normalizedShape), 1e-5, elementwiseAffine, bias, dtype: ScalarType.Float64);
        RandomizeParameters(random, reference, module);
        for (int step = 0; step < 2; step++)
        {
            TrainingStep($"LayerNorm{Describe(inputShape)} step {step}", random, reference, module, inputShape);
        }

        module.eval();
        reference.Training = false;
        TrainingStep($"LayerNorm{Describe(inputShape)} eval", random, reference, module, inputShape);
    }

    [Theory]
    //          N  C  G  H  W  (0 = no such dimension)  affine
    [InlineData(4, 6, 2, 0, 0, true)]
    [InlineData(3, 6, 3, 5, 0, true)]
    [InlineData(2, 8, 4, 3, 5, true)]
    [InlineData(2, 8, 1, 3, 5, false)]
    [InlineData(2, 8, 8, 3, 5, true)]
    [InlineData(1, 6, 2, 4, 4, false)]
    public void GroupNorm_matches_pytorch(int n, int c, int g, int h, int w, bool affine)
    {
        using DisposeScope scope = NewDisposeScope();
        var random = new Random((n * 1000) + (c * 100) + (g * 10) + h + w);
        int[] shape = h == 0 ? [n, c] : w == 0 ? [n, c, h] : [n, c, h, w];
        var reference = new ReferenceGroupNorm("gn", g, c, 1e-5, affine);
        TorchModule module = nn.GroupNorm(g, c, 1e-5, affine, dtype: ScalarType.Float64);
        RandomizeParameters(random, reference, module);
        for (int step = 0; step < 2; step++)
        {
            // TorchSharp's GroupNorm module refuses 2D input (PyTorch's accepts it); [N, C] is [N, C, 1] there.
            TrainingStep($"GroupNorm({g}, {c}){Describe(shape)} step {step}", random, reference, module, shape, torchShape: h == 0 ? [n, c, 1] : null);
        }
    }

    [Theory]
    //          dims affine track  momentum
    [InlineData(1, false, false, 0.1)]
    [InlineData(1, true, false, 0.1)]
    [InlineData(1, false, true, 0.1)]
    [InlineData(1, true, true, 0.3)]
    [InlineData(2, false, false, 0.1)]
    [InlineData(2, true, false, 0.1)]
    [InlineData(2, false, true, 0.1)]
    [InlineData(2, true, true, 0.3)]
    public void InstanceNorm_matches_pytorch_in_training_and_eval(int dimensions, bool affine, bool track, double momentum)
    {
        using DisposeScope scope = NewDisposeScope();
        var random = new Random((dimensions * 100) + (affine ? 1 : 0) + (track ? 2 : 0));
        const int channels = 3;
        int[] shape = dimensions == 1 ? [4, channels, 9] : [2, channels, 5, 6];
        var reference = new ReferenceInstanceNorm("in", channels, dimensions, 1e-5, momentum, affine, track);
        TorchModule module = dimensions == 1
            ? nn.InstanceNorm1d(channels, 1e-5, momentum, affine, track, dtype: ScalarType.Float64)
            : nn.InstanceNorm2d(channels, 1e-5, momentum, affine, track, dtype: ScalarType.Float64);
        RandomizeParameters(random, reference, module);
        string label = $"InstanceNorm{dimensions}d(affine={affine}, track={track}, momentum={momentum.ToString(CultureInfo.InvariantCulture)})";

        // Inputs of mean 2 and std 3 so that the running statistics move visibly away from (0, 1).
        for (int step = 0; step < 4; step++)
        {
            TrainingStep($"{label} step {step}", random, reference, module, shape, mean: 2.0, std: 3.0);
            CompareBuffers($"{label} step {step}", reference, module);
        }

        module.eval();
        reference.Training = false;
        TrainingStep($"{label} eval", random, reference, module, shape, mean: 2.0, std: 3.0);
        CompareBuffers($"{label} eval", reference, module);
    }

    [Theory]
    [InlineData(new[] { 8, 3 }, true)]
    [InlineData(new[] { 8, 3 }, false)]
    [InlineData(new[] { 4, 3, 7 }, true)]
    [InlineData(new[] { 2, 4, 3, 5 }, true)]
    [InlineData(new[] { 2, 4, 3, 5 }, false)]
    public void BatchRenorm_at_r_max_1_and_d_max_0_trains_like_pytorch_BatchNorm(int[] shape, bool affine)
    {
        using DisposeScope scope = NewDisposeScope();
        var random = new Random(shape.Sum() + (affine ? 1 : 0));
        int channels = shape[1];
        var reference = new ReferenceBatchRenorm("bn", channels, 1e-5, momentum: 0.1, affine: affine);
        TorchModule module = shape.Length == 4
            ? nn.BatchNorm2d(channels, 1e-5, 0.1, affine, track_running_stats: true, dtype: ScalarType.Float64)
            : nn.BatchNorm1d(channels, 1e-5, 0.1, affine, track_running_stats: true, dtype: ScalarType.Float64);
        RandomizeParameters(random, reference, module);
        for (int step = 0; step < 3; step++)
        {
            string what = $"BatchRenorm{Describe(shape)} step {step}";
            TrainingStep(what, random, reference, module, shape, mean: 1.0, std: 2.0);

            // Same update rule for the mean: mu += m (mu_B - mu) is (1 - m) mu + m mu_B.
            Dictionary<string, TorchTensor> buffers = module.named_buffers().ToDictionary(b => b.name, b => b.buffer);
            Close($"{what}: running_mean", Doubles(buffers["running_mean"]), reference.RunningMean);
            Assert.Equal(Count(buffers["num_batches_tracked"]), reference.NumBatchesTracked);
        }
    }

    [Theory]
    //          N   C    S    G   (LayerNorm when G = 0: normalized_shape [C])
    [InlineData(40, 129, 1, 0)]
    [InlineData(4, 32, 323, 8)]
    [InlineData(3, 12, 35, 12)]
    [InlineData(64, 600, 1, 3)]
    public void RowNormKernels_match_pytorch_in_float32(int n, int c, int s, int g)
    {
        // The runtime kernels (float32, best path, all cores) against libtorch's float32 layer_norm / group_norm.
        using DisposeScope scope = NewDisposeScope();
        var random = new Random((n * 1000) + c + s + g);
        float[] x = TestData.Normal(random, n * c * s, 0.5, 2.0);
        float[] dy = TestData.Normal(random, x.Length);
        float[] gamma = TestData.Normal(random, c, 1.0, 0.3);
        float[] beta = TestData.Normal(random, c, 0.0, 0.3);
        int groups = g == 0 ? 1 : g;
        var y = new float[x.Length];
        var mean = new float[n * groups];
        var invStd = new float[n * groups];
        var dx = new float[x.Length];
        var dGamma = new float[c];
        var dBeta = new float[c];
        FusedLayers.Execution.KernelContext context = FusedLayers.Execution.KernelContext.Default;
        FusedLayers.Kernels.RowNormKernels.Forward(context, n, c, s, groups, x, gamma, beta, 1e-5, y, mean, invStd, default);
        FusedLayers.Kernels.RowNormKernels.Backward(context, n, c, s, groups, dy, x, mean, invStd, gamma, dx, dGamma, dBeta);

        long[] shape = s == 1 ? [n, c] : [n, c, s];
        TorchTensor tx = torch.tensor(x, shape).requires_grad_(true);
        TorchTensor tw = torch.tensor(gamma).requires_grad_(true);
        TorchTensor tb = torch.tensor(beta).requires_grad_(true);
        TorchTensor ty = g == 0
            ? nn.functional.layer_norm(tx, [c], tw, tb, 1e-5)
            : nn.functional.group_norm(s == 1 ? tx.unsqueeze(-1) : tx, g, tw, tb, 1e-5).reshape(shape);
        ty.backward([torch.tensor(dy, shape)]);
        string what = g == 0 ? $"LayerNorm({c}) kernel on [{n}, {c}]" : $"GroupNorm({g}, {c}) kernel on [{n}, {c}, {s}]";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: output {ParityAssert.Close($"{what}: output", Twin.ToArray(ty), y):E2}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: input gradient {ParityAssert.Close($"{what}: input gradient", Twin.ToArray(tx.grad!), dx):E2}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: weight gradient {ParityAssert.Close($"{what}: weight gradient", Twin.ToArray(tw.grad!), dGamma):E2}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: bias gradient {ParityAssert.Close($"{what}: bias gradient", Twin.ToArray(tb.grad!), dBeta):E2}"));
    }

    /// <summary>One forward and backward on both sides with the same input and output gradient; compares everything.</summary>
    private void TrainingStep(
        string what, Random random, IReferenceLayer reference, TorchModule module, int[] shape, double mean = 0.0, double std = 1.0, int[]? torchShape = null)
    {
        torchShape ??= shape;
        double[] x = Normal(random, shape, mean, std);
        double[] dy = Normal(random, shape, 0.0, 1.0);

        ReferenceTensor y = reference.Forward(new ReferenceTensor((double[])x.Clone(), shape));
        ReferenceTensor dx = reference.Backward(new ReferenceTensor((double[])dy.Clone(), shape));

        TorchTensor tx = torch.tensor(x, Longs(torchShape), ScalarType.Float64).requires_grad_(true);
        TorchTensor ty = module.forward(tx);
        ty.backward([torch.tensor(dy, Longs(torchShape), ScalarType.Float64)]);

        Close($"{what}: output", Doubles(ty), y.Data);
        Close($"{what}: input gradient", Doubles(tx.grad!), dx.Data);
        Dictionary<string, TorchTensor> parameters = module.named_parameters().ToDictionary(p => p.name, p => (TorchTensor)p.parameter);
        Assert.Equal(parameters.Count, reference.Parameters.Count);
        foreach (ReferenceParameter p in reference.Parameters)
        {
            string key = p.Name[(p.Name.IndexOf('.', StringComparison.Ordinal) + 1)..];
            TorchTensor grad = parameters[key].grad ?? throw new XunitException($"{what}: PyTorch has no gradient for {key}.");
            Close($"{what}: {p.Name} gradient (accumulated)", Doubles(grad), p.Grad);
        }
    }

    private void CompareBuffers(string what, ReferenceInstanceNorm reference, TorchModule module)
    {
        Dictionary<string, TorchTensor> buffers = module.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        if (!reference.TrackRunningStats)
        {
            Assert.Empty(buffers);
            return;
        }

        Close($"{what}: running_mean", Doubles(buffers["running_mean"]), reference.RunningMean!);
        Close($"{what}: running_var", Doubles(buffers["running_var"]), reference.RunningVar!);
        Assert.Equal(Count(buffers["num_batches_tracked"]), reference.NumBatchesTracked);
    }

    /// <summary>Random weight and bias on the reference, copied into the module's parameters of the same name.</summary>
    private static void RandomizeParameters(Random random, IReferenceLayer reference, TorchModule module)
    {
        Dictionary<string, TorchTensor> parameters = module.named_parameters().ToDictionary(p => p.name, p => (TorchTensor)p.parameter);
        using (torch.no_grad())
        {
            foreach (ReferenceParameter p in reference.Parameters)
            {
                bool isWeight = p.Name.EndsWith(".weight", StringComparison.Ordinal);
                p.CopyFrom(Normal(random, p.Shape, isWeight ? 1.0 : 0.0, 0.5));
                string key = p.Name[(p.Name.IndexOf('.', StringComparison.Ordinal) + 1)..];
                parameters[key].copy_(torch.tensor(p.Data, Longs(p.Shape), ScalarType.Float64));
            }
        }
    }

    private void Close(string what, double[] expected, IReadOnlyList<double> actual)
    {
        Assert.Equal(expected.Length, actual.Count);
        double scale = 1e-12, worst = 0;
        int index = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(expected[i]));
            double error = Math.Abs(expected[i] - actual[i]);
            if (double.IsNaN(error) || error > worst)
            {
                worst = double.IsNaN(error) ? double.PositiveInfinity : error;
                index = i;
            }
        }

        double relative = worst / scale;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: relative error {relative:E2}"));
        if (!(relative <= Tolerance))
        {
            throw new XunitException(string.Create(
                CultureInfo.InvariantCulture,
                $"{what}: relative error {relative:E2} > {Tolerance:E0} at index {index} (reference {actual[index]:R}, PyTorch {expected[index]:R}, scale {scale:E2})."));
        }
    }

    private static double[] Normal(Random random, int[] shape, double mean, double std)
    {
        float[] values = TestData.Normal(random, shape.Aggregate(1, (a, b) => a * b), mean, std);
        return values.Select(v => (double)v).ToArray();
    }

    private static double[] Doubles(TorchTensor tensor) => tensor.detach().contiguous().data<double>().ToArray();

    /// <summary>A counter buffer's value (TorchSharp converts <c>num_batches_tracked</c> to the module's dtype).</summary>
    private static long Count(TorchTensor buffer) => (long)buffer.to_type(ScalarType.Float64).item<double>();

    private static long[] Longs(int[] shape) => shape.Select(d => (long)d).ToArray();

    private static string Describe(int[] shape) => "[" + string.Join(", ", shape) + "]";
}
