using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FusedLayers.Execution;

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

    /// <summary>
    /// Lane <c>j</c> = <c>source[j * factor + phase]</c> (a stride-<paramref name="factor"/> load, <c>factor</c> 2 or 4,
    /// <c>phase &lt; factor</c>): reads <c>factor * Width</c> floats from <paramref name="source"/>, permutes, blends.
    /// </summary>
    static abstract TVector LoadStrided(float* source, int factor, int phase);

    /// <summary>
    /// <c>destination[k * factor + j] = lane k of the vector at source + j * stride</c> for <c>j &lt; factor</c> (2 or 4):
    /// the inverse of <see cref="LoadStrided"/>, writing <c>factor * Width</c> floats.
    /// </summary>
    static abstract void StoreInterleaved(float* source, nint stride, int factor, float* destination);
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

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadStrided(float* source, int factor, int phase)
    {
        // Source vector q holds lanes [q * 8 / factor, (q + 1) * 8 / factor) of the result, at lanes (j * factor + phase) mod 8.
        Vector256<int> lanes = Vector256<int>.Indices;
        if (factor == 2)
        {
            Vector256<int> index2 = ((lanes << 1) + Vector256.Create(phase)) & Vector256.Create(7);
            Vector256<float> upper2 = Vector256.GreaterThanOrEqual(lanes, Vector256.Create(4)).AsSingle();
            return Vector256.ConditionalSelect(
                upper2, Vector256.Shuffle(Vector256.Load(source + 8), index2), Vector256.Shuffle(Vector256.Load(source), index2));
        }

        Vector256<int> index = ((lanes << 2) + Vector256.Create(phase)) & Vector256.Create(7);
        Vector256<int> owner = lanes >>> 1;
        Vector256<float> low = Vector256.ConditionalSelect(
            Vector256.Equals(owner, Vector256<int>.One).AsSingle(), Vector256.Shuffle(Vector256.Load(source + 8), index), Vector256.Shuffle(Vector256.Load(source), index));
        Vector256<float> high = Vector256.ConditionalSelect(
            Vector256.Equals(owner, Vector256.Create(3)).AsSingle(), Vector256.Shuffle(Vector256.Load(source + 24), index), Vector256.Shuffle(Vector256.Load(source + 16), index));
        return Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(owner, Vector256.Create(2)).AsSingle(), high, low);
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreInterleaved(float* source, nint stride, int factor, float* destination)
    {
        // Output vector q, lane l is element (q * 8 + l) / factor of input vector l mod factor.
        Vector256<int> lanes = Vector256<int>.Indices;
        Vector256<int> which = lanes & Vector256.Create(factor - 1);
        int shift = factor == 4 ? 2 : 1;
        for (int q = 0; q < factor; q++)
        {
            Vector256<int> index = (lanes + Vector256.Create(q * 8)) >>> shift;
            Vector256<float> result = Vector256.Shuffle(Vector256.Load(source), index);
            for (int j = 1; j < factor; j++)
            {
                Vector256<float> part = Vector256.Shuffle(Vector256.Load(source + (j * stride)), index);
                result = Vector256.ConditionalSelect(Vector256.Equals(which, Vector256.Create(j)).AsSingle(), part, result);
            }

            result.Store(destination + (q * 8));
        }
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

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadStrided(float* source, int factor, int phase)
    {
        // Source vector q holds lanes [q * 16 / factor, (q + 1) * 16 / factor) of the result, at lanes (j * factor + phase) mod 16.
        Vector512<int> lanes = Vector512<int>.Indices;
        if (factor == 2)
        {
            Vector512<int> index2 = ((lanes << 1) + Vector512.Create(phase)) & Vector512.Create(15);
            Vector512<float> upper2 = Vector512.GreaterThanOrEqual(lanes, Vector512.Create(8)).AsSingle();
            return Vector512.ConditionalSelect(
                upper2, Vector512.Shuffle(Vector512.Load(source + 16), index2), Vector512.Shuffle(Vector512.Load(source), index2));
        }

        Vector512<int> index = ((lanes << 2) + Vector512.Create(phase)) & Vector512.Create(15);
        Vector512<int> owner = lanes >>> 2;
        Vector512<float> low = Vector512.ConditionalSelect(
            Vector512.Equals(owner, Vector512<int>.One).AsSingle(), Vector512.Shuffle(Vector512.Load(source + 16), index), Vector512.Shuffle(Vector512.Load(source), index));
        Vector512<float> high = Vector512.ConditionalSelect(
            Vector512.Equals(owner, Vector512.Create(3)).AsSingle(), Vector512.Shuffle(Vector512.Load(source + 48), index), Vector512.Shuffle(Vector512.Load(source + 32), index));
        return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(owner, Vector512.Create(2)).AsSingle(), high, low);
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreInterleaved(float* source, nint stride, int factor, float* destination)
    {
        // Output vector q, lane l is element (q * 16 + l) / factor of input vector l mod factor.
        Vector512<int> lanes = Vector512<int>.Indices;
        Vector512<int> which = lanes & Vector512.Create(factor - 1);
        int shift = factor == 4 ? 2 : 1;
        for (int q = 0; q < factor; q++)
        {
            Vector512<int> index = (lanes + Vector512.Create(q * 16)) >>> shift;
            Vector512<float> result = Vector512.Shuffle(Vector512.Load(source), index);
            for (int j = 1; j < factor; j++)
            {
                Vector512<float> part = Vector512.Shuffle(Vector512.Load(source + (j * stride)), index);
                result = Vector512.ConditionalSelect(Vector512.Equals(which, Vector512.Create(j)).AsSingle(), part, result);
            }

            result.Store(destination + (q * 16));
        }
    }
}
