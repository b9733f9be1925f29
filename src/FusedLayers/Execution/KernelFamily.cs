using FusedLayers.Kernels;

namespace FusedLayers.Execution;

/// <summary>
/// The kernel families whose entry points resolve their instruction-set path through
/// <see cref="KernelContext.PathFor"/> or <see cref="KernelContext.NativePathFor"/>; the unit an
/// <see cref="IsaTrace"/> counts in.
/// </summary>
internal enum KernelFamily
{
    /// <summary><see cref="Conv2dKernels"/>: implicit GEMM, im2col, depthwise and Winograd.</summary>
    Conv2d,

    /// <summary><see cref="LinearKernels"/>.</summary>
    Linear,

    /// <summary><see cref="BatchNormKernels"/> (statistics, apply, folding, backward; BatchRenorm runs through it).</summary>
    BatchNorm,

    /// <summary><see cref="ActivationKernels"/>.</summary>
    Activation,

    /// <summary><see cref="ResidualKernels"/>.</summary>
    Residual,

    /// <summary><see cref="PoolKernels"/> (max, average, global average, and the fused BN-apply prologue).</summary>
    Pool,

    /// <summary><see cref="RowNormKernels"/> (LayerNorm, GroupNorm and InstanceNorm rows).</summary>
    RowNorm,

    /// <summary><see cref="DropoutKernels"/>.</summary>
    Dropout,
}
