using System;

namespace FusedLayers.Distributed;

/// <summary>Options of <see cref="ProcessGroup.Start"/>.</summary>
public sealed class ProcessGroupOptions
{
    private TimeSpan? collectiveTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Longest one collective may wait before this rank gives up and ends the job (a peer has exited or stalled);
    /// default 5 minutes, null for no watchdog. Set it above the longest gap between two collectives that a slow
    /// rank can cause (an evaluation on rank 0 only, a checkpoint write).
    /// </summary>
    public TimeSpan? CollectiveTimeout
    {
        get => collectiveTimeout;
        set
        {
            if (value is { } v && v <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(value), v, "The collective timeout must be positive (or null for none).");
            }

            collectiveTimeout = value;
        }
    }
}
