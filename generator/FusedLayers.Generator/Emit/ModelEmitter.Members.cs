using System.Collections.Generic;
using System.Linq;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using FusedLayers.Generator.Planning;

namespace FusedLayers.Generator.Emit;

/// <summary>Shapes, layer state, workspace, constructors and the state-dict surface.</summary>
internal static partial class ModelEmitter
{
    private const string ReadOnlyList = "global::System.Collections.Generic.IReadOnlyList";

    private static void WriteShapeMembers(CodeWriter w, FusionPlan plan, List<KernelNames> kernels)
    {
        ModelSpec spec = plan.Spec;
        w.Line($"private const string _flModelName = \"{spec.ClassName}\";");
        w.Line($"private static readonly int[] s_flInputShape = new int[] {{ {string.Join(", ", spec.InputShape.Select(Shapes.Inv))} }};");
        w.Line($"private static readonly int[] s_flOutputShape = new int[] {{ {string.Join(", ", plan.OutputShape.Select(Shapes.Inv))} }};");
        foreach (KernelNames k in kernels)
        {
            LayerSpec? anchor = k.Kernel.Anchor;
            if (anchor?.Kind == LayerKind.Conv2d)
            {
                EquatableArray<int> s = k.Kernel.InputShape;
                string options = anchor.Dilation == 1 && anchor.Groups == 1 ? "" : $", {Shapes.Inv(anchor.Dilation)}, {Shapes.Inv(anchor.Groups)}";
                w.Line($"private static readonly {Kernels}Conv2dGeometry {k.Geometry} = new({Shapes.Inv(anchor.InChannels)}, {Shapes.Inv(anchor.OutChannels)}, " +
                       $"{Shapes.Inv(s[1])}, {Shapes.Inv(s[2])}, {Shapes.Inv(anchor.KernelSize)}, {Shapes.Inv(anchor.Stride)}, {Shapes.Inv(anchor.Padding)}{options});");
            }
            else if (k.Kernel.Op is { Kind: LayerKind.MaxPool2d or LayerKind.AvgPool2d } pool)
            {
                EquatableArray<int> s = k.Kernel.InputShape;
                w.Line($"private static readonly {Kernels}Pool2dGeometry {k.Geometry} = new({Shapes.Inv(s[0])}, {Shapes.Inv(s[1])}, {Shapes.Inv(s[2])}, " +
                       $"{Shapes.Inv(pool.KernelSize)}, {Shapes.Inv(pool.Stride)}, {Shapes.Inv(pool.Padding)});");
            }
            else if (anchor?.Kind == LayerKind.Linear)
            {
                w.Line($"private static readonly {Kernels}LinearGeometry {k.Geometry} = new({Shapes.Inv(anchor.InChannels)}, {Shapes.Inv(anchor.OutChannels)});");
            }

            if (k.Kernel.Pool is { } fusedPool)
            {
                EquatableArray<int> n = k.Kernel.NormShape;
                w.Line($"private static readonly {Kernels}Pool2dGeometry {k.FusedPoolGeometry} = new({Shapes.Inv(n[0])}, {Shapes.Inv(n[1])}, {Shapes.Inv(n[2])}, " +
                       $"{Shapes.Inv(fusedPool.KernelSize)}, {Shapes.Inv(fusedPool.Stride)}, {Shapes.Inv(fusedPool.Padding)});");
            }

            if (k.UsesBatchStatistics)
            {
                w.Line($"private static readonly int[] {k.NormShape} = new int[] {{ {string.Join(", ", k.Kernel.NormShape.Select(Shapes.Inv))} }};");
            }

            if (k.HasProjection)
            {
                LayerSpec residual = k.Kernel.Residual!;
                EquatableArray<int> skip = k.Kernel.SkipShape;
                w.Line($"private static readonly {Kernels}Conv2dGeometry {k.ProjGeometry} = new({Shapes.Inv(skip[0])}, {Shapes.Inv(k.Channels)}, " +
                       $"{Shapes.Inv(skip[1])}, {Shapes.Inv(skip[2])}, 1, {Shapes.Inv(residual.ProjectionStride)}, 0);");
                w.Line($"private static readonly int[] {k.ResidualShape} = new int[] {{ {string.Join(", ", k.Kernel.NormShape.Select(Shapes.Inv))} }};");
            }
        }

        w.Line();
        w.Line($"/// <summary>Elements in one input sample, {Shapes.Format(spec.InputShape)}.</summary>");
        w.Line($"public const int InputSampleLength = {Shapes.Inv(Shapes.Length(spec.InputShape))};");
        w.Line();
        w.Line($"/// <summary>Elements in one output sample, {Shapes.Format(plan.OutputShape)}.</summary>");
        w.Line($"public const int OutputSampleLength = {Shapes.Inv(Shapes.Length(plan.OutputShape))};");
        w.Line();
        w.Line("/// <inheritdoc />");
        w.Line($"public {ReadOnlyList}<int> InputShape => s_flInputShape;");
        w.Line();
        w.Line("/// <inheritdoc />");
        w.Line($"public {ReadOnlyList}<int> OutputShape => s_flOutputShape;");
        w.Line();
        w.Line("/// <inheritdoc />");
        w.Line("public int InputLength => InputSampleLength;");
        w.Line();
        w.Line("/// <inheritdoc />");
        w.Line("public int OutputLength => OutputSampleLength;");
        w.Line();
    }

