using System.Globalization;

namespace OrleansBroker.EndToEnd.Tests;

[Collection(nameof(SharedSilo))]
public sealed class GroupTests(SiloFixture fixture)
{
    private string Broker => fixture.Silo.Broker;

    [Fact]
    public async Task A_group_consumer_commits_what_it_printed_and_the_group_is_listed_described_and_reset()
    {
        var topic = $"groups-{Guid.NewGuid():N}";
        var group = $"g-{Guid.NewGuid():N}";
        var lines = Enumerable.Range(0, 20).Select(i => string.Create(CultureInfo.InvariantCulture, $"line {i}")).ToArray();
        Assert.Equal(0, (await Obroker.RunAsync(Broker, "topics", "create", topic, "--partitions", "2")).ExitCode);
        Assert.Equal(0, (await Obroker.RunWithInputAsync(Broker, string.Join('\n', lines) + "\n", "produce", topic)).ExitCode);

        var consumed = await Obroker.RunAsync(Broker, "consume", topic, "--group", group, "--from-beginning", "--timeout-ms", "3000");
        var listed = await Obroker.RunAsync(Broker, "groups", "list");
        var described = await Obroker.RunAsync(Broker, "groups", "describe", group);
        var reset = await Obroker.RunAsync(Broker, "groups", "reset-offsets", group, "--topic", topic, "--to-offset", "4");
        var describedAfterReset = await Obroker.RunAsync(Broker, "groups", "describe", group);
        var consumedAgain = await Obroker.RunAsync(Broker, "consume", topic, "--group", group, "--timeout-ms", "3000");
        var toEarliest = await Obroker.RunAsync(Broker, "groups", "reset-offsets", group, "--topic", topic, "--to-earliest");
        var twoTargets = await Obroker.RunAsync(Broker, "groups", "reset-offsets", group, "--topic", topic, "--to-earliest", "--to-latest");

        Assert.True(consumed.ExitCode == 0, consumed.ToString());
        Assert.Equal(lines.Order(StringComparer.Ordinal), consumed.Lines.Order(StringComparer.Ordinal));
        Assert.Contains(group, listed.Lines);
        Assert.True(described.ExitCode == 0, described.ToString());
        Assert.Contains("State: Empty", described.Stdout, StringComparison.Ordinal);
        var rows = GroupRow.Parse(described, topic);
        Assert.Equal(20, rows.Sum(r => r.HighWatermark));
        Assert.All(rows, r => Assert.Equal((r.HighWatermark, 0L), (r.Committed, r.Lag)));
        Assert.True(reset.ExitCode == 0, reset.ToString());
        var afterReset = GroupRow.Parse(describedAfterReset, topic);
        Assert.All(afterReset, r => Assert.Equal((Math.Min(4, r.HighWatermark), r.HighWatermark - Math.Min(4, r.HighWatermark)), (r.Committed, r.Lag)));
        Assert.Equal(afterReset.Sum(r => r.Lag), consumedAgain.Lines.Length);
        Assert.True(toEarliest.ExitCode == 0, toEarliest.ToString());
        Assert.Equal(2, twoTargets.ExitCode);
    }

    [Fact]
    public async Task Bench_group_reads_every_record_with_four_consumers()
    {
        var topic = await Obroker.BenchTopicAsync(Broker, "bench-group", records: 4000, partitions: 4);

        var group = await Obroker.RunAsync(Broker, "bench", "group", topic, "--records", "4000", "--consumers", "4", "--warmup", "1000");

        Assert.True(group.ExitCode == 0, group.ToString());
        Assert.Contains(group.Lines, l => l.StartsWith("bench=group ", StringComparison.Ordinal) && l.Contains(" records=4000 ", StringComparison.Ordinal)
            && l.Contains(" consumers=4", StringComparison.Ordinal) && l.Split(' ').Contains("warmup=1000"));
    }

    private readonly record struct GroupRow(int Partition, long Committed, long HighWatermark, long Lag)
    {
        public static List<GroupRow> Parse(ObrokerResult result, string topic) =>
        [
            .. result.Lines
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(fields => fields.Length >= 5 && fields[0] == topic)
                .Select(fields => new GroupRow(
                    int.Parse(fields[1], CultureInfo.InvariantCulture),
                    long.Parse(fields[2], CultureInfo.InvariantCulture),
                    long.Parse(fields[3], CultureInfo.InvariantCulture),
                    long.Parse(fields[4], CultureInfo.InvariantCulture))),
        ];
    }
}
