using System;
using FusedLayers.Training;

namespace ResNet;

/// <summary>The FusedLayers side: the generated model (<see cref="ResNet18"/> or <see cref="ResNetStage"/>), FusedLayers' cross-entropy and SGD; allocation-free steps.</summary>
internal sealed class FusedRunner : IRunner
{
    private readonly FusedLayers.IFusedModel model;
    private readonly SyntheticBatch batch;
    private readonly Sgd optimizer;
    private readonly CrossEntropyLoss loss = new();
    private readonly float[] logits;
    private readonly float[] gradLogits;

    /// <summary>Trains <paramref name="model"/> on <paramref name="batch"/> with SGD (learning rate, momentum).</summary>
    public FusedRunner(FusedLayers.IFusedModel model, SyntheticBatch batch, double learningRate, double momentum)
    {
        this.model = model;
        this.batch = batch;
        optimizer = new Sgd(model.Parameters, learningRate, momentum);
        logits = new float[batch.Count * model.OutputLength];
        gradLogits = new float[logits.Length];
    }

    public string Name => "FusedLayers";

    public void SetThreads(int threads) => model.Execution.MaxDegreeOfParallelism = threads;

    public float TrainStep()
    {
        model.Train();
        model.Forward(batch.Images, logits);
        float value = loss.Compute(logits, batch.Labels, gradLogits);
        model.ZeroGrad();
        model.Backward(gradLogits);
        optimizer.Step();
        return value;
    }

    public void InferForward()
    {
        model.Eval();
        model.Forward(batch.Images, logits);
    }

    public float[] InferenceLogits()
    {
        InferForward();
        return (float[])logits.Clone();
    }
}
