using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using B = FusedLayers.Generator.Planning.Buffers;

namespace FusedLayers.Generator.Planning;

/// <summary>
/// The rule for LayerNorm, GroupNorm and InstanceNorm kernels (per-sample rows): the anchor into <c>z</c>, then one
/// pass that normalises each row with its own statistics and applies the activation while the row is in cache. Nothing
/// folds (the statistics are the sample's), except a tracked InstanceNorm in inference, which
/// <see cref="EpilogueRule"/> schedules as a per-channel scale and shift. An identity skip connection after the
/// normalisation is added to each row in the same pass, before the activation; its gradient is the activation's (or,
/// without one, the kernel's <c>dy</c>), handed to the skip source.
/// </summary>
internal static class RowNormRule
{
    public static void Forward(RuleContext c, PassBuilder passes, bool train)
    {
        LayerSpec norm = c.Norm!;
        string input = B.X;
        if (c.Anchor is not null)
        {
            passes.Pass(c.AnchorKernels + ".Forward", new[] { B.X, B.Weights }, new[] { B.Z }, $"{c.Anchor.Name}; its output is {norm.Name}'s input");
            input = B.Z;
        }

        bool keepPre = train && c.Kernel.HasSmoothActivation;
        if (keepPre)
        {
            c.Describe(B.Pre, $"{norm.Name}'s output {Shapes.Format(c.Kernel.NormShape)}, the pre-activation {c.ActivationName}'s backward needs");
        }

        c.Describe(B.RowStats, "per-row mean and 1/sqrt(var + eps)");
        string rows = norm.Kind switch
        {
            LayerKind.LayerNorm => $"one row per sample and leading position over the trailing {Shapes.Format(norm.NormalizedShape)}",
            LayerKind.GroupNorm => $"one row per (sample, group): {Shapes.Inv(norm.NumGroups)} groups of {Shapes.Inv(norm.NumFeatures / norm.NumGroups)} channels",
            _ => "one row per (sample, channel) plane",
        };
        string[] writes = (keepPre, train && c.IsTrackedInstanceNorm) switch
        {
            (true, true) => new[] { B.Pre, B.Y, B.RowStats, B.RowVar },
            (true, false) => new[] { B.Pre, B.Y, B.RowStats },
            (false, true) => new[] { B.Y, B.RowStats, B.RowVar },
            _ => new[] { B.Y, B.RowStats },
        };
        LayerSpec? residual = c.Kernel.Residual;
        if (residual is not null)
        {
            string from = c.Kernel.SkipFromInput ? "the model input" : $"'{residual.From}'";
            c.Describe(B.Skip, $"the skip source {from} {Shapes.Format(c.Kernel.SkipShape)}");
        }

        passes.Pass("RowNormKernels.Forward", residual is null ? new[] { input, B.Weights } : new[] { input, B.Weights, B.Skip }, writes,
            $"{norm.Name}, {rows}, each row normalised with its own mean and 1/sqrt(var + eps)" +
            (residual is null ? "" : $", then {(c.Kernel.SkipFromInput ? "the model input" : $"'{residual.From}'")} added ({residual.Name})") +
            (c.Activation is null ? "" : $", then {c.ActivationName}") + (residual is null && c.Activation is null ? "" : " on the row while it is in cache") +
            (keepPre ? $" (the {(residual is null ? "normalised rows" : "pre-activation rows")} are kept)" : ""));
    }

    public static void Backward(RuleContext c, PassBuilder passes)
    {
        LayerSpec norm = c.Norm!;
        string gradient = B.Dy;
        if (c.Activation is not null)
        {
            // With a skip connection the activation's gradient is the add's, which the skip source also receives.
            gradient = c.Kernel.Residual is null ? B.Dpre : B.Da;
            if (c.Kernel.Residual is not null)
            {
                c.Describe(B.Da, "the add's gradient, shared by the row normalisation and the skip source");
            }

            if (c.Kernel.HasSmoothActivation)
            {
                passes.Pass("ActivationKernels.Backward", new[] { B.Dy, B.Pre }, new[] { gradient }, $"{c.Activation.Name}: dy * {c.ActivationName}'(the kept pre-activation)");
            }
            else
            {
                c.Describe(B.Y, $"kernel output {Shapes.Format(c.Kernel.OutputShape)} (its sign is the ReLU mask)");
                passes.Pass("ActivationKernels.ReluBackward", new[] { B.Dy, B.Y }, new[] { gradient }, $"{c.Activation.Name}: the mask of the kernel output");
            }
        }

        string input = c.Anchor is not null ? B.Z : B.X;
        string target = c.Anchor is not null ? B.Dz : B.Dx;
        passes.Pass("RowNormKernels.Backward", new[] { gradient, input, B.RowStats, B.Weights }, new[] { target, B.Gradients },
            $"{norm.Name}: {(norm.Affine ? "weight/bias gradients and " : "")}the input gradient invStd * (g - mean(g) - xhat * mean(g * xhat)), g = gamma * dy, per row");
        if (c.Anchor is not null)
        {
            BatchNormSteps.AnchorBackward(c, passes, B.Dz);
        }
    }
}
