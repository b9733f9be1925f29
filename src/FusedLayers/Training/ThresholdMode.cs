namespace FusedLayers.Training;

/// <summary>PyTorch's <c>threshold_mode</c> of <see cref="ReduceLROnPlateau"/>: how much better counts as better.</summary>
public enum ThresholdMode
{
    /// <summary><c>'rel'</c>: better than <c>best * (1 - threshold)</c> (min) or <c>best * (1 + threshold)</c> (max) (PyTorch's default).</summary>
    Rel,

    /// <summary><c>'abs'</c>: better than <c>best - threshold</c> (min) or <c>best + threshold</c> (max).</summary>
    Abs,
}
