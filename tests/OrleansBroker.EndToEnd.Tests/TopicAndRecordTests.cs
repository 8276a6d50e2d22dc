using System.Globalization;

namespace OrleansBroker.EndToEnd.Tests;

[Collection(nameof(SharedSilo))]
public sealed class TopicAndRecordTests(SiloFixture fixture)
{
    private string Broker => fixture.Silo.Broker;

    [Fact]
    public async Task Topics_are_created_listed_described_and_deleted()
    {
        var topic = NewTopic("admin");

        var created = await Obroker.RunAsync(Broker, "topics", "create", topic, "--partitions", "3", "--retention-ms", "3600000");
        var listed = await Obroker.RunAsync(Broker, "topics", "list");
        var described = await Obroker.RunAsync(Broker, "topics", "describe", topic);
        var deleted = await Obroker.RunAsync(Broker, "topics", "delete", topic);
        var listedAfterDelete = await Obroker.RunAsync(Broker, "topics", "list");

        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains(topic, listed.Lines);
        Assert.True(described.ExitCode == 0, described.ToString());
        Assert.Contains("RetentionMs: 3600000", described.Stdout, StringComparison.Ordinal);
        Assert.Equal([0, 1, 2], PartitionRow.Parse(described).Select(p => p.Partition));
        Assert.All(PartitionRow.Parse(described), p => Assert.Equal(0, p.HighWatermark));
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.DoesNotContain(topic, listedAfterDelete.Lines);
    }

    [Fact]
    public async Task Lines_produced_with_keys_are_consumed_back_with_each_key_in_order()
    {
        var topic = NewTopic("keys");
        var lines = Enumerable.Range(0, 60).Select(i => string.Create(CultureInfo.InvariantCulture, $"key-{i % 7}:value {i}")).ToArray();
        await CreateTopicAsync(topic, partitions: 3);

        var produced = await Obroker.RunWithInputAsync(Broker, string.Join('\n', lines) + "\n", "produce", topic, "--key-separator", ":");
        var consumed = await Obroker.RunAsync(
            Broker, "consume", topic, "--from-beginning", "--max-messages", "60", "--print-key", "--print-offset");
        var described = await Obroker.RunAsync(Broker, "topics", "describe", topic);

        Assert.True(produced.ExitCode == 0, produced.ToString());
        Assert.True(consumed.ExitCode == 0, consumed.ToString());
        var records = consumed.Lines.Select(line => line.Split('\t')).ToArray();
        Assert.Equal(lines.Order(StringComparer.Ordinal), records.Select(r => $"{r[1]}:{r[2]}").Order(StringComparer.Ordinal));
        foreach (var byKey in records.GroupBy(r => r[1]))
        {
            // One key hashes to one partition, where its records keep the order they were produced in.
            Assert.Single(byKey.Select(r => r[0].Split(':')[0]).Distinct());
            Assert.Equal(lines.Where(l => l.StartsWith(byKey.Key + ":", StringComparison.Ordinal)), byKey.Select(r => $"{r[1]}:{r[2]}"));
        }

        Assert.Equal(60, PartitionRow.Parse(described).Sum(p => p.HighWatermark));
    }

    [Fact]
    public async Task Consume_without_from_beginning_starts_at_the_end()
    {
        var topic = NewTopic("latest");
        await CreateTopicAsync(topic, partitions: 2);
        await Obroker.RunWithInputAsync(Broker, "old 1\nold 2\n", "produce", topic);

        var consumed = await Obroker.RunAsync(Broker, "consume", topic, "--timeout-ms", "1000");

        Assert.True(consumed.ExitCode == 0, consumed.ToString());
        Assert.Empty(consumed.Lines);
    }

    [Fact]
    public async Task Ctrl_C_ends_a_group_consumer_cleanly_and_commits_what_it_printed()
    {
        var topic = NewTopic("interrupt");
        await CreateTopicAsync(topic, partitions: 2);
        await Obroker.RunWithInputAsync(Broker, "one\ntwo\nthree\n", "produce", topic);
        using var consumer = Obroker.Start(Broker, "consume", topic, "--group", "interrupted", "--from-beginning");
        consumer.StandardInput.Close();
        var stderr = consumer.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);