    private static void WriteLayerMembers(CodeWriter w, FusionPlan plan)
    {
        ModelSpec spec = plan.Spec;
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            LayerSpec layer = spec.Layers[i];
            string type = "global::FusedLayers." + LayerKinds.RuntimeTypeName(layer.Kind);
            string seed = $"global::FusedLayers.ModelSeeds.ForLayer(0, {Shapes.Inv(i)})";
            string create = layer.Kind switch
            {
                LayerKind.Conv2d => $"new {type}(\"{layer.StateKey}\", {Shapes.Inv(layer.InChannels)}, {Shapes.Inv(layer.OutChannels)}, {Shapes.Inv(layer.KernelSize)}, " +
                                    $"{Shapes.Inv(layer.Stride)}, {Shapes.Inv(layer.Padding)}, " +
                                    (layer.Dilation == 1 && layer.Groups == 1 ? "" : $"{Shapes.Inv(layer.Dilation)}, {Shapes.Inv(layer.Groups)}, ") +
                                    $"{Bool(layer.Bias)}, {seed})",
                LayerKind.Linear => $"new {type}(\"{layer.StateKey}\", {Shapes.Inv(layer.InChannels)}, {Shapes.Inv(layer.OutChannels)}, {Bool(layer.Bias)}, {seed})",
                LayerKind.BatchNorm1d or LayerKind.BatchNorm2d =>
                    $"new {type}(\"{layer.StateKey}\", {Shapes.Inv(layer.NumFeatures)}, {Number(layer.Eps)}, {(layer.CumulativeAverage ? "null" : Number(layer.Momentum))}, " +
                    $"{Bool(layer.Affine)}, {Bool(layer.TrackRunningStats)})",
                LayerKind.MaxPool2d => $"new {type}(\"{layer.StateKey}\", {Shapes.Inv(layer.KernelSize)}, {Shapes.Inv(layer.Stride)}, {Shapes.Inv(layer.Padding)})",
                LayerKind.AvgPool2d => $"new {type}(\"{layer.StateKey}\", {Shapes.Inv(layer.KernelSize)}, {Shapes.Inv(layer.Stride)}, {Shapes.Inv(layer.Padding)}, {Bool(layer.CountIncludePad)})",
                LayerKind.Dropout => $"new {type}(\"{layer.StateKey}\", {Number(layer.P)}, unchecked((ulong){seed}))",
                LayerKind.Residual when layer.Projection =>
                    $"new {type}(\"{layer.StateKey}\", \"{layer.From}\", {Shapes.Inv(ProjectionChannels(plan, layer).In)}, {Shapes.Inv(ProjectionChannels(plan, layer).Out)}, {Shapes.Inv(layer.ProjectionStride)}, {seed})",
                LayerKind.Residual => $"new {type}(\"{layer.StateKey}\", \"{layer.From}\")",
                LayerKind.LeakyReLU => $"new {type}(\"{layer.StateKey}\", global::FusedLayers.Kernels.Activation.LeakyReLU({Number(layer.NegativeSlope)}f))",
                LayerKind.GELU => $"new {type}(\"{layer.StateKey}\", global::FusedLayers.Kernels.Activation.{(layer.Approximate == "tanh" ? "GeluTanh" : "Gelu")})",
                // Every other activation but ReLU (a ReLULayer) has no argument and a runtime Activation of its attribute's name.
                _ when LayerKinds.IsActivation(layer.Kind) && layer.Kind != LayerKind.ReLU =>
                    $"new {type}(\"{layer.StateKey}\", global::FusedLayers.Kernels.Activation.{layer.Kind})",
                LayerKind.LayerNorm or LayerKind.GroupNorm or LayerKind.InstanceNorm1d or LayerKind.InstanceNorm2d or LayerKind.BatchRenorm1d or LayerKind.BatchRenorm2d =>
                    NormalizationLayerArguments(type, layer),
                _ => $"new {type}(\"{layer.StateKey}\")",
            };
            w.Line($"private readonly {type} {Field(layer)} = {create};");
            w.Line();
            if (layer.InBlock)
            {
                // No property of its own: the block use's property returns the block instance that exposes it.
                continue;
            }

            w.Line($"/// <summary>Layer '{layer.Name}': {Describe(layer)}.</summary>");
            w.Line($"{Modifiers(layer)}partial {layer.PropertyType} {Identifiers.Escape(layer.Name)}");
            w.OpenBrace();
            w.Line($"get => {Field(layer)};");
            w.CloseBrace();
            w.Line();
        }

