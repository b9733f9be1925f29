using System;

namespace FusedLayers.Kernels.Activations;

/// <summary>
/// The one place that maps an <see cref="ActivationKind"/> to its operator struct: a switch per call (not per
/// element) that runs the caller's generic loop specialised on the operator.
/// </summary>
internal static class ActivationDispatch
{
    /// <summary>Runs <paramref name="loop"/> with the operator of <paramref name="kind"/>.</summary>
    /// <typeparam name="TLoop">The loop (a ref struct holding its operands).</typeparam>
    /// <param name="kind">The activation.</param>
    /// <param name="loop">The loop to run.</param>
    public static void Run<TLoop>(ActivationKind kind, ref TLoop loop)
        where TLoop : struct, IActivationLoop, allows ref struct
    {
        switch (kind)
        {
            case ActivationKind.Identity:
                loop.Run<IdentityOperator>();
                break;
            case ActivationKind.ReLU:
                loop.Run<ReLUOperator>();
                break;
            case ActivationKind.LeakyReLU:
                loop.Run<LeakyReLUOperator>();
                break;
            case ActivationKind.ReLU6:
                loop.Run<ReLU6Operator>();
                break;
            case ActivationKind.SiLU:
                loop.Run<SiLUOperator>();
                break;
            case ActivationKind.Gelu:
                loop.Run<GeluOperator>();
                break;
            case ActivationKind.GeluTanh:
                loop.Run<GeluTanhOperator>();
                break;
            case ActivationKind.Sigmoid:
                loop.Run<SigmoidOperator>();
                break;
            case ActivationKind.Tanh:
                loop.Run<TanhOperator>();
                break;
            case ActivationKind.Hardswish:
                loop.Run<HardswishOperator>();
                break;
            case ActivationKind.Mish:
                loop.Run<MishOperator>();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }
}
