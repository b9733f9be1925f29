using System;

namespace FusedLayers.Data;

/// <summary>Checks shared by the image transforms on <c>[C, H, W]</c> samples.</summary>
internal static class ImageShape
{
    /// <summary>Throws unless <paramref name="shape"/> is <c>[C, H, W]</c> with every size at least 1.</summary>
    public static void Require(ReadOnlySpan<int> shape, string transform)
    {
        if (shape.Length != 3 || shape[0] < 1 || shape[1] < 1 || shape[2] < 1)
        {
            throw new ArgumentException(
                $"{transform} takes images [C, H, W] with every size at least 1, the sample shape is {TensorShape.Format(shape.ToArray())}.", "inputShape");
        }
    }

    /// <summary>Throws unless the spans hold exactly the input and output element counts (checked before anything is written).</summary>
    public static void RequireLengths(int inputLength, int expectedInput, int outputLength, int expectedOutput)
    {
        if (inputLength != expectedInput)
        {
            throw new ArgumentException($"The input holds {inputLength} floats, its shape needs {expectedInput}.", "input");
        }

        if (outputLength < expectedOutput)
        {
            throw new ArgumentException($"The output has room for {outputLength} floats, the transform writes {expectedOutput}.", "output");
        }
    }
}
