using System;
using System.Buffers;

namespace FusedLayers.Kernels;

/// <summary>
/// Rents the float64 scratch that <see cref="ChannelMoments"/> needs from the shared array pools, so a
/// steady-state training step allocates nothing.
/// </summary>
internal readonly struct MomentsScratch : IDisposable
{
    private readonly double[] doubles;
    private readonly long[] longs;
    private readonly int channels;

    public MomentsScratch(int channels)
    {
        this.channels = channels;
        doubles = ArrayPool<double>.Shared.Rent(2 * channels);
        longs = ArrayPool<long>.Shared.Rent(channels);
    }

    public ChannelMoments Create() =>
        new(doubles.AsSpan(0, channels), doubles.AsSpan(channels, channels), longs.AsSpan(0, channels));

    public void Dispose()
    {
        ArrayPool<double>.Shared.Return(doubles);
        ArrayPool<long>.Shared.Return(longs);
    }
}
