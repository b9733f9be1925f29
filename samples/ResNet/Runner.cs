namespace ResNet;

/// <summary>One framework's side of the sample: a training step and an inference pass on the synthetic batch.</summary>
internal interface IRunner
{
    /// <summary>"FusedLayers" or "PyTorch".</summary>
    string Name { get; }

    /// <summary>Threads of the kernels (FusedLayers) or intra-op threads (libtorch).</summary>
    void SetThreads(int threads);

    /// <summary>
    /// One SGD step in training mode: forward, cross-entropy, zero the gradients, backward (parameter
    /// gradients only: the input needs none), optimizer step. Returns the loss.
    /// </summary>
    float TrainStep();

    /// <summary>One inference-mode forward pass; the logits stay inside the runner.</summary>
    void InferForward();

    /// <summary>The inference-mode logits of the batch, <c>[N, 10]</c> flattened.</summary>
    float[] InferenceLogits();
}
