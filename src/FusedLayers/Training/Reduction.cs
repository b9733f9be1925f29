namespace FusedLayers.Training;

/// <summary>
/// PyTorch's <c>reduction</c> argument of the losses that take one: how the per-element losses become
/// the returned scalar. (<c>'none'</c> is not offered: these losses return one value.)
/// </summary>
public enum Reduction
{
    /// <summary><c>'mean'</c>: the sum divided by the number of elements (PyTorch's default).</summary>
    Mean,

    /// <summary><c>'sum'</c>: the sum of the per-element losses.</summary>
    Sum,
}
