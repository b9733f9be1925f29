using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using FusedLayers;
using QuickStart;

// QuickStart: the seed's Conv2d -> BatchNorm2d -> ReLU block on an 8x3x32x32 batch.
// One training step (forward, a simple loss, backward, SGD) and one inference pass.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var stopwatch = Stopwatch.StartNew();
var model = new ModelWithBatchNorm(seed: 42);
var random = new Random(7);
var input = new Tensor(8, 3, 32, 32);
for (int i = 0; i < input.Length; i++)
{
    input.Data[i] = (float)((random.NextDouble() * 2) - 1);
}

Console.WriteLine($"Model: {nameof(ModelWithBatchNorm)}, input per sample {TensorShape.Format(model.InputShape.ToArray())}, " +
                  $"output per sample {TensorShape.Format(model.OutputShape.ToArray())}");
Console.WriteLine("Parameters: " + string.Join(", ", model.Parameters.Select(p => $"{p.Name} {TensorShape.Format(p.Shape)}")));
Console.WriteLine("Buffers:    " + string.Join(", ", model.Buffers.Select(b => b.Name)));

// Training step: loss = mean(y^2) / 2, so dL/dy = y / numel.
model.Train();
Tensor output = model.Forward(input);
var gradOutput = new Tensor(output.Shape);
double loss = 0;
for (int i = 0; i < output.Length; i++)
{
    loss += 0.5 * output.Data[i] * output.Data[i] / output.Length;
    gradOutput.Data[i] = output.Data[i] / output.Length;
}

model.ZeroGrad();
Tensor gradInput = model.Backward(gradOutput);
foreach (Parameter parameter in model.Parameters)
{
    for (int i = 0; i < parameter.Length; i++)
    {
        parameter.Data[i] -= 0.1f * parameter.Grad[i];
    }
}

Console.WriteLine();
Console.WriteLine($"Training forward: output {TensorShape.Format(output.Shape)}, loss {loss:F6}, " +
                  $"fraction of ReLU outputs > 0: {output.Data.Count(v => v > 0) / (double)output.Length:F3}");
Console.WriteLine($"Backward: input gradient {TensorShape.Format(gradInput.Shape)}, |dL/dx|max {gradInput.Data.Max(Math.Abs):E3}, " +
                  $"|dL/dW|max {model.Conv.Weight.Grad.Max(Math.Abs):E3}");
Console.WriteLine($"Bn running_mean[0..3] {Format(model.Bn.RunningMean!, 4)}, running_var[0..3] {Format(model.Bn.RunningVar!, 4)}, " +
                  $"num_batches_tracked {model.Bn.NumBatchesTracked}");

// Inference: BatchNorm is folded into the convolution, ReLU is its epilogue.
model.Eval();
Tensor inference = model.Forward(input);
Console.WriteLine($"Inference forward: output {TensorShape.Format(inference.Shape)}, mean {inference.Data.Average():F5}, " +
                  $"max {inference.Data.Max():F5}");
Console.WriteLine($"Done in {stopwatch.Elapsed.TotalMilliseconds:F0} ms. Generated code: samples/QuickStart/obj/<config>/net10.0/generated/");

static string Format(float[] values, int count) =>
    "[" + string.Join(", ", values.Take(count).Select(v => v.ToString("F4", CultureInfo.InvariantCulture))) + "]";
