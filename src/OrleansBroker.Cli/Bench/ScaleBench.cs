using System.Globalization;
using OrleansBroker.Cli.Connection;

namespace OrleansBroker.Cli.Bench;

/// <summary>
/// <c>bench scale</c>: for each partition count, a new topic with that many partitions, <c>bench produce</c> then
/// <c>bench consume</c> on it, then (unless kept) the topic is deleted; ends with one table row per partition count.
/// </summary>
internal static class ScaleBench
{
    /// <summary>Runs the benches for each of <paramref name="partitionCounts"/> with the settings of <paramref name="template"/>, whose topic is the prefix of each new topic's name.</summary>
    public static async Task<int> RunAsync(
        BrokerConnection connection, BenchSettings template, IReadOnlyList<int> partitionCounts, bool keepTopics, CancellationToken cancellationToken)
    {
        // Names no earlier run used, so every measurement starts from an empty topic.
        var run = Guid.NewGuid().ToString("N")[..8];
        var summaries = new List<BenchSummary>();
        var exitCode = ExitCodes.Success;
        foreach (var partitions in partitionCounts)
        {
            var settings = template with
            {
                Topic = string.Create(CultureInfo.InvariantCulture, $"{template.Topic}-{run}-p{partitions}"),
                Partitions = partitions,
                Summaries = summaries,
            };
            exitCode = await ProduceBench.RunAsync(connection, settings, cancellationToken);
            if (exitCode == ExitCodes.Success)
            {
                exitCode = await ConsumeBench.RunAsync(connection, settings, cancellationToken);
            }

            if (!keepTopics)
            {
                await connection.Client.Admin.DeleteTopicAsync(settings.Topic);
            }

            if (exitCode != ExitCodes.Success || cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }

        await WriteTableAsync(summaries);
        return exitCode;
    }

    /// <summary>A Markdown table: one row per partition count measured.</summary>
    private static async Task WriteTableAsync(List<BenchSummary> summaries)
    {
        var output = Console.Out;
        await output.WriteLineAsync();
        await output.WriteLineAsync("| partitions | produce rec/s | produce MB/s | ack p50 ms | ack p99 ms | consume rec/s |");
        await output.WriteLineAsync("| ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var row in summaries.GroupBy(s => s.Number("partitions")))
        {
            var produce = row.FirstOrDefault(s => s.Text("bench") == "produce");
            var consume = row.FirstOrDefault(s => s.Text("bench") == "consume");
            await output.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"| {row.Key} | {Cell(produce, "rec_per_s", "N0")} | {Cell(produce, "mb_per_s", "F1")} | {Cell(produce, "p50_ms", "F2")} | {Cell(produce, "p99_ms", "F2")} | {Cell(consume, "rec_per_s", "N0")} |"));
        }
    }

    private static string Cell(BenchSummary? summary, string key, string format) =>
        summary?.Number(key) is { } value ? value.ToString(format, CultureInfo.InvariantCulture) : "-";
}
