using System;
using FusedLayers;
using FusedLayers.Training;

namespace FashionMnist;

/// <summary>Trains the generated <see cref="FashionNet"/> with FusedLayers' loss, optimizers and schedule.</summary>
internal sealed class FusedTrainer : ITrainer
{
    private const int Classes = 10;
    private readonly FashionNet model;
    private readonly Optimizer optimizer;
    private readonly LearningRateScheduler schedule;
    private readonly CrossEntropyLoss trainLoss;
    private readonly CrossEntropyLoss testLoss = new();
    private float[] logits = [];
    private float[] gradLogits = [];

    public FusedTrainer(FashionNet model, Options options, int totalSteps)
    {
        this.model = model;
        model.Execution.MaxDegreeOfParallelism = options.Threads;
        double lr = options.EffectiveLearningRate;
        optimizer = options.Optimizer == OptimizerKind.Sgd
            ? new Sgd(model.Parameters, lr, momentum: 0.9, weightDecay: options.EffectiveWeightDecay, nesterov: true)
            : new AdamW(model.Parameters, lr, weightDecay: options.EffectiveWeightDecay);
        schedule = new CosineAnnealingLR(optimizer, tMax: totalSteps);
        trainLoss = new CrossEntropyLoss(options.LabelSmoothing);
        model.Train();
    }

    public string Name => "FusedLayers";

    public PhaseTimes Phases { get; } = new();

    public double LearningRate => optimizer.LearningRate;

    public (double Loss, int Correct) TrainStep(float[] images, int[] labels, int count)
    {
        Span<float> output = Logits(count);
        Span<float> grad = gradLogits.AsSpan(0, count * Classes);
        Phases.Start();
        model.Forward(images.AsSpan(0, count * model.InputLength), output);
        Phases.Lap(Phase.Forward);
        int correct = Accuracy.CountCorrect(output, labels.AsSpan(0, count));
        float loss = trainLoss.Compute(output, labels.AsSpan(0, count), grad);
        Phases.Lap(Phase.Loss);
        model.ZeroGrad();
        model.Backward(grad);
        Phases.Lap(Phase.Backward);
        optimizer.Step();
        schedule.Step();
        Phases.Lap(Phase.Optimizer);
        return (loss, correct);
    }

    public void SetTraining(bool training) => model.Train(training);

    public (double Loss, int Correct) EvaluateBatch(float[] images, int[] labels, int count)
    {
        Span<float> output = Logits(count);
        model.Forward(images.AsSpan(0, count * model.InputLength), output);
        return (testLoss.Compute(output, labels.AsSpan(0, count)), Accuracy.CountCorrect(output, labels.AsSpan(0, count)));
    }

    public void Dispose()
    {
    }

    private Span<float> Logits(int count)
    {
        if (logits.Length < count * Classes)
        {
            logits = new float[count * Classes];
            gradLogits = new float[count * Classes];
        }

        return logits.AsSpan(0, count * Classes);
    }
}
