using System;
using System.Collections.Generic;

namespace FusedLayers;

/// <summary>
/// Run-time argument checks used by generated models. Every check runs before any state changes,
/// and every message names what was expected and what came.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // for generated code; out of IntelliSense
public static class ModelChecks
{
    /// <summary>Returns the batch size of a flat input, or throws when it is not a whole number of samples.</summary>
    /// <param name="modelName">Model type name, for the message.</param>
    /// <param name="inputLength">Length of the input span.</param>
    /// <param name="inputShape">Per-sample input shape.</param>
    /// <exception cref="ArgumentException">The input is empty or not a multiple of the sample size.</exception>
    public static int BatchSize(string modelName, int inputLength, IReadOnlyList<int> inputShape)
    {
        int sample = TensorShape.Length(inputShape);
        if (inputLength == 0 || inputLength % sample != 0)
        {
            throw new ArgumentException(
                $"{modelName}: input length {inputLength} is not a positive multiple of the sample size {sample} " +
                $"(per-sample input shape {TensorShape.Format(inputShape)}).",
                "input");
        }

        return inputLength / sample;
    }

    /// <summary>Throws when the output span does not hold exactly <paramref name="batch"/> output samples.</summary>
    /// <param name="modelName">Model type name.</param>
    /// <param name="outputLength">Length of the output span.</param>
    /// <param name="batch">Batch size.</param>
    /// <param name="outputShape">Per-sample output shape.</param>
    /// <exception cref="ArgumentException">Wrong length.</exception>
    public static void OutputLength(string modelName, int outputLength, int batch, IReadOnlyList<int> outputShape)
    {
        long expected = (long)batch * TensorShape.Length(outputShape);
        if (outputLength != expected)
        {
            throw new ArgumentException(
                $"{modelName}: output span has length {outputLength}, expected {expected} " +
                $"(batch {batch} x per-sample output shape {TensorShape.Format(outputShape)}).",
                "output");
        }
    }

    /// <summary>Throws when a tensor's shape is not <c>[N, ...sampleShape]</c>; returns N.</summary>
    /// <param name="modelName">Model type name.</param>
    /// <param name="argument">Parameter name, for the exception.</param>
    /// <param name="tensor">The tensor.</param>
    /// <param name="sampleShape">Expected per-sample shape.</param>
    /// <exception cref="ArgumentException">Wrong shape.</exception>
    public static int BatchedShape(string modelName, string argument, Tensor tensor, IReadOnlyList<int> sampleShape)
    {
        ArgumentNullException.ThrowIfNull(tensor, argument);
        bool ok = tensor.Shape.Length == sampleShape.Count + 1 && tensor.Shape[0] > 0;
        for (int i = 0; ok && i < sampleShape.Count; i++)
        {
            ok = tensor.Shape[i + 1] == sampleShape[i];
        }

        if (!ok)
        {
            throw new ArgumentException(
                $"{modelName}: expected a tensor of shape [N, {string.Join(", ", sampleShape)}] with N > 0, " +
                $"got {TensorShape.Format(tensor.Shape)}.",
                argument);
        }

        return tensor.Shape[0];
    }

    /// <summary>
    /// PyTorch's check before batch statistics are used: more than one value per channel.
    /// </summary>
    /// <param name="layerName">BatchNorm layer name.</param>
    /// <param name="batch">Batch size.</param>
    /// <param name="activationShape">Per-sample shape of the BatchNorm input.</param>
    /// <exception cref="ArgumentException">Only one value per channel.</exception>
    public static void MoreThanOneValuePerChannel(string layerName, int batch, IReadOnlyList<int> activationShape)
    {
        long valuesPerChannel = batch;
        for (int i = 1; i < activationShape.Count; i++)
        {
            valuesPerChannel *= activationShape[i];
        }

        if (valuesPerChannel <= 1)
        {
            var full = new int[activationShape.Count + 1];
            full[0] = batch;
            for (int i = 0; i < activationShape.Count; i++)
            {
                full[i + 1] = activationShape[i];
            }

            throw new ArgumentException(
                $"Expected more than 1 value per channel when training, got input size {TensorShape.Format(full)} " +
                $"at BatchNorm layer '{layerName}'.",
                "input");
        }
    }

