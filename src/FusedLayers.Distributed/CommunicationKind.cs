namespace FusedLayers.Distributed;

/// <summary>What a collective was for, to split <see cref="CommunicationStats"/>.</summary>
public enum CommunicationKind
{
    /// <summary>Gradient averaging after Backward.</summary>
    Gradients,

    /// <summary>Synchronised BatchNorm: statistics in forward, sums in backward, the running-variance count.</summary>
    BatchNorm,

    /// <summary>Set-up and the rest: parameter and buffer broadcast, schema check, barriers, checkpoints, metrics.</summary>
    Setup,
}
