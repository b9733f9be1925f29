namespace FusedLayers.Kernels.Conv.Winograd;

/// <summary>
/// F(2x2, 3x3) (Lavin and Gray, 2016; interpolation points 0, 1, -1, infinity):
/// <c>B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]</c>, <c>G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]</c>,
/// <c>A^T = [1 1 1 0; 0 1 -1 -1]</c>. 16 multiplications per 4 outputs instead of 36; the transforms only add,
/// so the float32 error stays close to the direct convolution's.
/// </summary>
internal readonly unsafe struct WinogradF2 : IWinogradTile
{
    /// <inheritdoc />
    public static int OutputTile => 2;

    /// <inheritdoc />
    public static int InputTile => 4;

    /// <inheritdoc />
    public static void Input<TOps, TVector>(float* d, nint stride, float* v, nint outStride)
        where TOps : struct, IConvVectors<TVector>
        where TVector : unmanaged
    {
        TVector d0 = TOps.Load(d), d1 = TOps.Load(d + stride), d2 = TOps.Load(d + (2 * stride)), d3 = TOps.Load(d + (3 * stride));
        TOps.Store(TOps.Subtract(d0, d2), v);
        TOps.Store(TOps.Add(d1, d2), v + outStride);
        TOps.Store(TOps.Subtract(d2, d1), v + (2 * outStride));
        TOps.Store(TOps.Subtract(d1, d3), v + (3 * outStride));
    }

    /// <inheritdoc />
    public static void Output<TOps, TVector>(float* t, nint stride, float* y, nint outStride)
        where TOps : struct, IConvVectors<TVector>
        where TVector : unmanaged
    {
        TVector t0 = TOps.Load(t), t1 = TOps.Load(t + stride), t2 = TOps.Load(t + (2 * stride)), t3 = TOps.Load(t + (3 * stride));
        TOps.Store(TOps.Add(TOps.Add(t0, t1), t2), y);
        TOps.Store(TOps.Subtract(TOps.Subtract(t1, t2), t3), y + outStride);
    }

    /// <inheritdoc />
    public static void Filter(double g0, double g1, double g2, double* u)
    {
        u[0] = g0;
        u[1] = 0.5 * (g0 + g1 + g2);
        u[2] = 0.5 * (g0 - g1 + g2);
        u[3] = g2;
    }
}
