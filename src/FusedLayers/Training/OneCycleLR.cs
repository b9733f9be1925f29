using System;
using System.Globalization;

namespace FusedLayers.Training;

/// <summary>
/// PyTorch's <c>OneCycleLR</c> (the 1cycle policy), stepped once per batch: from
/// <c>initial_lr = max_lr / div_factor</c> up to <c>max_lr</c> over the first <c>pct_start</c> of
/// <c>total_steps</c>, then down to <c>min_lr = initial_lr / final_div_factor</c> at step
/// <c>total_steps - 1</c> (with <c>three_phase</c>: up, back down to <c>initial_lr</c>, then down to
/// <c>min_lr</c>), each phase annealed by cosine or linearly.
/// </summary>
/// <remarks>
/// <para>Phase ends, as in PyTorch: <c>pct_start * total_steps - 1</c> and <c>total_steps - 1</c> (three
/// phases: <c>pct_start * total_steps - 1</c>, <c>2 * pct_start * total_steps - 2</c>, <c>total_steps - 1</c>); at
/// step <c>s</c> in the phase from <c>a</c> to <c>b</c>, <c>pct = (s - a) / (b - a)</c>. The rate is
/// computed from the step each time (PyTorch has no chainable form for it). Stepping past
/// <c>total_steps</c> is refused, as in PyTorch.</para>
/// <para>As in PyTorch, the optimizer's initial rate (the base of later schedules, see
/// <see cref="LearningRateScheduler"/>) becomes <c>initial_lr</c>, whatever the optimizer's rate was.</para>
/// <para>Momentum cycling (PyTorch's <c>cycle_momentum</c>, <c>base_momentum</c>, <c>max_momentum</c>) is
/// left out: the optimizer's momentum or betas are never changed, which is PyTorch's behaviour with
/// <c>cycle_momentum=False</c>. The <c>epochs</c> / <c>steps_per_epoch</c> form is left out too: pass their
/// product as <c>totalSteps</c>.</para>
/// </remarks>
public sealed class OneCycleLR : LearningRateScheduler
{
    private readonly double[] phaseEnds;
    private readonly double[] phaseStarts;
    private readonly double[] phaseTargets;

    /// <summary>Creates the schedule.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="maxLr">PyTorch's <c>max_lr</c>, the peak rate, finite and at least 0.</param>
    /// <param name="totalSteps">PyTorch's <c>total_steps</c>, the number of steps in the cycle, at least 1.</param>
    /// <param name="pctStart">PyTorch's <c>pct_start</c>, the fraction of the cycle spent increasing the rate, in [0, 1] (default 0.3).</param>
    /// <param name="annealStrategy">PyTorch's <c>anneal_strategy</c> (default <see cref="AnnealStrategy.Cos"/>).</param>
    /// <param name="divFactor">PyTorch's <c>div_factor</c>: <c>initial_lr = max_lr / div_factor</c>, finite and greater than 0 (default 25).</param>
    /// <param name="finalDivFactor">PyTorch's <c>final_div_factor</c>: <c>min_lr = initial_lr / final_div_factor</c>, finite and greater than 0 (default 1e4).</param>
    /// <param name="threePhase">PyTorch's <c>three_phase</c> (default false).</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
    /// <exception cref="InvalidOperationException">The first phase is of length 0 (<c>pct_start * total_steps = 1</c>): PyTorch divides by zero at step 0.</exception>
    public OneCycleLR(
        Optimizer optimizer,
        double maxLr,
        int totalSteps,
        double pctStart = 0.3,
        AnnealStrategy annealStrategy = AnnealStrategy.Cos,
        double divFactor = 25.0,
        double finalDivFactor = 1e4,
        bool threePhase = false)
        : base(Prepare(optimizer, maxLr, totalSteps, pctStart, annealStrategy, divFactor, finalDivFactor))
    {
        MaxLr = maxLr;
        TotalSteps = totalSteps;
        PctStart = pctStart;
        AnnealStrategy = annealStrategy;
        DivFactor = divFactor;
        FinalDivFactor = finalDivFactor;
        ThreePhase = threePhase;
        InitialLr = maxLr / divFactor;
        MinLr = InitialLr / finalDivFactor;
        phaseEnds = PhaseEnds(totalSteps, pctStart, threePhase);
        phaseStarts = threePhase ? [InitialLr, MaxLr, InitialLr] : [InitialLr, MaxLr];
        phaseTargets = threePhase ? [MaxLr, InitialLr, MinLr] : [MaxLr, MinLr];
        Initialise();
    }

