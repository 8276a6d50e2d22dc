using System.Diagnostics;
using System.Globalization;
using HdrHistogram;

namespace OrleansBroker.Cli.Bench;

/// <summary>Latencies in microseconds, from 1 µs to an hour at 3 significant digits. Not thread-safe: one per loop, then merged.</summary>
internal sealed class LatencyHistogram
{
    private static readonly long HighestMicroseconds = (long)TimeSpan.FromHours(1).TotalMicroseconds;
    private readonly LongHistogram _histogram = new(HighestMicroseconds, 3);

    public long Count => _histogram.TotalCount;

    /// <summary>Records the time from a <see cref="Stopwatch"/> timestamp until now.</summary>
    public void RecordSince(long startTimestamp) => Record(startTimestamp, Stopwatch.GetTimestamp());

    public void Record(long startTimestamp, long endTimestamp)
    {
        var microseconds = (endTimestamp - startTimestamp) * 1_000_000 / Stopwatch.Frequency;
        _histogram.RecordValue(Math.Clamp(microseconds, 0, HighestMicroseconds));
    }

    public void Add(LatencyHistogram other) => _histogram.Add(other._histogram);

    /// <summary>The latency at a percentile, in milliseconds.</summary>
    public double PercentileMs(double percentile) => Count == 0 ? 0 : _histogram.GetValueAtPercentile(percentile) / 1000.0;

    public double MaxMs => Count == 0 ? 0 : _histogram.GetMaxValue() / 1000.0;

    /// <summary>The percentiles as <c>p50_ms=.. p99_ms=.. p999_ms=.. max_ms=..</c> for the summary line.</summary>
    public string ToSummaryFields() => string.Create(
        CultureInfo.InvariantCulture,
        $"p50_ms={PercentileMs(50):F3} p99_ms={PercentileMs(99):F3} p999_ms={PercentileMs(99.9):F3} max_ms={MaxMs:F3}");

    /// <summary>The percentiles for a person to read.</summary>
    public string ToDisplay(string label) => string.Create(
        CultureInfo.InvariantCulture,
        $"{label}: p50 {PercentileMs(50):F2} ms, p99 {PercentileMs(99):F2} ms, p99.9 {PercentileMs(99.9):F2} ms, max {MaxMs:F2} ms ({Count} samples)");
}