        // The consumer flushes its output whenever it waits for records, so all three lines arrive before it idles.
        var printed = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            printed.Add(await consumer.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken) ?? "(end of output)");
        }

        Obroker.Interrupt(consumer);
        var rest = await consumer.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await consumer.WaitForExitAsync(TestContext.Current.CancellationToken);
        var resumed = await Obroker.RunAsync(Broker, "consume", topic, "--group", "interrupted", "--from-beginning", "--timeout-ms", "1000");

        Assert.True(consumer.ExitCode == 0, $"exit {consumer.ExitCode}: {await stderr}");
        Assert.Equal(["one", "three", "two"], printed.Order(StringComparer.Ordinal));
        Assert.Empty(rest);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Empty(resumed.Lines);
    }

    [Theory]
    [InlineData("bad name!")]
    [InlineData("a/b")]
    [InlineData("..")]
    public async Task An_invalid_topic_name_exits_with_3(string topic)
    {
        var created = await Obroker.RunAsync(Broker, "topics", "create", topic);

        Assert.True(created.ExitCode == 3, created.ToString());
        Assert.Single(created.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Creating_an_existing_topic_exits_with_3()
    {
        var topic = NewTopic("twice");
        await CreateTopicAsync(topic, partitions: 1);

        var again = await Obroker.RunAsync(Broker, "topics", "create", topic);

        Assert.True(again.ExitCode == 3, again.ToString());
    }

    [Theory]
    [InlineData("topics", "describe")]
    [InlineData("topics", "delete")]
    [InlineData("produce", null)]
    [InlineData("consume", null)]
    public async Task An_unknown_topic_exits_with_3(string command, string? subcommand)
    {
        string[] args = [command, .. subcommand is null ? [] : new[] { subcommand }, NewTopic("missing")];

        var result = await Obroker.RunWithInputAsync(Broker, "a record\n", args);

        Assert.True(result.ExitCode == 3, result.ToString());
    }

    [Fact]
    public async Task Benches_report_a_summary_line()
    {
        var topic = NewTopic("bench");

        var produce = await Obroker.RunAsync(Broker, "bench", "produce", topic, "--records", "2000", "--producers", "2", "--partitions", "2");
        var consume = await Obroker.RunAsync(Broker, "bench", "consume", topic, "--records", "2000", "--warmup", "500");
        var e2e = await Obroker.RunAsync(Broker, "bench", "e2e", topic, "--records", "500", "--rate", "2000", "--warmup", "300");

        Assert.True(produce.ExitCode == 0, produce.ToString());
        Assert.Contains(produce.Lines, l => l.StartsWith("bench=produce ", StringComparison.Ordinal) && l.Contains(" records=2000 ", StringComparison.Ordinal));
        Assert.True(consume.ExitCode == 0, consume.ToString());
        Assert.Contains(consume.Lines, l => l.StartsWith("bench=consume ", StringComparison.Ordinal) && l.Contains(" records=2000 ", StringComparison.Ordinal)
            && l.Split(' ').Contains("warmup=500"));
        Assert.True(e2e.ExitCode == 0, e2e.ToString());
        Assert.Contains(e2e.Lines, l => l.StartsWith("bench=e2e ", StringComparison.Ordinal) && l.Contains(" records=500 ", StringComparison.Ordinal)
            && l.Contains(" sent=500 received=500 warmup=300", StringComparison.Ordinal));
    }

    private static string NewTopic(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private async Task CreateTopicAsync(string topic, int partitions)
    {
        var created = await Obroker.RunAsync(Broker, "topics", "create", topic, "--partitions", partitions.ToString(CultureInfo.InvariantCulture));
        Assert.True(created.ExitCode == 0, created.ToString());
    }
}
