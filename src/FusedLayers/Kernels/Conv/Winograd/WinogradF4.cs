namespace FusedLayers.Kernels.Conv.Winograd;

/// <summary>
/// F(4x4, 3x3) (Lavin and Gray, 2016; points 0, 1, -1, 2, -2, infinity):
/// <c>B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]</c>,
/// <c>G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]</c>,
/// <c>A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]</c>. 36 multiplications per 16 outputs
/// instead of 144; the larger transform coefficients cost about an order of magnitude of float32 accuracy.
/// </summary>
internal readonly unsafe struct WinogradF4 : IWinogradTile
{
    /// <inheritdoc />
    public static int OutputTile => 4;

    /// <inheritdoc />
    public static int InputTile => 6;

    /// <inheritdoc />
    public static void Input<TOps, TVector>(float* d, nint stride, float* v, nint outStride)
        where TOps : struct, IConvVectors<TVector>
        where TVector : unmanaged
    {
        TVector d0 = TOps.Load(d), d1 = TOps.Load(d + stride), d2 = TOps.Load(d + (2 * stride));
        TVector d3 = TOps.Load(d + (3 * stride)), d4 = TOps.Load(d + (4 * stride)), d5 = TOps.Load(d + (5 * stride));
        TVector four = TOps.Broadcast(4f), minusFour = TOps.Broadcast(-4f), minusFive = TOps.Broadcast(-5f), two = TOps.Broadcast(2f);

        // v1, v2 = (d4 - 4 d2) +- (d3 - 4 d1); v3, v4 = (d4 - d2) +- 2 (d3 - d1).
        TVector a = TOps.MultiplyAdd(minusFour, d2, d4);
        TVector b = TOps.MultiplyAdd(minusFour, d1, d3);
        TVector c = TOps.Subtract(d4, d2);
        TVector e = TOps.Subtract(d3, d1);
        TOps.Store(TOps.MultiplyAdd(four, d0, TOps.MultiplyAdd(minusFive, d2, d4)), v);
        TOps.Store(TOps.Add(a, b), v + outStride);
        TOps.Store(TOps.Subtract(a, b), v + (2 * outStride));
        TOps.Store(TOps.MultiplyAdd(two, e, c), v + (3 * outStride));
        TOps.Store(TOps.MultiplyAdd(TOps.Broadcast(-2f), e, c), v + (4 * outStride));
        TOps.Store(TOps.MultiplyAdd(four, d1, TOps.MultiplyAdd(minusFive, d3, d5)), v + (5 * outStride));
    }

    /// <inheritdoc />
    public static void Output<TOps, TVector>(float* t, nint stride, float* y, nint outStride)
        where TOps : struct, IConvVectors<TVector>
        where TVector : unmanaged
    {
        TVector t0 = TOps.Load(t), t1 = TOps.Load(t + stride), t2 = TOps.Load(t + (2 * stride));
        TVector t3 = TOps.Load(t + (3 * stride)), t4 = TOps.Load(t + (4 * stride)), t5 = TOps.Load(t + (5 * stride));

        // a, b = t1 +- t2; c, e = t3 +- t4.
        TVector a = TOps.Add(t1, t2), b = TOps.Subtract(t1, t2), c = TOps.Add(t3, t4), e = TOps.Subtract(t3, t4);
        TOps.Store(TOps.Add(TOps.Add(t0, a), c), y);
        TOps.Store(TOps.MultiplyAdd(TOps.Broadcast(2f), e, b), y + outStride);
        TOps.Store(TOps.MultiplyAdd(TOps.Broadcast(4f), c, a), y + (2 * outStride));
        TOps.Store(TOps.Add(TOps.MultiplyAdd(TOps.Broadcast(8f), e, b), t5), y + (3 * outStride));
    }

    /// <inheritdoc />
    public static void Filter(double g0, double g1, double g2, double* u)
    {
        u[0] = g0 / 4;
        u[1] = -(g0 + g1 + g2) / 6;
        u[2] = -(g0 - g1 + g2) / 6;
        u[3] = (g0 / 24) + (g1 / 12) + (g2 / 6);
        u[4] = (g0 / 24) - (g1 / 12) + (g2 / 6);
        u[5] = g2;
    }
}
