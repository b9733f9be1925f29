namespace FusedLayers;

/// <summary>The instruction-set paths of the kernels, from the most portable to the widest.</summary>
public enum KernelIsa
{
    /// <summary>Plain scalar loops; runs everywhere.</summary>
    Scalar = 0,

    /// <summary>256-bit vectors with FMA (AVX2 + FMA3).</summary>
    Avx2 = 1,

    /// <summary>512-bit vectors (AVX-512F).</summary>
    Avx512 = 2,
}
