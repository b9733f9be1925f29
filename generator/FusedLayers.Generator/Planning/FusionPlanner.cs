using System.Collections.Generic;
using System.Linq;
using FusedLayers.Generator.Diagnostics;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using FusedLayers.Generator.Validation;

namespace FusedLayers.Generator.Planning;

/// <summary>
/// Stage 3: groups the validated chain into kernels. Rules, in order of the data flow:
/// <list type="bullet">
/// <item>Conv2d or Linear opens a kernel; a directly following BatchNorm joins it (statistics in the
/// anchor's epilogue in training, folded into its weights in inference); an activation (any kind of
/// <see cref="LayerKinds.IsActivation"/>) after that joins too as the epilogue.</item>
/// <item>A BatchNorm without an anchor right before it opens its own kernel; a following activation joins it.</item>
/// <item>An activation that follows no open kernel runs alone.</item>
/// <item>Flatten moves no data and ends the open kernel (the channel axis changes meaning).</item>
/// <item>A Residual (skip connection) joins after the anchor/BatchNorm, before the activation: BatchNorm-apply, add
/// and activation are one pass. After LayerNorm, GroupNorm or an untracked InstanceNorm an identity skip joins the row
/// pass the same way. A layer that is the source of a skip connection ends its kernel, so its
/// output exists in memory.</item>
/// <item>MaxPool2d and AvgPool2d right after a BatchNorm (and its activation) join that kernel: BatchNorm-apply +
/// activation become the pool's per-plane prologue. Otherwise pools, AdaptiveAvgPool2d and Dropout run alone.</item>
/// </list>
/// </summary>
internal static class FusionPlanner
{
    public static FusionPlan Plan(ValidationResult validation)
    {
        var kernels = new List<KernelPlan>();
        var notes = new List<DiagnosticInfo>();
        var flattens = new List<string>();
        if (validation.Emit != EmitKind.Model)
        {
            return new FusionPlan(validation, kernels.ToEquatableArray(), flattens.ToEquatableArray(), notes.ToEquatableArray());
        }

        EquatableArray<LayerSpec> layers = validation.Spec.Layers;

        // A skip connection's source must be materialised, so its layer always ends its kernel.
        var sources = new HashSet<string>(layers.Where(l => l.Kind == LayerKind.Residual).Select(l => l.From));
        var kernelOfSource = new Dictionary<string, int>();
        int i = 0;
        while (i < layers.Count)
        {
            LayerSpec layer = layers[i];
            LayerShape shape = validation.Shapes[i];
            if (layer.Kind == LayerKind.Flatten)
            {
                flattens.Add(layer.Name);
                i++;
                continue;
            }

            var kernel = new KernelPlan
            {
                Index = kernels.Count,
                InputShape = shape.Input,
                NormShape = shape.Input,
                FlattensBefore = flattens.ToEquatableArray(),
            };
            flattens.Clear();

            if (LayerKinds.IsStandalone(layer.Kind))
            {
                // Pooling and dropout change (or mask) the data layout the next epilogue would see: own kernel.
                kernels.Add(kernel with { Op = layer, OutputShape = shape.Output });
                kernelOfSource[layer.Name] = kernel.Index;
                i++;
                continue;
            }

            if (LayerKinds.IsAnchor(layer.Kind))
            {
                kernel = kernel with { Anchor = layer, NormShape = shape.Output, OutputShape = shape.Output };
                i++;
                if (i < layers.Count && LayerKinds.IsNorm(layers[i].Kind) && !sources.Contains(layer.Name))
                {
                    kernel = kernel with { Norm = layers[i], OutputShape = validation.Shapes[i].Output };
                    i++;
                }
            }
            else if (LayerKinds.IsNorm(layer.Kind))
            {
                kernel = kernel with { Norm = layer, OutputShape = shape.Output, UnfusedReason = Reason(layers, i) };
                i++;
            }

            // The skip connection's add joins the kernel's epilogue after its anchor/BatchNorm, or runs alone.
            LayerSpec? last = kernel.Norm ?? kernel.Anchor;
            // (After a BatchNorm the fused pass applies BatchNorm's per-channel scale and shift; after LayerNorm, GroupNorm or
            // an InstanceNorm without running statistics an identity skip is added to each row as it is normalised.)
            if (i < layers.Count && layers[i].Kind == LayerKind.Residual && (last is null || !sources.Contains(last.Name)) &&
                (kernel.Norm is null || LayerKinds.IsBatchNorm(kernel.Norm.Kind) || RowNormTakesSkip(kernel.Norm, layers[i])))
            {
                LayerSpec residual = layers[i];
                bool fromInput = LayerKinds.IsModelInput(validation.Spec, residual.From);
                kernel = kernel with
                {
                    Residual = residual,
                    SkipKernel = fromInput ? -1 : kernelOfSource[residual.From],
                    SkipFromInput = fromInput,
                    SkipShape = fromInput ? validation.Spec.InputShape : validation.Shapes[IndexOf(layers, residual.From)].Output,
                    OutputShape = validation.Shapes[i].Output,
                    UnfusedReason = last is null ? Reason(layers, i) : kernel.UnfusedReason,
                };
                i++;
            }

            last = kernel.Residual ?? kernel.Norm ?? kernel.Anchor;
            bool open = last is not null && !sources.Contains(last.Name);

            // Activations are element-wise and Flatten moves no data, so an activation behind Flatten layers still rides
            // on this kernel's epilogue.
            int next = i;
            while (open && kernel.Activation is null &&
                   next < layers.Count && layers[next].Kind == LayerKind.Flatten)
            {
                next++;
            }

            if (next > i && next < layers.Count && LayerKinds.IsActivation(layers[next].Kind))
            {
                var inside = new List<string>();
                for (int f = i; f < next; f++)
                {
                    inside.Add(layers[f].Name);
                }

                kernel = kernel with { FlattensInside = inside.ToEquatableArray() };
                i = next;
            }

            if (i < layers.Count && LayerKinds.IsActivation(layers[i].Kind) && (open || last is null))
            {
                kernel = kernel with
                {
                    Activation = layers[i],
                    OutputShape = validation.Shapes[i].Output,
                    UnfusedReason = last is null ? Reason(layers, i) : kernel.UnfusedReason,
                };
                i++;
            }

            // A pool right after BatchNorm (+ activation) takes the BatchNorm-apply pass as its prologue.
            last = kernel.Activation ?? kernel.Norm;
            if (i < layers.Count && layers[i].Kind is LayerKind.MaxPool2d or LayerKind.AvgPool2d && kernel.Norm is not null &&
                LayerKinds.IsBatchNorm(kernel.Norm.Kind) && kernel.Residual is null && kernel.FlattensInside.Count == 0 && !sources.Contains(last!.Name))
            {
                kernel = kernel with { Pool = layers[i], OutputShape = validation.Shapes[i].Output };
                i++;
            }

            kernelOfSource[kernel.Layers().Last().Name] = kernel.Index;
            if (kernel.UnfusedReason is not null)
            {
                LayerSpec first = kernel.Norm ?? kernel.Residual ?? kernel.Activation!;
                notes.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.LayerNotFused, first.AttributeLocation, first.Name, LayerKinds.AttributeName(first.Kind), kernel.UnfusedReason));
            }

