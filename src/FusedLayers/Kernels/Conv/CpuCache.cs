using System;
using System.Globalization;
using System.IO;

namespace FusedLayers.Kernels.Conv;

/// <summary>The per-core L2 size the convolution's band sizing uses, read once from Linux's sysfs.</summary>
internal static class CpuCache
{
    /// <summary>What is assumed where the size cannot be read: Zen 3's 512 KiB, the smallest L2 the kernels were tuned on.</summary>
    private const int FallbackL2Bytes = 512 * 1024;

    /// <summary>Bytes of level-2 cache of CPU 0 (<c>/sys/devices/system/cpu/cpu0/cache/index*/</c>), or 512 KiB if unknown.</summary>
    public static int L2Bytes { get; } = ReadL2();

    private static int ReadL2()
    {
        try
        {
            const string Root = "/sys/devices/system/cpu/cpu0/cache";
            if (!Directory.Exists(Root))
            {
                return FallbackL2Bytes;
            }

            foreach (string index in Directory.GetDirectories(Root, "index*"))
            {
                string level = Path.Combine(index, "level"), size = Path.Combine(index, "size");
                if (File.Exists(level) && File.Exists(size) && File.ReadAllText(level).Trim() == "2")
                {
                    return Parse(File.ReadAllText(size).Trim()) ?? FallbackL2Bytes;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return FallbackL2Bytes;
    }

    /// <summary>sysfs sizes look like <c>1024K</c> or <c>2M</c>.</summary>
    private static int? Parse(string text)
    {
        long multiplier = text.EndsWith('K') ? 1024 : text.EndsWith('M') ? 1024 * 1024 : 1;
        string digits = multiplier == 1 ? text : text[..^1];
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value > 0
            ? (int)Math.Min(int.MaxValue, value * multiplier)
            : null;
    }
}
