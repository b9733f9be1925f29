using System.Collections.Generic;
using System.Linq;
using FusedLayers.Generator.Helpers;

namespace FusedLayers.Generator.Planning;

/// <summary>Which of a kernel's pass lists a pass belongs to.</summary>
internal enum ScheduleMode
{
    /// <summary>The training forward (also <c>Eval(withGradients: true)</c>): batch statistics, buffers kept for backward.</summary>
    TrainingForward,

    /// <summary>The inference forward: running statistics, BatchNorm folded where it can be, nothing kept.</summary>
    InferenceForward,

    /// <summary>The backward pass, run after a training forward.</summary>
    Backward,

    /// <summary>After every kernel of a training forward succeeded: finiteness checks and running-statistics updates.</summary>
    Commit,
}

/// <summary>
/// One runtime call of a kernel: <c>FusedLayers.Kernels.{Call}</c>, the buffers it reads and writes (names from
/// <see cref="Buffers"/>), and a one-line comment. A pass over the batch's tensors, or a per-channel step
/// (<see cref="PerChannel"/>: scale/shift constants, gradient accumulation into parameters).
/// </summary>
internal sealed record SchedulePass(
    string Call,
    EquatableArray<string> Reads,
    EquatableArray<string> Writes,
    string Comment,
    bool PerChannel = false,
    string? Condition = null)
{
    /// <summary>Whether the pass reads <paramref name="buffer"/>.</summary>
    public bool ReadsBuffer(string buffer) => Reads.Contains(buffer);

    /// <summary>Whether the pass writes <paramref name="buffer"/>.</summary>
    public bool WritesBuffer(string buffer) => Writes.Contains(buffer);
}

/// <summary>
/// The buffer names a schedule uses. <c>x</c> is the kernel input (the previous kernel's <c>y</c>, or the model input),
/// <c>y</c> the kernel output; the others are the kernel's own.
/// </summary>
internal static class Buffers
{
    public const string X = "x";
    public const string Y = "y";
    public const string Z = "z";
    public const string Skip = "skip";
    public const string ProjZ = "proj.z";
    public const string Stats = "mean/var";
    public const string ProjStats = "proj.mean/var";
    public const string ScaleShift = "scale/shift";
    public const string ProjScaleShift = "proj.scale/shift";
    public const string RenormRD = "r/d";
    public const string Folded = "folded W/b";
    public const string Pre = "pre";
    public const string RowStats = "row mean/invStd";
    public const string RowVar = "row var";
    public const string Indices = "arg-max";
    public const string Mask = "mask";
    public const string Dy = "dy";
    public const string Dz = "dz";
    public const string Da = "da";
    public const string Dpre = "dpre";
    public const string Dx = "dx";
    public const string SkipDx = "skip dx";
    public const string ProjDz = "proj dz";
    public const string Sums = "dy sums";
    public const string ProjSums = "proj.sums";
    public const string Weights = "weights";
    public const string Gradients = "parameter grads";
    public const string GammaGrad = "d gamma";
    public const string BetaGrad = "d beta";
    public const string Running = "running stats";
}

/// <summary>
/// The schedule of one fused kernel: its anchor and epilogue layers (in <see cref="Kernel"/>), and per mode the ordered
/// runtime calls it makes. What the kernel keeps for backward, whether its BatchNorm folds, whether it keeps a
/// pre-activation, are read off the passes' operands here rather than re-decided by the emitter.
/// </summary>
internal sealed record KernelSchedule(
    KernelPlan Kernel,
    EquatableArray<SchedulePass> TrainingForward,
    EquatableArray<SchedulePass> InferenceForward,
    EquatableArray<SchedulePass> Backward,
    EquatableArray<SchedulePass> Commit,
    EquatableArray<(string Buffer, string Why)> Descriptions)
{
    /// <summary>The passes of <paramref name="mode"/>.</summary>
    public EquatableArray<SchedulePass> Passes(ScheduleMode mode) => mode switch
    {
        ScheduleMode.TrainingForward => TrainingForward,
        ScheduleMode.InferenceForward => InferenceForward,
        ScheduleMode.Backward => Backward,
        _ => Commit,
    };

    /// <summary>
    /// The buffers kept from the training forward for backward: everything backward reads that the training forward
    /// wrote or read (the kernel input included) and that backward does not write first, in the order backward reads them.
    /// </summary>
    public IReadOnlyList<string> SavedForBackward()
    {
        var forward = new HashSet<string>(TrainingForward.SelectMany(p => p.Writes.Concat(p.Reads)));
        var written = new HashSet<string>();
        var saved = new List<string>();
        foreach (SchedulePass pass in Backward)
        {
            foreach (string read in pass.Reads)
            {
                if (forward.Contains(read) && !written.Contains(read) && !saved.Contains(read) && IsActivationBuffer(read))
                {
                    saved.Add(read);
                }
            }

            foreach (string write in pass.Writes)
            {
                written.Add(write);
            }
        }

        return saved;
    }

    /// <summary>Whether the training forward keeps <paramref name="buffer"/> for backward.</summary>
    public bool Saves(string buffer) => SavedForBackward().Contains(buffer);

    /// <summary>Whether any forward pass (training or inference) writes <paramref name="buffer"/>.</summary>
    public bool ForwardWrites(string buffer) =>
        TrainingForward.Any(p => p.WritesBuffer(buffer)) || InferenceForward.Any(p => p.WritesBuffer(buffer));

    /// <summary>Whether the inference forward folds the normalisation into the anchor's weights.</summary>
    public bool Folds => InferenceForward.Any(p => p.WritesBuffer(Buffers.Folded));

    /// <summary>What <paramref name="buffer"/> holds, for the printed schedule; empty when nothing was said.</summary>
    public string Describe(string buffer)
    {
        foreach ((string name, string why) in Descriptions)
        {
            if (name == buffer)
            {
                return why;
            }
        }

        return "";
    }

    /// <summary>
    /// Tensors and statistics that come out of the forward pass; parameters, their gradients and running statistics
    /// live in the layers and are not "saved".
    /// </summary>
    private static bool IsActivationBuffer(string buffer) =>
        buffer is not (Buffers.Weights or Buffers.Gradients or Buffers.GammaGrad or Buffers.BetaGrad or Buffers.Running or Buffers.Dy);
}

/// <summary>The model's schedule: one <see cref="KernelSchedule"/> per kernel, in order.</summary>
internal sealed record ModelSchedule(EquatableArray<KernelSchedule> Kernels)
{
    public static ModelSchedule Empty { get; } = new(EquatableArray<KernelSchedule>.Empty);
}
