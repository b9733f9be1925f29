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

    private PerformanceColumn(bool fraction) => this.fraction = fraction;

    /// <summary>GFLOP/s.</summary>
    public static PerformanceColumn Gflops { get; } = new(false);

    /// <summary>Percent of the measured FMA peak at the same thread count.</summary>
    public static PerformanceColumn PeakFraction { get; } = new(true);

    /// <inheritdoc />
    public string Id => fraction ? "PeakFraction" : "Gflops";

    /// <inheritdoc />
    public string ColumnName => fraction ? "% of FMA peak" : "GFLOP/s";

    /// <inheritdoc />
    public bool AlwaysShow => true;

    /// <inheritdoc />
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc />
    public int PriorityInCategory => fraction ? 1 : 0;

    /// <inheritdoc />
    public bool IsNumeric => true;

    /// <inheritdoc />
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc />
    public string Legend => fraction
        ? "GFLOP/s divided by the FMA microbenchmark's GFLOP/s at the same thread count, same run"
        : "Conv/linear multiply-add FLOPs (training step = 3x forward) per second";

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? gflops = MeasuredGflops(summary, benchmarkCase);
        if (gflops is null)
        {
            return "-";
        }

        if (!fraction)
        {
            return gflops.Value.ToString("F1", CultureInfo.InvariantCulture);
        }

        double? peak = PeakGflops(summary, (int)benchmarkCase.Parameters["Threads"]);
        return peak is null || benchmarkCase.Descriptor.WorkloadMethod.Name == nameof(BlockBenchmarks.FmaPeakChains)
            ? "-"
            : (100 * gflops.Value / peak.Value).ToString("F0", CultureInfo.InvariantCulture) + "%";
    }

    /// <inheritdoc />
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc />
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    private static double? MeasuredGflops(Summary summary, BenchmarkCase benchmarkCase)
    {
        BenchmarkReport? report = summary[benchmarkCase];
        double? nanoseconds = report?.ResultStatistics?.Mean;
        if (nanoseconds is null or <= 0)
        {
            return null;
        }

        string method = benchmarkCase.Descriptor.WorkloadMethod.Name;
        int threads = (int)benchmarkCase.Parameters["Threads"];
        if (method == nameof(BlockBenchmarks.FmaPeakChains))
        {
            return FmaPeak.FlopsPerThread * threads / nanoseconds.Value;
        }

        string block = (string)benchmarkCase.Parameters["Block"];
        string mode = benchmarkCase.Descriptor.Categories.First();
        return BlockShapes.Flops(block, mode) / nanoseconds.Value;
    }

    private static double? PeakGflops(Summary summary, int threads)
    {
        BenchmarkCase? peakCase = summary.BenchmarksCases.FirstOrDefault(b =>
            b.Descriptor.WorkloadMethod.Name == nameof(BlockBenchmarks.FmaPeakChains) && (int)b.Parameters["Threads"] == threads);
        return peakCase is null ? null : MeasuredGflops(summary, peakCase);
    }
}
