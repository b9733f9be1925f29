using System;
using System.Diagnostics;
using System.Globalization;

namespace FashionMnist;

/// <summary>
/// A per-epoch progress bar. On a terminal it redraws one line in place (carriage return) at most ten
/// times a second and clears it at the end; when stdout is redirected (a log file, CI) it writes a plain
/// line at 25%, 50% and 75% instead, so the log stays readable.
/// </summary>
internal sealed class ProgressBar
{
    private static readonly bool Interactive = !Console.IsOutputRedirected;
    private readonly string label;
    private readonly int total;
    private readonly int batchSize;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private long lastDraw = long.MinValue;
    private int nextQuarter = 1;
    private int drawnWidth;

    public ProgressBar(string label, int totalBatches, int batchSize)
    {
        this.label = label;
        total = Math.Max(1, totalBatches);
        this.batchSize = batchSize;
    }

    public void Report(int done, double meanLoss)
    {
        double seconds = clock.Elapsed.TotalSeconds;
        double imagesPerSecond = seconds > 0 ? done * batchSize / seconds : 0;
        if (Interactive)
        {
            long now = clock.ElapsedMilliseconds;
            if (now - lastDraw < 100 && done < total)
            {
                return;
            }

            lastDraw = now;
            int eta = done > 0 ? (int)Math.Ceiling(seconds / done * (total - done)) : 0;
            string status = string.Create(
                CultureInfo.InvariantCulture,
                $" {100.0 * done / total,3:F0}% {done}/{total}  loss {meanLoss:F4}  {imagesPerSecond:F0} img/s  ETA {eta / 60}:{eta % 60:00}");
            int width = BarWidth(label.Length + status.Length + 3);
            int filled = (int)((long)width * done / total);
            string line = $"{label} [{new string('#', filled)}{new string('.', width - filled)}]{status}";
            Console.Write('\r' + line.PadRight(drawnWidth));
            drawnWidth = line.Length;
        }
        else
        {
            while (nextQuarter < 4 && done * 4 >= nextQuarter * total && done < total)
            {
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{label}  {25 * nextQuarter}% ({done}/{total} batches)  loss {meanLoss:F4}  {imagesPerSecond:F0} img/s"));
                nextQuarter++;
            }
        }
    }

    /// <summary>Removes the bar (on a terminal) so that the epoch's summary line takes its place.</summary>
    public void Clear()
    {
        if (Interactive && drawnWidth > 0)
        {
            Console.Write('\r' + new string(' ', drawnWidth) + '\r');
            drawnWidth = 0;
        }
    }

    private static int BarWidth(int textLength)
    {
        int columns = 100;
        try
        {
            columns = Console.WindowWidth > 0 ? Console.WindowWidth : columns;
        }
        catch (System.IO.IOException)
        {
        }
        catch (PlatformNotSupportedException)
        {
        }

        return Math.Clamp(columns - textLength - 1, 10, 40);
    }
}
