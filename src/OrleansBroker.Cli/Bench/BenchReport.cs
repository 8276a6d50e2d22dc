using System.Globalization;

namespace OrleansBroker.Cli.Bench;

/// <summary>
/// Writes a bench's results: lines for a person, then one <c>key=value</c> summary line for scripts; appends the
/// summary as JSON to <see cref="BenchSettings.JsonPath"/> and hands it to <see cref="BenchSettings.Summaries"/> when set.
/// </summary>
internal static class BenchReport
{
    /// <param name="bench">The bench's name, the summary's first field.</param>
    /// <param name="settings">The run's settings.</param>
    /// <param name="records">Records done.</param>
    /// <param name="elapsed">The time they took.</param>
    /// <param name="latency">The latency to report, with what it measures, or null.</param>
    /// <param name="extraFields">More <c>key=value</c> fields for the summary, or null.</param>
    public static async Task<BenchSummary> WriteAsync(
        string bench, BenchSettings settings, long records, TimeSpan elapsed, (string Label, LatencyHistogram Histogram)? latency, string? extraFields = null)
    {
        var seconds = Math.Max(elapsed.TotalSeconds, 1e-9);
        var recordsPerSecond = records / seconds;
        var megabytesPerSecond = recordsPerSecond * settings.RecordSize / 1_000_000;
        var output = Console.Out;
        await output.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"{bench}: {records:N0} records of {settings.RecordSize} B in {seconds:F2} s: {recordsPerSecond:N0} records/s, {megabytesPerSecond:F1} MB/s"));
        var summary = new BenchSummary();
        summary.Add("bench", bench);
        if (settings.Topic.Length > 0)
        {
            summary.Add("topic", settings.Topic);
        }

        if (settings.Partitions > 0)
        {
            summary.Add("partitions", settings.Partitions, "F0");
        }

        summary.Add("records", records, "F0");
        summary.Add("record_size", settings.RecordSize, "F0");
        summary.Add("elapsed_s", seconds, "F3");
        summary.Add("rec_per_s", recordsPerSecond, "F0");
        summary.Add("mb_per_s", megabytesPerSecond, "F2");
        if (latency is var (label, histogram))
        {
            await output.WriteLineAsync(histogram.ToDisplay(label));
            summary.AddFields(histogram.ToSummaryFields());
        }

        if (extraFields is not null)
        {
            summary.AddFields(extraFields);
        }

        if (settings.CeilingRecordsPerSecond is { } ceiling && ceiling > 0)
        {
            var percent = 100 * recordsPerSecond / ceiling;
            await output.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture, $"{bench}: {percent:F1} % of the transport ceiling ({ceiling:N0} records/s)"));
            summary.Add("ceiling_rec_per_s", ceiling, "F0");
            summary.Add("pct_of_ceiling", percent, "F1");
        }

        await output.WriteLineAsync(summary.ToLine());
        if (settings.JsonPath is { } jsonPath)
        {
            await summary.AppendJsonLineAsync(jsonPath);
        }

        settings.Summaries?.Add(summary);
        return summary;
    }
}
