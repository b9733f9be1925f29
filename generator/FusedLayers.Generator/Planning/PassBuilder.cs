using System.Collections.Generic;
using FusedLayers.Generator.Helpers;

namespace FusedLayers.Generator.Planning;

/// <summary>Collects one mode's passes in order; the schedule rules write through it.</summary>
internal sealed class PassBuilder
{
    private readonly List<SchedulePass> passes = new();

    /// <summary>A pass over the batch's tensors.</summary>
    public PassBuilder Pass(string call, string[] reads, string[] writes, string comment, string? condition = null)
    {
        passes.Add(new SchedulePass(call, reads.ToEquatableArray(), writes.ToEquatableArray(), comment, PerChannel: false, condition));
        return this;
    }

    /// <summary>A per-channel step (constants from statistics, gradient accumulation into parameters).</summary>
    public PassBuilder Step(string call, string[] reads, string[] writes, string comment, string? condition = null)
    {
        passes.Add(new SchedulePass(call, reads.ToEquatableArray(), writes.ToEquatableArray(), comment, PerChannel: true, condition));
        return this;
    }

    public EquatableArray<SchedulePass> Build() => passes.ToEquatableArray();
}
