using System;
using System.Linq;
using Microsoft.ML.OnnxRuntime;

namespace FusedLayers.Onnx.Tests;

/// <summary>Runs an exported model in ONNX Runtime (CPU execution provider, all graph optimisations, one thread).</summary>
internal static class OrtRunner
{
    /// <summary>The output of <paramref name="onnx"/> for <paramref name="input"/>, <c>[batch, ...inputShape]</c>.</summary>
    public static float[] Run(byte[] onnx, float[] input, int batch, int[] inputShape, int outputLength)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
        };
        using var session = new InferenceSession(onnx, options);
        float[] output = new float[batch * outputLength];
        long[] inputDims = [batch, .. inputShape.Select(d => (long)d)];
        using OrtValue inputValue = OrtValue.CreateTensorValueFromMemory(input, inputDims);
        using var runOptions = new RunOptions();
        string outputName = session.OutputMetadata.Keys.Single();
        long[] outputDims = [batch, .. session.OutputMetadata[outputName].Dimensions.Skip(1).Select(d => (long)d)];
        using OrtValue shapedOutput = OrtValue.CreateTensorValueFromMemory(output, outputDims);
        session.Run(runOptions, [session.InputMetadata.Keys.Single()], [inputValue], [outputName], [shapedOutput]);
        return output;
    }
}
