using System.Collections.Generic;
using System.Runtime.CompilerServices;

namespace FusedLayers.Kernels;

/// <summary>
/// Synchronised BatchNorm's global counts per collective: the statistics gather of a forward learns <c>M</c> for a
/// local count <c>m_r</c>, and that forward's running-statistics update (after every statistics pass) reads it back
/// instead of running one more collective. Within one forward the local batch is fixed, so a local count
/// <c>N * S</c> fixes <c>S</c> and with it <c>M = S * sum N_r</c>: the map is a function. Every replica gathers and
/// recalls the same layers in the same order, so they all take the same path.
/// </summary>
internal static class GlobalCounts
{
    private static readonly ConditionalWeakTable<IBatchStatisticsCollective, Dictionary<long, long>> Counts = [];

    public static void Remember(IBatchStatisticsCollective collective, long local, long global)
    {
        Dictionary<long, long> map = Counts.GetOrCreateValue(collective);
        lock (map)
        {
            map[local] = global;
        }
    }

    public static bool TryRecall(IBatchStatisticsCollective collective, long local, out long global)
    {
        global = local;
        if (!Counts.TryGetValue(collective, out Dictionary<long, long>? map))
        {
            return false;
        }

        lock (map)
        {
            if (map.TryGetValue(local, out long found))
            {
                global = found;
                return true;
            }
        }

        return false;
    }
}
