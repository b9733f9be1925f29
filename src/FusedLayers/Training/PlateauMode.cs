namespace FusedLayers.Training;

/// <summary>PyTorch's <c>mode</c> of <see cref="ReduceLROnPlateau"/>: whether the metric should fall or rise.</summary>
public enum PlateauMode
{
    /// <summary><c>'min'</c>: the rate is reduced when the metric has stopped decreasing (PyTorch's default).</summary>
    Min,

    /// <summary><c>'max'</c>: the rate is reduced when the metric has stopped increasing.</summary>
    Max,
}