    /// <summary>
    /// As <see cref="MoreThanOneValuePerChannel(string, int, IReadOnlyList{int})"/>, except under synchronised BatchNorm
    /// across several replicas (<paramref name="collective"/> set, more than one replica): there the count that matters is
    /// the global one (a replica with one sample of a BatchNorm1d is fine, as in PyTorch), which the statistics merge checks
    /// on every replica at once.
    /// </summary>
    /// <param name="layerName">BatchNorm layer name.</param>
    /// <param name="batch">Batch size.</param>
    /// <param name="activationShape">Per-sample shape of the BatchNorm input.</param>
    /// <param name="collective">The model's synchronised-BatchNorm collective in training mode, or null.</param>
    /// <exception cref="ArgumentException">Only one value per channel (and no other replica to add to it).</exception>
    public static void MoreThanOneValuePerChannel(string layerName, int batch, IReadOnlyList<int> activationShape, IBatchStatisticsCollective? collective)
    {
        if (collective is null || collective.Replicas <= 1)
        {
            MoreThanOneValuePerChannel(layerName, batch, activationShape);
        }
    }

    /// <summary>No training forward pass has run (or the parameters were reset since).</summary>
    public const int PassNone = 0;

    /// <summary>The last training forward pass is saved and Backward may run.</summary>
    public const int PassSaved = 1;

    /// <summary>Backward already ran through the saved pass without <c>retainGraph</c>.</summary>
    public const int PassUsed = 2;

    /// <summary>An inference-mode forward ran after the training forward and overwrote its saved pass.</summary>
    public const int PassDiscarded = 3;

    /// <summary>The last Forward ran in inference mode (<c>Eval()</c>), which saves nothing for Backward.</summary>
    public const int PassInference = 4;

    /// <summary>Throws when backward is called without a saved training-mode forward pass, saying why there is none.</summary>
    /// <param name="modelName">Model type name.</param>
    /// <param name="savedPass">One of <see cref="PassNone"/>, <see cref="PassSaved"/>, <see cref="PassUsed"/>, <see cref="PassDiscarded"/>, <see cref="PassInference"/>.</param>
    /// <param name="savedBatch">Batch of the last training forward pass.</param>
    /// <param name="gradOutputLength">Length of the output gradient.</param>
    /// <param name="outputShape">Per-sample output shape.</param>
    /// <exception cref="InvalidOperationException">No saved training forward pass is available.</exception>
    /// <exception cref="ArgumentException">The gradient length does not match the saved batch.</exception>
    public static void BackwardReady(string modelName, int savedPass, int savedBatch, int gradOutputLength, IReadOnlyList<int> outputShape)
    {
        switch (savedPass)
        {
            case PassSaved:
                break;
            case PassUsed:
                throw new InvalidOperationException(
                    $"{modelName}: Backward was already called for the last training Forward, whose saved pass it used up " +
                    "(PyTorch: \"Trying to backward through the graph a second time\"). Run Forward again, or pass " +
                    "retainGraph: true to the earlier Backward to keep the saved pass for another one. Nothing was changed.");
            case PassDiscarded:
                throw new InvalidOperationException(
                    $"{modelName}: the saved pass of the last training Forward (batch {savedBatch}) was overwritten by an " +
                    "inference-mode Forward (after Eval() or Train(false)) that ran after it. Call Backward before running " +
                    "inference, or run inference on a second instance of the model. Nothing was changed.");
            case PassInference:
                throw new InvalidOperationException(
                    $"{modelName}: the last Forward ran in inference mode (Eval() or Train(false)), which saves nothing for " +
                    "Backward. For gradients of an eval-mode model (input gradients, saliency; BatchNorm on its running " +
                    "statistics, dropout off), call Eval(withGradients: true) before Forward; to train, call Train(). " +
                    "Nothing was changed.");
            default:
                throw new InvalidOperationException(
                    $"{modelName}: Backward needs a preceding Forward in training mode (call Train() before Forward), or " +
                    "after Eval(withGradients: true); an inference-mode Forward saves nothing for backward.");
        }

        long expected = (long)savedBatch * TensorShape.Length(outputShape);
        if (gradOutputLength != expected)
        {
            throw new ArgumentException(
                $"{modelName}: gradOutput has length {gradOutputLength}, expected {expected} " +
                $"(batch {savedBatch} of the last Forward x per-sample output shape {TensorShape.Format(outputShape)}).",
                "gradOutput");
        }
    }

    /// <summary>Throws when the input-gradient span does not match the saved batch.</summary>
    /// <param name="modelName">Model type name.</param>
    /// <param name="gradInputLength">Length of the span.</param>
    /// <param name="savedBatch">Batch of the saved forward pass.</param>
    /// <param name="inputShape">Per-sample input shape.</param>
    /// <exception cref="ArgumentException">Wrong length.</exception>
    public static void GradInputLength(string modelName, int gradInputLength, int savedBatch, IReadOnlyList<int> inputShape)
    {
        long expected = (long)savedBatch * TensorShape.Length(inputShape);
        if (gradInputLength != expected)
        {
            throw new ArgumentException(
                $"{modelName}: gradInput has length {gradInputLength}, expected {expected} " +
                $"(batch {savedBatch} x per-sample input shape {TensorShape.Format(inputShape)}).",
                "gradInput");
        }
    }
}
