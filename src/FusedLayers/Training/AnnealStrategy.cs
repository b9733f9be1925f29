namespace FusedLayers.Training;

/// <summary>PyTorch's <c>anneal_strategy</c> of <see cref="OneCycleLR"/>.</summary>
public enum AnnealStrategy
{
    /// <summary><c>'cos'</c>: <c>end + (start - end) / 2 * (cos(pi * pct) + 1)</c> (PyTorch's default).</summary>
    Cos,

    /// <summary><c>'linear'</c>: <c>(end - start) * pct + start</c>.</summary>
    Linear,
}
