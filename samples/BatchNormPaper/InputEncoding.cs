using System;

namespace BatchNormPaper;

/// <summary>
/// The paper's input is "a 28x28 binary image" (section 4.1): MNIST's grey levels are thresholded at the middle,
/// pixel &gt;= 128 becomes 1 and anything darker 0. The images arrive here as pixel / 255, and 128 / 255 is the
/// smallest such value at or above 0.5.
/// </summary>
internal static class InputEncoding
{
    /// <summary>Replaces every value in <paramref name="pixels"/> (pixel / 255) by 1 when it is at least 0.5, else by 0.</summary>
    public static void Binarize(Span<float> pixels)
    {
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = pixels[i] >= 0.5f ? 1f : 0f;
        }
    }
}
