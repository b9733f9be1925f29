using System;
using System.Collections.Generic;
using System.Linq;

namespace FusedLayers;

/// <summary>
/// A <see cref="ResidualAttribute"/> layer: the skip connection, and its projection's state when it has one
/// (a 1x1 <see cref="Conv2dLayer"/> named <c>{Name}.0</c> without bias, and a <see cref="BatchNorm2dLayer"/>
/// named <c>{Name}.1</c>).
/// </summary>
public sealed class ResidualLayer
{
    /// <summary>Creates an identity skip connection.</summary>
    /// <param name="name">Layer name.</param>
    /// <param name="from">Name of the layer whose output is added.</param>
    public ResidualLayer(string name, string from)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        From = from ?? throw new ArgumentNullException(nameof(from));
    }

    /// <summary>Creates a skip connection with a 1x1 Conv2d + BatchNorm2d projection.</summary>
    /// <param name="name">Layer name.</param>
    /// <param name="from">Name of the layer whose output is added.</param>
    /// <param name="inChannels">Channels of the source.</param>
    /// <param name="outChannels">Channels at the add.</param>
    /// <param name="stride">Stride of the 1x1 convolution.</param>
    /// <param name="seed">Initialisation seed of the convolution.</param>
    public ResidualLayer(string name, string from, int inChannels, int outChannels, int stride, int seed)
        : this(name, from)
    {
        Projection = new Conv2dLayer(name + ".0", inChannels, outChannels, 1, stride, 0, bias: false, seed);
        ProjectionNorm = new BatchNorm2dLayer(name + ".1", outChannels, 1e-5, 0.1, affine: true, trackRunningStats: true);
    }

    /// <summary>Layer name.</summary>
    public string Name { get; }

    /// <summary>Name of the layer whose output is added.</summary>
    public string From { get; }

    /// <summary>The projection's 1x1 convolution, or null for an identity skip.</summary>
    public Conv2dLayer? Projection { get; }

    /// <summary>The projection's BatchNorm2d, or null for an identity skip.</summary>
    public BatchNorm2dLayer? ProjectionNorm { get; }

    /// <summary>The projection's parameters in state-dict order (none for an identity skip).</summary>
    public IEnumerable<Parameter> Parameters() =>
        Projection is null ? [] : Projection.Parameters().Concat(ProjectionNorm!.Parameters());

    /// <summary>The projection BatchNorm's buffers (none for an identity skip).</summary>
    public IEnumerable<Buffer> Buffers() => ProjectionNorm is null ? [] : ProjectionNorm.Buffers();

    /// <summary>PyTorch's default initialisation of the projection (no-op for an identity skip).</summary>
    /// <param name="seed">Seed of the convolution's initialisation.</param>
    public void ResetParameters(int seed)
    {
        Projection?.ResetParameters(seed);
        ProjectionNorm?.ResetParameters();
        ProjectionNorm?.ResetRunningStats();
    }
}
