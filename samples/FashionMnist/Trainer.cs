using System;

namespace FashionMnist;

/// <summary>One framework's side of the run: a training step and an evaluation batch on the shared buffers.</summary>
internal interface ITrainer : IDisposable
{
    /// <summary>Name shown in the output.</summary>
    string Name { get; }

    /// <summary>Time per phase of <see cref="TrainStep"/> (the caller charges <see cref="Phase.Data"/>).</summary>
    PhaseTimes Phases { get; }

    /// <summary>The learning rate of the next step.</summary>
    double LearningRate { get; }

    /// <summary>
    /// Forward, cross-entropy, backward and one optimizer step (plus one step of the per-step schedule)
    /// on the first <paramref name="count"/> samples of the buffers.
    /// </summary>
    /// <returns>The batch's mean loss and the number of correct training predictions.</returns>
    (double Loss, int Correct) TrainStep(float[] images, int[] labels, int count);

    /// <summary>Switches to inference (BatchNorm on its running statistics) or back to training.</summary>
    void SetTraining(bool training);

    /// <summary>Inference on the first <paramref name="count"/> samples.</summary>
    /// <returns>The batch's mean loss and the number of correct predictions.</returns>
    (double Loss, int Correct) EvaluateBatch(float[] images, int[] labels, int count);
}
