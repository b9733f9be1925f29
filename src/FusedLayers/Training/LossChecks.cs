using System;

namespace FusedLayers.Training;

/// <summary>Argument checks and reduction shared by the element-wise losses.</summary>
internal static class LossChecks
{
    /// <summary>Refuses a reduction outside the enum.</summary>
    public static Reduction Checked(Reduction reduction, string name)
    {
        if (reduction is not (Reduction.Mean or Reduction.Sum))
        {
            throw new ArgumentOutOfRangeException(name, reduction, "reduction must be Reduction.Mean or Reduction.Sum.");
        }

        return reduction;
    }

    /// <summary>Refuses an empty input or a target of another length.</summary>
    public static void SameLength(int input, int target, string inputName, string targetName)
    {
        if (input == 0 || input != target)
        {
            throw new ArgumentException(
                $"Expected a non-empty {inputName} and a {targetName} of the same length, got {input} and {target}.",
                targetName);
        }
    }

    /// <summary>Refuses a gradient buffer of another length.</summary>
    public static void GradientLength(int gradient, int input, string gradientName)
    {
        if (gradient != input)
        {
            throw new ArgumentException($"{gradientName} has length {gradient}, expected {input}.", gradientName);
        }
    }

    /// <summary>The factor from the sum to the reduced loss: <c>1/n</c> for the mean, 1 for the sum.</summary>
    public static double Scale(Reduction reduction, int count) => reduction == Reduction.Mean ? 1.0 / count : 1.0;
}
