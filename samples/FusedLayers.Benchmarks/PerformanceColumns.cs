using System.Globalization;
using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace FusedLayers.Benchmarks;

/// <summary>GFLOP/s of the convolution/linear work, and its fraction of the FMA peak measured in the same run.</summary>
public sealed class PerformanceColumn : IColumn
{
    private readonly bool fraction;
    private readonly bool speedUp;

    private PerformanceColumn(bool fraction, bool speedUp)
    {
        this.fraction = fraction;
        this.speedUp = speedUp;
    }

    /// <summary>GFLOP/s.</summary>
    public static PerformanceColumn Gflops { get; } = new(false, false);

    /// <summary>Percent of the measured FMA peak at the same thread count.</summary>
    public static PerformanceColumn PeakFraction { get; } = new(true, false);

    /// <summary>How many times faster than the naive reference of the same block and mode.</summary>
    public static PerformanceColumn SpeedUpOverReference { get; } = new(false, true);

    /// <inheritdoc />
    public string Id => speedUp ? "SpeedUp" : fraction ? "PeakFraction" : "Gflops";

    /// <inheritdoc />
    public string ColumnName => speedUp ? "x vs reference" : fraction ? "% of FMA peak" : "GFLOP/s";

    /// <inheritdoc />
    public bool AlwaysShow => true;

    /// <inheritdoc />
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc />
    public int PriorityInCategory => speedUp ? -1 : fraction ? 1 : 0;

    /// <inheritdoc />
    public bool IsNumeric => true;

    /// <inheritdoc />
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc />
    public string Legend => speedUp
        ? "Mean of the naive float64 reference (ReferenceBenchmarks, same block and mode) divided by this row's mean"
        : fraction
        ? "GFLOP/s divided by the FMA microbenchmark's GFLOP/s at the same thread count, same run"
        : "Conv/linear multiply-add FLOPs (training step = 3x forward) per second";

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (speedUp)
        {
            return SpeedUp(summary, benchmarkCase);
        }

        double? gflops = MeasuredGflops(summary, benchmarkCase);
        if (gflops is null)
        {
            return "-";
        }

        if (!fraction)
        {
            return gflops.Value.ToString("F1", CultureInfo.InvariantCulture);
        }

        double? peak = benchmarkCase.Descriptor.Type == typeof(BlockBenchmarks) ? PeakGflops(summary, (int)benchmarkCase.Parameters["Threads"]) : null;
        return peak is null || benchmarkCase.Descriptor.WorkloadMethod.Name == nameof(BlockBenchmarks.FmaPeakChains)
            ? "-"
            : (100 * gflops.Value / peak.Value).ToString("F0", CultureInfo.InvariantCulture) + "%";
    }

    /// <inheritdoc />
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc />
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    private static string SpeedUp(Summary summary, BenchmarkCase benchmarkCase)
    {
        if (benchmarkCase.Descriptor.Type != typeof(BlockBenchmarks) || benchmarkCase.Descriptor.WorkloadMethod.Name == nameof(BlockBenchmarks.FmaPeakChains))
        {
            return "-";
        }

        string block = (string)benchmarkCase.Parameters["Block"];
        string mode = benchmarkCase.Descriptor.Categories.First();
        BenchmarkCase? reference = summary.BenchmarksCases.FirstOrDefault(b =>
            b.Descriptor.Type == typeof(ReferenceBenchmarks) && (string)b.Parameters["Block"] == block && b.Descriptor.Categories.Contains(mode));
        double? mine = summary[benchmarkCase]?.ResultStatistics?.Mean;
        double? theirs = reference is null ? null : summary[reference]?.ResultStatistics?.Mean;
        return mine is > 0 && theirs is > 0
            ? (theirs.Value / mine.Value).ToString("F1", CultureInfo.InvariantCulture) + "x"
            : "-";
    }

    private static double? MeasuredGflops(Summary summary, BenchmarkCase benchmarkCase)
    {
        BenchmarkReport? report = summary[benchmarkCase];
        double? nanoseconds = report?.ResultStatistics?.Mean;
        if (nanoseconds is null or <= 0)
        {
            return null;
        }

        string method = benchmarkCase.Descriptor.WorkloadMethod.Name;
        if (method == nameof(BlockBenchmarks.FmaPeakChains))
        {
            return FmaPeak.FlopsPerThread * (int)benchmarkCase.Parameters["Threads"] / nanoseconds.Value;
        }

        string block = (string)benchmarkCase.Parameters["Block"];
        string mode = benchmarkCase.Descriptor.Categories.First();
        return BlockShapes.Flops(block, mode) / nanoseconds.Value;
    }

    /// <summary>
    /// The FMA peak at this thread count: the best of its FMA-peak rows (one per block parameter), since a
    /// row measured while the machine was briefly busy understates the peak and would inflate every fraction.
    /// </summary>
    private static double? PeakGflops(Summary summary, int threads) =>
        summary.BenchmarksCases
            .Where(b => b.Descriptor.WorkloadMethod.Name == nameof(BlockBenchmarks.FmaPeakChains) && (int)b.Parameters["Threads"] == threads)
            .Select(b => MeasuredGflops(summary, b))
            .Where(g => g is not null)
            .Max();
}
