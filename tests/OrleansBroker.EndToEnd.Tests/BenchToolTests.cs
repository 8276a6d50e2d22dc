using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;

namespace OrleansBroker.EndToEnd.Tests;

/// <summary>The measuring tools around the benches: transport ceiling, JSON output, partition scaling and charts.</summary>
[Collection(nameof(SharedSilo))]
public sealed class BenchToolTests(SiloFixture fixture) : IDisposable
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private readonly DirectoryInfo _files = Directory.CreateTempSubdirectory("obroker-bench-");

    private string Broker => fixture.Silo.Broker;

    public void Dispose() => _files.Delete(recursive: true);

    [Fact]
    public async Task Bench_transport_reports_every_record_carried_to_the_sink_grains()
    {
        var transport = await Obroker.RunAsync(Broker, "bench", "transport", "--records", "20000", "--records-per-call", "500", "--senders", "2");

        Assert.True(transport.ExitCode == 0, transport.ToString());
        var summary = SummaryFields(transport, "transport");
        Assert.Equal("20000", summary["records"]);
        Assert.Equal("40", summary["calls"]);
        Assert.Equal("0", summary["wrong_lengths"]);
        Assert.True(double.Parse(summary["rec_per_s"], CultureInfo.InvariantCulture) > 0, transport.ToString());
    }

    [Fact]
    public async Task Benches_append_one_json_object_per_run_and_produce_reports_its_share_of_the_ceiling_and_the_cpu_per_record()
    {
        var topic = $"bench-json-{Guid.NewGuid():N}";
        var json = FilePath("runs.jsonl");

        var produce = await Obroker.RunAsync(
            Broker, "bench", "produce", topic, "--records", "2000", "--partitions", "2", "--with-ceiling", "--ceiling-records", "20000", "--json", json);
        var consume = await Obroker.RunAsync(Broker, "bench", "consume", topic, "--records", "2000", "--json", json);

        Assert.True(produce.ExitCode == 0, produce.ToString());
        Assert.True(consume.ExitCode == 0, consume.ToString());
        var runs = ReadJsonLines(json);
        Assert.Equal(["transport", "produce", "consume"], runs.Select(r => r.GetProperty("bench").GetString()));
        var (transportRun, produceRun, consumeRun) = (runs[0], runs[1], runs[2]);
        Assert.Equal(20000, transportRun.GetProperty("records").GetInt64());
        Assert.Equal(topic, produceRun.GetProperty("topic").GetString());
        Assert.Equal(2, produceRun.GetProperty("partitions").GetInt32());
        Assert.Equal(2000, produceRun.GetProperty("records").GetInt64());
        Assert.True(produceRun.GetProperty("p99_ms").GetDouble() > 0);
        var rate = produceRun.GetProperty("rec_per_s").GetDouble();
        var ceiling = produceRun.GetProperty("ceiling_rec_per_s").GetDouble();
        Assert.Equal(transportRun.GetProperty("rec_per_s").GetDouble(), ceiling);
        Assert.Equal(100 * rate / ceiling, produceRun.GetProperty("pct_of_ceiling").GetDouble(), tolerance: 0.1);
        Assert.Contains(" pct_of_ceiling=", SummaryLine(produce, "produce"), StringComparison.Ordinal);
        Assert.Equal(2000, consumeRun.GetProperty("records").GetInt64());
        Assert.Equal(200_000, consumeRun.GetProperty("value_bytes").GetInt64());

        // The fixture's broker is one silo process: both sides of the CPU per record are measured.
        Assert.All([produceRun, consumeRun], run => Assert.True(
            run.GetProperty("client_cpu_us").GetDouble() > 0 && run.GetProperty("silo_cpu_us").GetDouble() > 0, run.ToString()));
    }

    [Fact]
    public async Task Bench_produce_sends_its_warmup_records_before_the_clock_and_reports_only_the_timed_ones()
    {
        var topic = $"bench-warmup-{Guid.NewGuid():N}";

        var produce = await Obroker.RunAsync(
            Broker, "bench", "produce", topic, "--records", "3000", "--warmup", "1000", "--producers", "2", "--partitions", "2", "--linger", "0");
        var describe = await Obroker.RunAsync(Broker, "topics", "describe", topic);

        Assert.True(produce.ExitCode == 0, produce.ToString());
        Assert.Equal("3000", SummaryFields(produce, "produce")["records"]);
        var stored = describe.Stdout.Split('\n').Skip(2).Where(line => line.Length > 0)
            .Sum(line => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2], CultureInfo.InvariantCulture));
        Assert.Equal(4000, stored);
    }

    [Fact]
    public async Task Bench_queue_stops_at_its_target_and_reports_the_target_though_members_acknowledge_what_they_still_hold()
    {
        var topic = await Obroker.BenchTopicAsync(Broker, "bench-queue", records: 20000, partitions: 2);

        var queue = await Obroker.RunAsync(Broker, "bench", "queue", topic, "--records", "5000", "--consumers", "4");

        Assert.True(queue.ExitCode == 0, queue.ToString());
        Assert.Equal("5000", SummaryFields(queue, "queue")["records"]);
    }

    [Fact]
    public async Task Bench_scale_measures_each_partition_count_on_a_new_topic_and_its_runs_chart_as_curves()
    {
        var prefix = $"scale-{Guid.NewGuid():N}";
        var json = FilePath("scale.jsonl");
        var chart = FilePath("scale.svg");

        var scale = await Obroker.RunAsync(
            Broker, "bench", "scale", "--partitions", "1,3", "--records", "2000", "--producers", "2", "--topic-prefix", prefix, "--json", json);
        var drawn = await Obroker.RunAsync(Broker, "bench", "chart", "--input", json, "--output", chart);
        var topics = await Obroker.RunAsync(Broker, "topics", "list");

        Assert.True(scale.ExitCode == 0, scale.ToString());
        var runs = ReadJsonLines(json);
        Assert.Equal(["produce", "consume", "produce", "consume"], runs.Select(r => r.GetProperty("bench").GetString()));
        Assert.Equal([1, 1, 3, 3], runs.Select(r => r.GetProperty("partitions").GetInt32()));
        Assert.All(runs, r => Assert.Equal(2000, r.GetProperty("records").GetInt64()));
        Assert.Contains(scale.Lines, l => l.StartsWith("| 1 |", StringComparison.Ordinal));
        Assert.Contains(scale.Lines, l => l.StartsWith("| 3 |", StringComparison.Ordinal));
        Assert.DoesNotContain(topics.Lines, t => t.StartsWith(prefix, StringComparison.Ordinal));
        Assert.True(drawn.ExitCode == 0, drawn.ToString());
        Assert.Equal(4, CountSvg(chart, "circle", "point"));
    }

    [Fact]
    public async Task Bench_chart_draws_a_point_per_bench_and_partition_count_a_ceiling_line_and_three_bars_per_e2e_run()
    {
        var json = FilePath("runs.jsonl");
        var chart = FilePath("chart.svg");
        await File.WriteAllLinesAsync(json, [
            Run("produce", partitions: 1, rate: 100_000),
            Run("produce", partitions: 2, rate: 180_000),
            Run("produce", partitions: 2, rate: 200_000),
            Run("produce", partitions: 4, rate: 300_000),
            Run("consume", partitions: 1, rate: 400_000),
            Run("consume", partitions: 4, rate: 900_000),
            "",
            """{"bench":"transport","records":1000000,"rec_per_s":2000000}""",
            """{"bench":"e2e","partitions":4,"rec_per_s":20000,"p50_ms":1.5,"p99_ms":12,"p999_ms":40.25,"target_rate":20000}""",
            """{"bench":"e2e","partitions":4,"rec_per_s":5000,"p50_ms":0.9,"p99_ms":4,"p999_ms":9,"target_rate":5000}""",
        ], TestContext.Current.CancellationToken);

        var drawn = await Obroker.RunAsync(Broker, "bench", "chart", "--input", json, "--output", chart, "--title", "runs <&> more");

        Assert.True(drawn.ExitCode == 0, drawn.ToString());
        Assert.Equal(5, CountSvg(chart, "circle", "point"));
        Assert.Equal(2, CountSvg(chart, "polyline", "series"));
        Assert.Equal(1, CountSvg(chart, "line", "ceiling"));
        Assert.Equal(6, CountSvg(chart, "rect", "bar"));
        Assert.Contains(XDocument.Load(chart).Descendants(Svg + "text"), t => t.Value == "runs <&> more");
    }

    [Fact]
    public async Task Bench_chart_draws_one_throughput_bar_per_run_when_the_runs_share_a_partition_count()
    {
        var json = FilePath("runs.jsonl");
        var chart = FilePath("chart.svg");
        await File.WriteAllLinesAsync(
            json, [Run("produce", partitions: 4, rate: 100_000), Run("consume", partitions: 4, rate: 300_000), Run("produce", partitions: 4, rate: 120_000)],
            TestContext.Current.CancellationToken);

        var drawn = await Obroker.RunAsync(Broker, "bench", "chart", "--input", json, "--output", chart);

        Assert.True(drawn.ExitCode == 0, drawn.ToString());
        Assert.Equal(3, CountSvg(chart, "rect", "bar"));
        Assert.Equal(0, CountSvg(chart, "circle", "point"));
    }

    [Fact]
    public async Task Bench_chart_refuses_a_line_that_is_not_json()
    {
        var json = FilePath("runs.jsonl");
        await File.WriteAllLinesAsync(json, [Run("produce", partitions: 1, rate: 1000), "bench=produce rec_per_s=1000"], TestContext.Current.CancellationToken);

        var drawn = await Obroker.RunAsync(Broker, "bench", "chart", "--input", json, "--output", FilePath("chart.svg"));

        Assert.True(drawn.ExitCode == 1, drawn.ToString());
        Assert.Contains("runs.jsonl:2", drawn.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(FilePath("chart.svg")));
    }

    private static string Run(string bench, int partitions, double rate) =>
        string.Create(CultureInfo.InvariantCulture, $$"""{"bench":"{{bench}}","partitions":{{partitions}},"records":1000,"rec_per_s":{{rate}}}""");

    private static string SummaryLine(ObrokerResult result, string bench) =>
        Assert.Single(result.Lines, l => l.StartsWith($"bench={bench} ", StringComparison.Ordinal));

    private static Dictionary<string, string> SummaryFields(ObrokerResult result, string bench) =>
        SummaryLine(result, bench).Split(' ').Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f[1]);

    private static List<JsonElement> ReadJsonLines(string path) =>
        [.. File.ReadAllLines(path).Select(line =>
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.Clone();
        })];

    /// <summary>How many elements of a kind the SVG file holds with <paramref name="cssClass"/> among their classes; loading it checks that it is well-formed XML.</summary>
    private static int CountSvg(string path, string element, string cssClass) =>
        XDocument.Load(path).Descendants(Svg + element).Count(e => ((string?)e.Attribute("class"))?.Split(' ').Contains(cssClass) == true);

    private string FilePath(string name) => Path.Combine(_files.FullName, name);
}
