using System.Globalization;

namespace OrleansBroker.EndToEnd.Tests;

[Collection(nameof(SharedSilo))]
public sealed class QueueCommandTests(SiloFixture fixture)
{
    private string Broker => fixture.Silo.Broker;

    [Fact]
    public async Task Queue_consume_acknowledges_what_it_prints_so_the_group_never_delivers_it_again()
    {
        var (topic, group) = (NewName("queue"), NewName("group"));
        var lines = Enumerable.Range(0, 10).Select(i => string.Create(CultureInfo.InvariantCulture, $"job {i}")).ToArray();
        await CreateTopicAsync(topic, partitions: 2);
        await Obroker.RunWithInputAsync(Broker, string.Join('\n', lines) + "\n", "produce", topic);

        var consumed = await Obroker.RunAsync(Broker, "queue", "consume", topic, "--group", group, "--max-messages", "10");
        var again = await Obroker.RunAsync(Broker, "queue", "consume", topic, "--group", group, "--timeout-ms", "1500");
        var described = await Obroker.RunAsync(Broker, "queue", "describe", group, "--topic", topic);

        Assert.True(consumed.ExitCode == 0, consumed.ToString());
        Assert.Equal(lines.Order(StringComparer.Ordinal), consumed.Lines.Order(StringComparer.Ordinal));
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Empty(again.Lines);
        var rows = QueueRow.Parse(described);
        Assert.Equal([0, 1], rows.Select(r => r.Partition));
        Assert.Equal(10, rows.Sum(r => r.Acknowledged));
        Assert.All(rows, r => Assert.Equal((r.HighWatermark, 0L, 0L), (r.StartOffset, r.InFlight, r.DeadLettered)));
    }

    [Fact]
    public async Task Queue_consume_with_reject_sends_records_to_the_dead_letter_topic()
    {
        var (topic, group) = (NewName("queue"), NewName("group"));
        await CreateTopicAsync(topic, partitions: 1);
        await Obroker.RunWithInputAsync(Broker, "bad 1\nbad 2\n", "produce", topic);

        var rejected = await Obroker.RunAsync(Broker, "queue", "consume", topic, "--group", group, "--reject", "--max-messages", "2");
        var deadLetters = await Obroker.RunAsync(Broker, "consume", $"{topic}.{group}.dlq", "--from-beginning", "--max-messages", "2");
        var described = await Obroker.RunAsync(Broker, "queue", "describe", group, "--topic", topic);

        Assert.True(rejected.ExitCode == 0, rejected.ToString());
        Assert.Equal(["bad 1", "bad 2"], deadLetters.Lines);
        var row = Assert.Single(QueueRow.Parse(described));
        Assert.Equal((2L, 0L, 2L), (row.StartOffset, row.Acknowledged, row.DeadLettered));
    }

    [Fact]
    public async Task Queue_consume_with_release_gets_the_same_record_again()
    {
        var (topic, group) = (NewName("queue"), NewName("group"));
        await CreateTopicAsync(topic, partitions: 1);
        await Obroker.RunWithInputAsync(Broker, "again\n", "produce", topic);

        var released = await Obroker.RunAsync(Broker, "queue", "consume", topic, "--group", group, "--release", "--max-messages", "3");
        var described = await Obroker.RunAsync(Broker, "queue", "describe", group, "--topic", topic);

        Assert.True(released.ExitCode == 0, released.ToString());
        Assert.Equal(["again", "again", "again"], released.Lines);
        var row = Assert.Single(QueueRow.Parse(described));

        // Released, never acknowledged: the record is waiting, or leased by a read-ahead acquire whose lease expires.
        Assert.Equal((0L, 1L), (row.StartOffset, row.InFlight + row.Waiting));
    }

    [Fact]
    public async Task Queue_consume_refuses_release_with_reject_and_a_missing_group()
    {
        var both = await Obroker.RunAsync(Broker, "queue", "consume", "t", "--group", "g", "--release", "--reject");
        var noGroup = await Obroker.RunAsync(Broker, "queue", "consume", "t");

        Assert.Equal(2, both.ExitCode);
        Assert.Equal(2, noGroup.ExitCode);
    }

    [Fact]
    public async Task Bench_queue_acknowledges_the_records_with_four_members()
    {
        var topic = NewName("bench");
        var produce = await Obroker.RunAsync(Broker, "bench", "produce", topic, "--records", "3000", "--partitions", "2");
        var queue = await Obroker.RunAsync(Broker, "bench", "queue", topic, "--records", "3000", "--consumers", "4");

        Assert.True(produce.ExitCode == 0, produce.ToString());
        Assert.True(queue.ExitCode == 0, queue.ToString());
        Assert.Contains(queue.Lines, l => l.StartsWith("bench=queue ", StringComparison.Ordinal) && l.Contains(" records=3000 ", StringComparison.Ordinal) && l.Contains(" consumers=4", StringComparison.Ordinal));
    }

    private static string NewName(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private async Task CreateTopicAsync(string topic, int partitions)
    {
        var created = await Obroker.RunAsync(Broker, "topics", "create", topic, "--partitions", partitions.ToString(CultureInfo.InvariantCulture));
        Assert.True(created.ExitCode == 0, created.ToString());
    }

    private sealed record QueueRow(int Partition, long StartOffset, long HighWatermark, long InFlight, long Waiting, long Acknowledged, long DeadLettered)
    {
        public static List<QueueRow> Parse(ObrokerResult result)
        {
            Assert.True(result.ExitCode == 0, result.ToString());
            return result.Lines.Skip(1)
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray())
                .Select(f => new QueueRow((int)f[0], f[1], f[2], f[3], f[4], f[5], f[6]))
                .ToList();
        }
    }
}