        WriteBlockUses(w, spec);
    }

    /// <summary>Channels of a projection's source and at the add, from the plan of the kernel that holds the residual.</summary>
    private static (int In, int Out) ProjectionChannels(FusionPlan plan, LayerSpec residual)
    {
        KernelPlan kernel = plan.Kernels.First(k => k.Residual == residual);
        return (kernel.SkipShape[0], kernel.NormShape[0]);
    }

    private static void WriteWorkspace(CodeWriter w, FusionPlan plan, List<KernelNames> kernels)
    {
        w.Line("private readonly global::FusedLayers.ExecutionOptions _flExecution = new global::FusedLayers.ExecutionOptions();");
        w.Line();
        w.Line("/// <inheritdoc />");
        w.Line("public global::FusedLayers.ExecutionOptions Execution => _flExecution;");
        w.Line();
        w.Line("// Mode and saved state. _flSavedBatch is the batch of the last completed training forward; _flSavedPass says");
        w.Line("// whether its saved pass is there for Backward (ModelChecks.PassNone / PassSaved / PassUsed /");
        w.Line("// PassDiscarded / PassInference).");
        w.Line("private bool _flTraining = true;");
        w.Line("private bool _flEvalGradients; // Eval(withGradients: true): Forward runs the training kernels on running statistics");
        w.Line("private int _flSavedBatch;");
        w.Line("private int _flSavedPass;");
        w.Line("private int _flBusy; // 1 while a thread is inside Forward or Backward (see ModelCallGuard)");
        w.Line("private int _flCapacity;");
        w.Line($"private global::FusedLayers.Parameter[]? _flParameters;");
        w.Line($"private global::FusedLayers.Buffer[]? _flBuffers;");
        if (KernelNames.SavesModelInput(kernels))
        {
            w.Line("private float[] _flInput = global::System.Array.Empty<float>();");
        }

        foreach (KernelNames k in kernels)
        {
            w.Line();
            w.Line($"// Kernel {Shapes.Inv(k.Kernel.Index)} workspace ({string.Join(" -> ", k.Kernel.Layers().Select(l => l.Name))}).");
            w.Line($"private float[] {k.Y} = global::System.Array.Empty<float>();");
            if (k.HasZ)
            {
                w.Line($"private float[] {k.Z} = global::System.Array.Empty<float>();");
            }

            if (k.HasDz)
            {
                w.Line($"private float[] {k.Dz} = global::System.Array.Empty<float>();");
            }

            if (k.HasDy)
            {
                w.Line($"private float[] {k.Dy} = global::System.Array.Empty<float>();");
            }

            if (k.HasIndices)
            {
                w.Line($"private int[] {k.Indices} = global::System.Array.Empty<int>();");
            }

            if (k.HasResidual)
            {
                w.Line($"private float[] {k.Da} = global::System.Array.Empty<float>();");
            }

            if (k.HasProjection)
            {
                w.Line($"private float[] {k.ProjZ} = global::System.Array.Empty<float>();");
                if (!k.ProjectionGradientInDz)
                {
                    w.Line($"private float[] {k.ProjDz} = global::System.Array.Empty<float>();");
                }

                w.Line($"private float[] {k.SkipDx} = global::System.Array.Empty<float>();");
                foreach (string name in new[] { k.ProjMean, k.ProjVar, k.ProjInvStd, k.ProjScale, k.ProjShift, k.ProjSumDy, k.ProjSumDyXhat })
                {
                    w.Line($"private readonly float[] {name} = new float[{Shapes.Inv(k.Channels)}];");
                }
            }

            if (k.HasMask)
            {
                w.Line($"private float[] {k.Mask} = global::System.Array.Empty<float>();");
            }

            if (k.CanFreeze)
            {
                w.Line($"private bool {k.Frozen}; // {k.Kernel.Norm!.Name} ran on its running statistics in the saved pass");
            }

            if (k.HasProjection)
            {
                w.Line($"private bool {k.ProjFrozen}; // {k.Kernel.Residual!.Name}.1 ran on its running statistics in the saved pass");
            }

            foreach (string name in k.ChannelArrays)
            {
                w.Line($"private readonly float[] {name} = new float[{Shapes.Inv(k.Channels)}];");
            }

            foreach (string name in RowBuffers(k).Select(b => b.Field))
            {
                w.Line($"private float[] {name} = global::System.Array.Empty<float>();");
            }

            if (k.Folds)
            {
                LayerSpec anchor = k.Kernel.Anchor!;
                int weights = anchor.Kind == LayerKind.Conv2d
                    ? anchor.OutChannels * (anchor.InChannels / anchor.Groups) * anchor.KernelSize * anchor.KernelSize
                    : anchor.OutChannels * anchor.InChannels;
                w.Line($"private readonly float[] {k.FoldedWeight} = new float[{Shapes.Inv(weights)}];");
                w.Line($"private readonly float[] {k.FoldedBias} = new float[{Shapes.Inv(anchor.OutChannels)}];");
            }
        }

        w.Line();
    }

    private static void WriteConstructors(CodeWriter w, ModelSpec spec)
    {
        if (spec.HasUserConstructors)
        {
            return;
        }

        w.Line("/// <summary>Creates the model with PyTorch's default initialisation drawn from seed 0.</summary>");
        w.Line($"public {Identifiers.Escape(spec.ClassName)}()");
        w.OpenBrace();
        w.CloseBrace();
        w.Line();
        w.Line("/// <summary>Creates the model with PyTorch's default initialisation drawn from <paramref name=\"seed\"/>.</summary>");
        w.Line("/// <param name=\"seed\">Initialisation seed.</param>");
        w.Line($"public {Identifiers.Escape(spec.ClassName)}(int seed)");
        w.OpenBrace();
        w.Line("ResetParameters(seed);");
        w.CloseBrace();
        w.Line();
    }

    private static void WriteModeMembers(CodeWriter w, ModelSpec spec, List<KernelNames> kernels)
    {
        w.Line("/// <inheritdoc />");
        w.Line("public bool Training => _flTraining;");
        w.Line();
        w.Line("/// <inheritdoc />");
        w.Line("public void Train(bool mode = true) => _flSetMode(mode, false);");
        w.Line();
        w.Line("/// <inheritdoc />");
        w.Line("public void Eval() => _flSetMode(false, false);");
        w.Line();
        w.Line("/// <inheritdoc />");
        w.Line("public void Eval(bool withGradients) => _flSetMode(false, withGradients);");
        w.Line();
        w.Line("/// <summary>The model's mode, and every BatchNorm layer's own flag with it (as <c>module.train(mode)</c> sets its children's).</summary>");
        w.Line("private void _flSetMode(bool training, bool withGradients)");
        w.OpenBrace();
        List<LayerSpec> unsupported = kernels
            .Where(k => k.IsRenorm || k.IsTrackedInstanceNorm)
            .Select(k => k.Kernel.Norm!)
            .ToList();
        if (unsupported.Count > 0)
        {
            LayerSpec first = unsupported[0];
            string kind = LayerKinds.AttributeName(first.Kind);
            w.Line("if (!training && withGradients)");
            w.OpenBrace();
            w.Line($"throw new global::System.NotSupportedException(_flModelName + \": Eval(withGradients: true) is not supported yet with {kind} layer '{first.Name}' \" +");
            w.Line("    \"(its eval-mode backward is not implemented); use Eval() for inference or Train() for gradients. The mode is unchanged.\");");
            w.CloseBrace();
        }

        w.Line("_flTraining = training;");
        w.Line("_flEvalGradients = !training && withGradients;");
        foreach (LayerSpec layer in spec.Layers.Where(l => LayerKinds.IsBatchNorm(l.Kind)))
        {
            w.Line($"{Field(layer)}.Training = training;");
        }

        foreach (KernelNames k in kernels.Where(k => k.HasProjection))
        {
            w.Line($"{Field(k.Kernel.Residual!)}.ProjectionNorm!.Training = training;");
        }

        w.CloseBrace();
        w.Line();
    }

    private static void WriteStateMembers(CodeWriter w, ModelSpec spec)
    {
        w.Line("/// <inheritdoc />");
        w.Line($"public {ReadOnlyList}<global::FusedLayers.Parameter> Parameters => _flParameters ??= _flCollectParameters();");
        w.Line();
        w.Line("/// <inheritdoc />");
        w.Line($"public {ReadOnlyList}<global::FusedLayers.Buffer> Buffers => _flBuffers ??= _flCollectBuffers();");
        w.Line();
        w.Line("/// <inheritdoc />");
        w.Line("public void ZeroGrad()");
        w.OpenBrace();
        w.Line("foreach (global::FusedLayers.Parameter parameter in _flParameters ??= _flCollectParameters())");
        w.OpenBrace();
        w.Line("parameter.ZeroGrad();");
        w.CloseBrace();
        w.CloseBrace();
        w.Line();
        w.Line("/// <inheritdoc />");
        w.Line("public void ResetParameters(int seed)");
        w.OpenBrace();
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            LayerSpec layer = spec.Layers[i];
            if (LayerKinds.IsAnchor(layer.Kind))
            {
                w.Line($"{Field(layer)}.ResetParameters(global::FusedLayers.ModelSeeds.ForLayer(seed, {Shapes.Inv(i)}));");
            }
            else if (LayerKinds.IsBatchNorm(layer.Kind))
            {
                w.Line($"{Field(layer)}.ResetParameters();");
                w.Line($"{Field(layer)}.ResetRunningStats();");
            }
            else if (layer.Kind == LayerKind.Residual && layer.Projection)
            {
                w.Line($"{Field(layer)}.ResetParameters(global::FusedLayers.ModelSeeds.ForLayer(seed, {Shapes.Inv(i)}));");
            }
            else if (LayerKinds.IsNorm(layer.Kind))
            {
                w.Line($"{Field(layer)}.ResetParameters();");
                if (layer.TrackRunningStats)
                {
                    w.Line($"{Field(layer)}.ResetRunningStats();");
                }
            }
            else if (layer.Kind == LayerKind.Dropout)
            {
                w.Line($"{Field(layer)}.Reseed(unchecked((ulong)global::FusedLayers.ModelSeeds.ForLayer(seed, {Shapes.Inv(i)})));");
            }
        }

        w.Line("_flSavedBatch = 0;");
        w.Line("_flSavedPass = global::FusedLayers.ModelChecks.PassNone;");
        w.CloseBrace();
        w.Line();
        WriteCollector(w, spec, "Parameter", "Parameters", l => LayerKinds.IsAnchor(l.Kind) || (LayerKinds.IsNorm(l.Kind) && l.Affine) || l is { Kind: LayerKind.Residual, Projection: true });
        WriteCollector(w, spec, "Buffer", "Buffers", l => (LayerKinds.IsNorm(l.Kind) && l.TrackRunningStats) || l is { Kind: LayerKind.Residual, Projection: true });
    }

    private static void WriteCollector(CodeWriter w, ModelSpec spec, string type, string method, System.Func<LayerSpec, bool> include)
    {
        w.Line($"private global::FusedLayers.{type}[] _flCollect{method}()");
        w.OpenBrace();
        w.Line($"global::System.Collections.Generic.List<global::FusedLayers.{type}> list = new global::System.Collections.Generic.List<global::FusedLayers.{type}>();");
        foreach (LayerSpec layer in spec.Layers.Where(include))
        {
            w.Line($"list.AddRange({Field(layer)}.{method}());");
        }

        w.Line("return list.ToArray();");
        w.CloseBrace();
        w.Line();
    }

    private static void WriteEnsureCapacity(CodeWriter w, List<KernelNames> kernels)
    {
        w.Line("/// <summary>Grows the batch-sized workspace; allocates only when a larger batch than before arrives.</summary>");
        w.Line("private void _flEnsureCapacity(int batch)");
        w.OpenBrace();
        w.Line("if (batch <= _flCapacity)");
        w.OpenBrace();
        w.Line("return;");
        w.CloseBrace();
        w.Line();
        foreach ((string field, string type, int perSample) in WorkspaceBuffers(kernels))
        {
            w.Line($"{field} = new {type}[checked(batch * {Shapes.Inv(perSample)})];");
        }

        w.Line("_flCapacity = batch;");
        w.CloseBrace();
    }

    /// <summary>
    /// Every batch-sized workspace array (field, element type, elements per sample): what training keeps for backward
    /// and the gradient scratch. One list for <c>_flEnsureCapacity</c> and the model summary.
    /// </summary>
    private static IEnumerable<(string Field, string Type, int PerSample)> WorkspaceBuffers(List<KernelNames> kernels)
    {
        if (KernelNames.SavesModelInput(kernels))
        {
            yield return ("_flInput", "float", kernels[0].InputLength);
        }

        foreach (KernelNames k in kernels)
        {
            yield return (k.Y, "float", k.OutputLength);
            if (k.HasZ)
            {
                yield return (k.Z, "float", k.NormLength);
            }

            if (k.HasDz)
            {
                yield return (k.Dz, "float", k.NormLength);
            }

            if (k.HasDy)
            {
                yield return (k.Dy, "float", k.OutputLength);
            }

            if (k.HasIndices)
            {
                yield return (k.Indices, "int", k.OutputLength);
            }

            if (k.HasResidual)
            {
                yield return (k.Da, "float", k.NormLength);
            }

            if (k.HasProjection)
            {
                yield return (k.ProjZ, "float", k.NormLength);
                if (!k.ProjectionGradientInDz)
                {
                    yield return (k.ProjDz, "float", k.NormLength);
                }

                yield return (k.SkipDx, "float", k.SkipLength);
            }

            if (k.HasMask)
            {
                yield return (k.Mask, "float", k.OutputLength);
            }

            foreach ((string field, int perSample) in RowBuffers(k))
            {
                yield return (field, "float", perSample);
            }
        }
    }
}
