using OrleansBroker.Client.Producing;

namespace OrleansBroker.Cli.Bench;

/// <summary>What one bench run does, from the command line.</summary>
/// <param name="Topic">The topic; created with <paramref name="Partitions"/> partitions when missing.</param>
/// <param name="Records">How many records to produce or read.</param>
/// <param name="RecordSize">The size of each value in bytes.</param>
/// <param name="Producers">How many producers share the records (produce bench).</param>
/// <param name="Rate">Records per second (e2e bench).</param>
/// <param name="Partitions">The partition count of a topic the bench creates (after <see cref="WithTopicPartitionsAsync"/>, the count it has); the summary reports it when above 0.</param>
/// <param name="Consumers">How many consumers share the group (group bench).</param>
internal sealed record BenchSettings(string Topic, long Records, int RecordSize, int Producers, int Rate, int Partitions, int Consumers)
{
    /// <summary>A bench that stops receiving records ends and reports what it read rather than hang.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Records produced or read before the clock starts (<c>--warmup</c>), so the code is compiled and the partitions are open when it does.</summary>
    public long Warmup { get; init; }

    /// <summary>The options of the bench's producers (<c>--linger</c>).</summary>
    public ProducerOptions Producer { get; init; } = new();

    /// <summary>A file the run's summary is appended to as one JSON object per line (<c>--json</c>), or null.</summary>
    public string? JsonPath { get; init; }

    /// <summary>Where finished runs' summaries are collected too (<c>bench scale</c> builds its table from them), or null.</summary>
    public ICollection<BenchSummary>? Summaries { get; init; }

    /// <summary>The transport ceiling measured before the run (<c>--with-ceiling</c>), which the summary compares the run's rate with, or null.</summary>
    public double? CeilingRecordsPerSecond { get; init; }

    /// <summary>How many records a reading bench reads: <see cref="Records"/>, capped by what the topic holds; 0 (said on standard error) when it holds none.</summary>
    public async Task<long> ReadTargetAsync(Client.BrokerClient client)
    {
        var description = await client.Admin.DescribeTopicAsync(Topic);
        var target = Math.Min(Records, description.Partitions.Sum(p => p.HighWatermark - p.LogStartOffset));
        if (target == 0)
        {
            await Console.Error.WriteLineAsync($"obroker: topic '{Topic}' has no records to read; run 'obroker bench produce' first.");
        }

        return target;
    }

    /// <summary>Creates the topic when missing and returns these settings with the partition count it really has, which the summary reports.</summary>
    public async Task<BenchSettings> WithTopicPartitionsAsync(Client.BrokerClient client)
    {
        await EnsureTopicAsync(client);
        var description = await client.Admin.DescribeTopicAsync(Topic);
        return this with { Partitions = description.Partitions.Length };
    }

    public async Task EnsureTopicAsync(Client.BrokerClient client)
    {
        try
        {
            await client.Admin.CreateTopicAsync(Topic, TopicConfig.Default with { Partitions = Partitions });
        }
        catch (TopicAlreadyExistsException)
        {
            // Benches reuse a topic: produce then consume read the same one.
        }
    }
}
