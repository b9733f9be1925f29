using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedLayers.Kernels.Conv;

/// <summary>
/// The few vector operations the direct (depthwise) convolution kernels need, so that one generic kernel
/// serves both vector paths: <see cref="ConvVectors256"/> (Vector256 + FMA) and <see cref="ConvVectors512"/>
/// (Vector512, which runs in software where AVX-512 is missing). The JIT specialises the kernels per
/// implementation and inlines these static calls.
/// </summary>
/// <typeparam name="TVector">The vector type.</typeparam>
internal unsafe interface IConvVectors<TVector>
    where TVector : unmanaged
{
    /// <summary>Floats per vector.</summary>
    static abstract int Width { get; }

    /// <summary>All lanes zero.</summary>
    static abstract TVector Zero { get; }

    /// <summary>All lanes <paramref name="value"/>.</summary>
    static abstract TVector Broadcast(float value);

    /// <summary>Unaligned load of <see cref="Width"/> floats.</summary>
    static abstract TVector Load(float* source);

    /// <summary>Unaligned store of <see cref="Width"/> floats.</summary>
    static abstract void Store(TVector value, float* destination);

    /// <summary><c>a * b + c</c>, fused (one rounding).</summary>
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector c);

    /// <summary><c>a + b</c>.</summary>
    static abstract TVector Add(TVector a, TVector b);

    /// <summary><c>a - b</c>.</summary>
    static abstract TVector Subtract(TVector a, TVector b);

    /// <summary>Lane-wise <c>max(a, 0)</c>.</summary>
    static abstract TVector Relu(TVector a);

    /// <summary>The lanes summed in float64, lane 0 first (a fixed order).</summary>
    static abstract double SumLanes(TVector value);
}

/// <summary>The 256-bit implementation (used where <see cref="KernelContext"/> says AVX2 and FMA are available).</summary>
internal readonly unsafe struct ConvVectors256 : IConvVectors<Vector256<float>>
{
    /// <inheritdoc />
    public static int Width => 8;

    /// <inheritdoc />
    public static Vector256<float> Zero => Vector256<float>.Zero;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* source) => Vector256.Load(source);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, float* destination) => value.Store(destination);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Relu(Vector256<float> a) => Vector256.Max(a, Vector256<float>.Zero);

    /// <inheritdoc />
    public static double SumLanes(Vector256<float> value)
    {
        double sum = 0;
        for (int i = 0; i < 8; i++)
        {
            sum += value.GetElement(i);
        }

        return sum;
    }
}

/// <summary>The 512-bit implementation, written with the cross-platform API only (it also runs in software).</summary>
internal readonly unsafe struct ConvVectors512 : IConvVectors<Vector512<float>>
{
    /// <inheritdoc />
    public static int Width => 16;

    /// <inheritdoc />
    public static Vector512<float> Zero => Vector512<float>.Zero;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* source) => Vector512.Load(source);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, float* destination) => value.Store(destination);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Relu(Vector512<float> a) => Vector512.Max(a, Vector512<float>.Zero);

    /// <inheritdoc />
    public static double SumLanes(Vector512<float> value)
    {
        double sum = 0;
        for (int i = 0; i < 16; i++)
        {
            sum += value.GetElement(i);
        }

        return sum;
    }
}
