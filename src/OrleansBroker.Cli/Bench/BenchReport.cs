using System.Globalization;

namespace OrleansBroker.Cli.Bench;

/// <summary>Writes a bench's results: lines for a person, then one <c>key=value</c> summary line for scripts.</summary>
internal static class BenchReport
{
    /// <param name="bench">The bench's name, the summary's first field.</param>
    /// <param name="settings">The run's settings.</param>
    /// <param name="records">Records done.</param>
    /// <param name="elapsed">The time they took.</param>
    /// <param name="latency">The latency to report, with what it measures, or null.</param>
    /// <param name="extraFields">More <c>key=value</c> fields for the summary, or null.</param>
    public static async Task WriteAsync(
        string bench, BenchSettings settings, long records, TimeSpan elapsed, (string Label, LatencyHistogram Histogram)? latency, string? extraFields = null)
    {
        var seconds = Math.Max(elapsed.TotalSeconds, 1e-9);
        var recordsPerSecond = records / seconds;
        var megabytesPerSecond = recordsPerSecond * settings.RecordSize / 1_000_000;
        var output = Console.Out;
        await output.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"{bench}: {records:N0} records of {settings.RecordSize} B in {seconds:F2} s: {recordsPerSecond:N0} records/s, {megabytesPerSecond:F1} MB/s"));
        var summary = string.Create(
            CultureInfo.InvariantCulture,
            $"bench={bench} topic={settings.Topic} records={records} record_size={settings.RecordSize} elapsed_s={seconds:F3} rec_per_s={recordsPerSecond:F0} mb_per_s={megabytesPerSecond:F2}");
        if (latency is var (label, histogram))
        {
            await output.WriteLineAsync(histogram.ToDisplay(label));
            summary += " " + histogram.ToSummaryFields();
        }

        if (extraFields is not null)
        {
            summary += " " + extraFields;
        }

        await output.WriteLineAsync(summary);
    }
}
