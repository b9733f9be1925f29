using System;

namespace FusedLayers.Training;

/// <summary>
/// PyTorch's <c>ReduceLROnPlateau</c>: multiplies the learning rate by <c>factor</c> when a metric (for
/// example the validation loss) has not improved for more than <c>patience</c> epochs, then waits
/// <c>cooldown</c> epochs before counting again. Unlike the <see cref="LearningRateScheduler"/>s it has no
/// closed form: each <see cref="Step(double)"/> takes the epoch's metric.
/// </summary>
/// <remarks>
/// <para>PyTorch's update, per <see cref="Step(double)"/>: if the metric is better than the best so far
/// (see <see cref="ThresholdMode"/>) it becomes the best and the bad-epoch count is reset, else the count
/// goes up by one; during a cooldown the counter goes down by one and the count is reset; when the count
/// exceeds <c>patience</c> the rate becomes <c>max(lr * factor, min_lr)</c>, applied only if it falls by more
/// than <c>eps</c>, the cooldown starts and the count is reset. A NaN metric is never better.</para>
/// <para>The rate in force when it is created is left as it is. With several parameter groups each group's
/// rate is reduced on its own, with the one <c>min_lr</c>, as PyTorch does with a float <c>min_lr</c>.</para>
/// </remarks>
public sealed class ReduceLROnPlateau
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="mode">PyTorch's <c>mode</c> (default <see cref="PlateauMode.Min"/>).</param>
    /// <param name="factor">PyTorch's <c>factor</c>, the reduction factor, in [0, 1) (default 0.1).</param>
    /// <param name="patience">PyTorch's <c>patience</c>, the bad epochs tolerated, at least 0 (default 10).</param>
    /// <param name="threshold">PyTorch's <c>threshold</c>, finite (default 1e-4).</param>
    /// <param name="thresholdMode">PyTorch's <c>threshold_mode</c> (default <see cref="ThresholdMode.Rel"/>).</param>
    /// <param name="cooldown">PyTorch's <c>cooldown</c>, epochs to wait after a reduction, at least 0 (default 0).</param>
    /// <param name="minLr">PyTorch's <c>min_lr</c>, the lower bound of the rate, finite and at least 0 (default 0).</param>
    /// <param name="eps">PyTorch's <c>eps</c>, the smallest reduction applied, finite and at least 0 (default 1e-8).</param>
    /// <exception cref="ArgumentNullException"><paramref name="optimizer"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
    public ReduceLROnPlateau(
        Optimizer optimizer,
        PlateauMode mode = PlateauMode.Min,
        double factor = 0.1,
        int patience = 10,
        double threshold = 1e-4,
        ThresholdMode thresholdMode = ThresholdMode.Rel,
        int cooldown = 0,
        double minLr = 0.0,
        double eps = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (mode is not (PlateauMode.Min or PlateauMode.Max))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "mode must be Min or Max.");
        }

        if (!(factor >= 0 && factor < 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "Factor should be < 1.0 (and at least 0).");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        if (!double.IsFinite(threshold))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "threshold must be finite.");
        }

        if (thresholdMode is not (ThresholdMode.Rel or ThresholdMode.Abs))
        {
            throw new ArgumentOutOfRangeException(nameof(thresholdMode), thresholdMode, "threshold_mode must be Rel or Abs.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(cooldown);
        if (!(minLr >= 0) || double.IsInfinity(minLr))
        {
            throw new ArgumentOutOfRangeException(nameof(minLr), minLr, "min_lr must be a finite number, at least 0.");
        }

        if (!(eps >= 0) || double.IsInfinity(eps))
        {
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be a finite number, at least 0.");
        }

        Optimizer = optimizer;
        Mode = mode;
        Factor = factor;
        Patience = patience;
        Threshold = threshold;
        ThresholdMode = thresholdMode;
        Cooldown = cooldown;
        MinLr = minLr;
        Eps = eps;
        Best = mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
    }

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>PyTorch's <c>mode</c>.</summary>
    public PlateauMode Mode { get; }

    /// <summary>PyTorch's <c>factor</c>.</summary>
    public double Factor { get; }

    /// <summary>PyTorch's <c>patience</c>.</summary>
    public int Patience { get; }

    /// <summary>PyTorch's <c>threshold</c>.</summary>
    public double Threshold { get; }

    /// <summary>PyTorch's <c>threshold_mode</c>.</summary>
    public ThresholdMode ThresholdMode { get; }

    /// <summary>PyTorch's <c>cooldown</c>.</summary>
    public int Cooldown { get; }

    /// <summary>PyTorch's <c>min_lr</c>.</summary>
    public double MinLr { get; }

    /// <summary>PyTorch's <c>eps</c>.</summary>
    public double Eps { get; }

    /// <summary>The best metric so far (PyTorch's <c>best</c>): +∞ (min) or -∞ (max) before the first step.</summary>
    public double Best { get; private set; }

    /// <summary>Epochs without improvement (PyTorch's <c>num_bad_epochs</c>).</summary>
    public int NumBadEpochs { get; private set; }

    /// <summary>Epochs of cooldown left (PyTorch's <c>cooldown_counter</c>).</summary>
    public int CooldownCounter { get; private set; }

    /// <summary>Epochs stepped (PyTorch's <c>last_epoch</c>): 0 after construction, +1 per <see cref="Step(double)"/>.</summary>
    public int LastEpoch { get; private set; }

    /// <summary>The learning rate in force (PyTorch's <c>get_last_lr()[0]</c>).</summary>
    public double LearningRate => Optimizer.LearningRate;

    /// <summary>Ends an epoch with its metric, reducing the optimizer's rate if the metric has plateaued.</summary>
    /// <param name="metric">The epoch's metric (PyTorch's <c>metrics</c>).</param>
    public void Step(double metric)
    {
        LastEpoch++;
        if (IsBetter(metric))
        {
            Best = metric;
            NumBadEpochs = 0;
        }
        else
        {
            NumBadEpochs++;
        }

        if (CooldownCounter > 0)
        {
            CooldownCounter--;
            NumBadEpochs = 0;
        }

        if (NumBadEpochs > Patience)
        {
            for (int g = 0; g < Optimizer.ParamGroups.Count; g++)
            {
                double old = Optimizer.GetLearningRate(g);
                double reduced = Math.Max(old * Factor, MinLr);
                if (old - reduced > Eps)
                {
                    Optimizer.SetLearningRate(g, reduced);
                }
            }

            CooldownCounter = Cooldown;
            NumBadEpochs = 0;
        }
    }

    private bool IsBetter(double metric) => (Mode, ThresholdMode) switch
    {
        (PlateauMode.Min, ThresholdMode.Rel) => metric < Best * (1.0 - Threshold),
        (PlateauMode.Min, ThresholdMode.Abs) => metric < Best - Threshold,
        (PlateauMode.Max, ThresholdMode.Rel) => metric > Best * (Threshold + 1.0),
        _ => metric > Best + Threshold,
    };
}
