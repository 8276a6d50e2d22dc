using System.Text.Json;

namespace OrleansBroker.Cli.Bench;

/// <summary>One run read back from a <c>--json</c> file: the fields <c>bench chart</c> draws.</summary>
internal sealed record BenchRun(string Bench, int? Partitions, double? RecordsPerSecond, double? P50Ms, double? P99Ms, double? P999Ms, double? TargetRate)
{
    /// <summary>Reads the runs of a JSON Lines file (one summary object per line; blank lines are skipped).</summary>
    /// <exception cref="FormatException">A line is not a JSON object; the message names the line.</exception>
    public static async Task<List<BenchRun>> ReadAllAsync(string path, CancellationToken cancellationToken)
    {
        var runs = new List<BenchRun>();
        var lines = await File.ReadAllLinesAsync(path, cancellationToken);
        for (var i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(lines[i]);
                runs.Add(From(document.RootElement));
            }
            catch (JsonException exception)
            {
                throw new FormatException($"{path}:{i + 1}: not a JSON object: {exception.Message}", exception);
            }
            catch (InvalidOperationException exception)
            {
                // JsonElement's getters throw this when a value has another JSON type than the field needs.
                throw new FormatException($"{path}:{i + 1}: not a bench summary: {exception.Message}", exception);
            }
        }

        return runs;
    }

    private static BenchRun From(JsonElement summary)
    {
        if (summary.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidOperationException($"a JSON {summary.ValueKind} instead of an object");
        }

        return new BenchRun(
            summary.TryGetProperty("bench", out var bench) ? bench.GetString() ?? "" : "",
            Number(summary, "partitions") is { } partitions ? (int)partitions : null,
            Number(summary, "rec_per_s"),
            Number(summary, "p50_ms"),
            Number(summary, "p99_ms"),
            Number(summary, "p999_ms"),
            Number(summary, "target_rate"));
    }

    private static double? Number(JsonElement summary, string name) =>
        summary.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
}
