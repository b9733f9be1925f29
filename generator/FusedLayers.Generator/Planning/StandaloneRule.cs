using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using B = FusedLayers.Generator.Planning.Buffers;

namespace FusedLayers.Generator.Planning;

/// <summary>
/// The rule for pooling and dropout kernels, which change (or mask) the layout an epilogue would see and so run
/// alone: max pooling keeps its arg-max in training only (no backward follows inference), dropout its mask.
/// </summary>
internal static class StandaloneRule
{
    public static void Forward(RuleContext c, PassBuilder passes, bool train)
    {
        LayerSpec op = c.Kernel.Op!;
        switch (op.Kind)
        {
            case LayerKind.MaxPool2d:
                if (train)
                {
                    c.Describe(B.Indices, $"the arg-max (int) of each output {Shapes.Format(c.Kernel.OutputShape)}");
                }

                passes.Pass("PoolKernels.MaxForward", new[] { B.X }, train ? new[] { B.Y, B.Indices } : new[] { B.Y },
                    "window maximum, vectorised over output columns" + (train ? "; the arg-max of each output is kept" : "; values only"));
                break;
            case LayerKind.AvgPool2d:
                passes.Pass("PoolKernels.AvgForward", new[] { B.X }, new[] { B.Y }, "window mean, vectorised over output columns");
                break;
            case LayerKind.AdaptiveAvgPool2d:
                passes.Pass("PoolKernels.GlobalAvgForward", new[] { B.X }, new[] { B.Y }, "mean of each channel plane");
                break;
            default:
                if (train)
                {
                    c.Describe(B.Mask, $"the dropout multipliers (0 or 1 / (1 - p)) {Shapes.Format(c.Kernel.OutputShape)}");
                    passes.Pass("DropoutKernels.Forward", new[] { B.X }, new[] { B.Y, B.Mask },
                        "mask from a counter-based generator keyed by (Seed, Step, element), y = x * mask / (1 - p)",
                        RuleContext.InTrainingMode);
                }
                else
                {
                    passes.Pass("copy", new[] { B.X }, new[] { B.Y }, "dropout is the identity in inference");
                }

                break;
        }
    }

    public static void Backward(RuleContext c, PassBuilder passes)
    {
        LayerSpec op = c.Kernel.Op!;
        string? condition = c.InputGradientCondition;
        switch (op.Kind)
        {
            case LayerKind.MaxPool2d:
                passes.Pass("PoolKernels.MaxBackward", new[] { B.Dy, B.Indices }, new[] { B.Dx }, "route each gradient to its arg-max (a scatter; overlapping windows add)", condition);
                break;
            case LayerKind.AvgPool2d:
                passes.Pass("PoolKernels.AvgBackward", new[] { B.Dy }, new[] { B.Dx }, "spread each gradient evenly over its window", condition);
                break;
            case LayerKind.AdaptiveAvgPool2d:
                passes.Pass("PoolKernels.GlobalAvgBackward", new[] { B.Dy }, new[] { B.Dx }, "each plane receives its gradient / (H * W)", condition);
                break;
            default:
                passes.Pass("DropoutKernels.Backward", new[] { B.Dy, B.Mask }, new[] { B.Dx }, "dx = dy * the same mask", condition);
                break;
        }
    }
}
