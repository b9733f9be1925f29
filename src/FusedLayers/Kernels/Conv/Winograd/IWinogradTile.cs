namespace FusedLayers.Kernels.Conv.Winograd;

/// <summary>
/// One Winograd minimal-filtering variant F(m x m, 3 x 3): an output tile of <c>m x m</c> from an input tile of
/// <c>alpha x alpha</c> (<c>alpha = m + 2</c>), <c>Y = A^T [(G g G^T) . (B^T d B)] A</c>. Each 2-D transform is
/// its 1-D transform applied to the columns, then to the rows; the 1-D transforms here act on one vector of
/// tiles at a time (lane <c>i</c> belongs to tile <c>i</c>), so they are written once for every vector width.
/// </summary>
internal unsafe interface IWinogradTile
{
    /// <summary>Output tile side <c>m</c>.</summary>
    static abstract int OutputTile { get; }

    /// <summary>Input tile side <c>alpha = m + 2</c>.</summary>
    static abstract int InputTile { get; }

    /// <summary>
    /// <c>v = B^T d</c> for <c>alpha</c> vectors <c>d[i * stride]</c>, written to <c>v[i * outStride]</c>
    /// (<paramref name="d"/> and <paramref name="v"/> must not overlap).
    /// </summary>
    static abstract void Input<TOps, TVector>(float* d, nint stride, float* v, nint outStride)
        where TOps : struct, IConvVectors<TVector>
        where TVector : unmanaged;

    /// <summary><c>y = A^T t</c> for <c>alpha</c> vectors <c>t[i * stride]</c>, writing <c>m</c> vectors <c>y[i * outStride]</c>.</summary>
    static abstract void Output<TOps, TVector>(float* t, nint stride, float* y, nint outStride)
        where TOps : struct, IConvVectors<TVector>
        where TVector : unmanaged;

    /// <summary><c>u = G g</c> for the three filter taps <c>g</c>, in float64 (<paramref name="u"/> has <c>alpha</c> values).</summary>
    static abstract void Filter(double g0, double g1, double g2, double* u);
}