    /// <summary>PyTorch's <c>max_lr</c>.</summary>
    public double MaxLr { get; }

    /// <summary>PyTorch's <c>total_steps</c>.</summary>
    public int TotalSteps { get; }

    /// <summary>PyTorch's <c>pct_start</c>.</summary>
    public double PctStart { get; }

    /// <summary>PyTorch's <c>anneal_strategy</c>.</summary>
    public AnnealStrategy AnnealStrategy { get; }

    /// <summary>PyTorch's <c>div_factor</c>.</summary>
    public double DivFactor { get; }

    /// <summary>PyTorch's <c>final_div_factor</c>.</summary>
    public double FinalDivFactor { get; }

    /// <summary>PyTorch's <c>three_phase</c>.</summary>
    public bool ThreePhase { get; }

    /// <summary><c>initial_lr = max_lr / div_factor</c>, the rate at step 0.</summary>
    public double InitialLr { get; }

    /// <summary><c>min_lr = initial_lr / final_div_factor</c>, the rate at step <c>total_steps - 1</c>.</summary>
    public double MinLr { get; }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epoch"/> is negative or greater than <see cref="TotalSteps"/>.</exception>
    /// <exception cref="InvalidOperationException">The epoch falls in a phase of length 0, where PyTorch divides by zero.</exception>
    public override double LearningRateAt(int epoch, int group)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(epoch, TotalSteps);
        double start = 0;
        for (int phase = 0; phase < phaseEnds.Length; phase++)
        {
            double end = phaseEnds[phase];
            if (epoch <= end || phase == phaseEnds.Length - 1)
            {
                if (end == start)
                {
                    throw new InvalidOperationException(string.Create(
                        CultureInfo.InvariantCulture,
                        $"pct_start = {PctStart} with total_steps = {TotalSteps} makes phase {phase} of length 0: step {epoch} would divide by zero (PyTorch raises ZeroDivisionError)."));
                }

                double pct = (epoch - start) / (end - start);
                return Anneal(phaseStarts[phase], phaseTargets[phase], pct);
            }

            start = end;
        }

        throw new InvalidOperationException("Unreachable: the last phase always matches.");
    }

    /// <inheritdoc />
    private protected override double NextLearningRate(int epoch, int group)
    {
        if (epoch > TotalSteps)
        {
            throw new InvalidOperationException(string.Create(
                CultureInfo.InvariantCulture,
                $"Tried to step {epoch} times. The specified number of total steps is {TotalSteps}."));
        }

        return LearningRateAt(epoch);
    }

    private double Anneal(double start, double end, double pct) => AnnealStrategy == AnnealStrategy.Cos
        ? end + ((start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1))
        : ((end - start) * pct) + start;

    private static double[] PhaseEnds(int totalSteps, double pctStart, bool threePhase) => threePhase
        ? [(pctStart * totalSteps) - 1, (2 * pctStart * totalSteps) - 2, totalSteps - 1]
        : [(pctStart * totalSteps) - 1, totalSteps - 1];

    private static Optimizer Prepare(
        Optimizer optimizer, double maxLr, int totalSteps, double pctStart, AnnealStrategy annealStrategy, double divFactor, double finalDivFactor)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!(maxLr >= 0) || double.IsInfinity(maxLr))
        {
            throw new ArgumentOutOfRangeException(nameof(maxLr), maxLr, "max_lr must be a finite number, at least 0.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(totalSteps);
        if (!(pctStart >= 0 && pctStart <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart, "Expected float between 0 and 1 pct_start.");
        }

        if (annealStrategy is not (AnnealStrategy.Cos or AnnealStrategy.Linear))
        {
            throw new ArgumentOutOfRangeException(nameof(annealStrategy), annealStrategy, "anneal_strategy must be Cos or Linear.");
        }

        if (!(divFactor > 0) || double.IsInfinity(divFactor))
        {
            throw new ArgumentOutOfRangeException(nameof(divFactor), divFactor, "div_factor must be a finite number greater than 0.");
        }

        if (!(finalDivFactor > 0) || double.IsInfinity(finalDivFactor))
        {
            throw new ArgumentOutOfRangeException(nameof(finalDivFactor), finalDivFactor, "final_div_factor must be a finite number greater than 0.");
        }

        // PyTorch overwrites every param_group['initial_lr'] with max_lr / div_factor.
        double?[] initial = optimizer.InitialLearningRates;
        for (int g = 0; g < initial.Length; g++)
        {
            initial[g] = maxLr / divFactor;
        }

        return optimizer;
    }
}
