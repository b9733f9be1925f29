using System.Collections.Generic;
using System.Linq;
using FusedLayers.Generator.Model;

namespace FusedLayers.Generator.Emit;

/// <summary>
/// The gradient-ready hook of Backward (data-parallel overlap): after a kernel's parameter gradients are final,
/// Backward tells the context's <c>IGradientReadyObserver</c> from which parameter on (in <c>Parameters</c> order)
/// every gradient is final, so that a bucket's allreduce can start while the earlier kernels still run.
/// </summary>
internal static partial class ModelEmitter
{
    /// <summary>Layers that own parameters: the same rule as the <c>Parameters</c> collector.</summary>
    private static bool HasParameters(LayerSpec l) =>
        LayerKinds.IsAnchor(l.Kind) || (LayerKinds.IsNorm(l.Kind) && l.Affine) || l is { Kind: LayerKind.Residual, Projection: true };

    /// <summary>The first parameter a layer contributes to <c>Parameters</c>.</summary>
    private static string FirstParameter(LayerSpec l) =>
        l.Kind == LayerKind.Residual ? $"{Field(l)}.Projection!.Weight" : LayerKinds.IsAnchor(l.Kind) ? $"{Field(l)}.Weight" : $"{Field(l)}.Weight!";

    /// <summary>
    /// Per kernel (by index), the hook line to write after its backward, or null: the first parameter of the lowest
    /// declared layer from which on every parameter-owning layer belongs to this kernel or a later one (Backward runs
    /// the kernels last first), when that point moved down. Computed from the layer order, so it stays safe whatever
    /// the kernel order.
    /// </summary>
    private static string?[] GradientHooks(ModelSpec spec, List<KernelNames> kernels)
    {
        List<LayerSpec> owners = spec.Layers.Where(HasParameters).ToList();
        var kernelOf = new Dictionary<string, int>();
        foreach (KernelNames k in kernels)
        {
            foreach (LayerSpec l in k.Kernel.Layers())
            {
                kernelOf[l.Name] = k.Kernel.Index;
            }
        }

        var hooks = new string?[kernels.Count];
        int watermark = owners.Count; // owners[watermark..] have final gradients
        for (int i = kernels.Count - 1; i >= 0; i--)
        {
            int next = watermark;
            while (next > 0 && kernelOf.TryGetValue(owners[next - 1].Name, out int owner) && owner >= i)
            {
                next--;
            }

            if (next < watermark)
            {
                watermark = next;
                hooks[i] = $"context.GradientObserver?.GradientsReady({FirstParameter(owners[next])}); // gradients final from here on: a bucket may start its allreduce";
            }
        }

        return hooks;
    }
}