            kernels.Add(kernel);
        }

        EquatableArray<KernelPlan> planned = kernels.ToEquatableArray();
        return new FusionPlan(validation, planned, flattens.ToEquatableArray(), notes.ToEquatableArray()) { Schedule = ScheduleRules.Build(planned) };
    }

    /// <summary>
    /// The rule for a skip connection after a per-sample normalisation: an identity skip joins the row pass (added to each
    /// normalised row in cache, before the activation). A projection needs BatchNorm's per-channel constants on the skip
    /// path, and a tracked InstanceNorm runs as a per-channel scale and shift in inference: both keep the add apart.
    /// </summary>
    private static bool RowNormTakesSkip(LayerSpec norm, LayerSpec residual) =>
        LayerKinds.IsRowNorm(norm.Kind) && !residual.Projection && !(LayerKinds.IsInstanceNorm(norm.Kind) && norm.TrackRunningStats);

    private static int IndexOf(EquatableArray<LayerSpec> layers, string name)
    {
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Why layer <paramref name="index"/> (a BatchNorm or an activation) cannot join the previous kernel; null when it is first.</summary>
    private static string? Reason(EquatableArray<LayerSpec> layers, int index)
    {
        if (index == 0)
        {
            return null;
        }

        LayerSpec previous = layers[index - 1];
        LayerSpec current = layers[index];
        if (current.Kind == LayerKind.ReLU && previous.Kind == LayerKind.ReLU)
        {
            return $"it follows ReLU '{previous.Name}' (a second ReLU changes nothing; consider removing it)";
        }

        if (LayerKinds.IsActivation(current.Kind))
        {
            return LayerKinds.IsActivation(previous.Kind)
                ? $"it follows {LayerKinds.AttributeName(previous.Kind)} '{previous.Name}', which is already the epilogue of the kernel before it"
                : $"the layers before it ('{previous.Name}') end in a kernel that already has an activation epilogue, or there is no kernel to ride on";
        }

        if (current.Kind == LayerKind.Residual && LayerKinds.IsRowNorm(previous.Kind))
        {
            return current.Projection
                ? $"its projection needs BatchNorm's per-channel constants on the skip path, which {LayerKinds.AttributeName(previous.Kind)} '{previous.Name}''s row pass does not carry (an identity skip joins it)"
                : $"InstanceNorm '{previous.Name}' keeps running statistics, so in inference it is a per-channel scale and shift, not a row pass (without TrackRunningStats the add joins it)";
        }

        return previous.Kind switch
        {
            LayerKind.Flatten => $"it follows Flatten '{previous.Name}', which changes what a channel is, so it cannot ride on the previous kernel's epilogue",
            LayerKind.ReLU => $"it follows ReLU '{previous.Name}', which ends a kernel (a kernel is [Conv2d|Linear] -> BatchNorm -> ReLU)",
            _ when LayerKinds.IsActivation(previous.Kind) => $"it follows {LayerKinds.AttributeName(previous.Kind)} '{previous.Name}', which ends a kernel (a kernel is [Conv2d|Linear] -> BatchNorm -> activation)",
            _ when LayerKinds.IsBatchNorm(previous.Kind) => $"it follows BatchNorm '{previous.Name}', which already closed its kernel",
            _ when LayerKinds.IsNorm(previous.Kind) => $"it follows {LayerKinds.AttributeName(previous.Kind)} '{previous.Name}', which already closed its kernel",
            _ => $"it follows '{previous.Name}', which already closed its kernel",
        };
    }
}
