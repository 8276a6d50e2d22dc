using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using OrleansBroker.Client;
using OrleansBroker.Client.Queues;
using OrleansBroker.Grains.Tests.Cluster;
using OrleansBroker.Records;

namespace OrleansBroker.Grains.Tests.Queues;

/// <summary>Topics filled with numbered records, and members that read a queue group and tell who got what.</summary>
internal static class QueueTestData
{
    public static string NewGroup() => $"q-{Guid.NewGuid():N}";

    /// <summary>Creates a topic and writes <paramref name="count"/> records, "r{i}", spread round-robin over its partitions.</summary>
    public static async Task<string> CreateTopicWithRecordsAsync(BrokerClient broker, int partitions, int count)
    {
        var topic = Cluster.BrokerClusterFixture.NewTopic("queue");
        await broker.Admin.CreateTopicAsync(topic, new TopicConfig { Partitions = partitions });
        await using var producer = broker.CreateProducer();
        await Task.WhenAll(Enumerable.Range(0, count).Select(i =>
            producer.ProduceAsync(new TopicPartition(topic, i % partitions), null, Encoding.UTF8.GetBytes(Value(i))).AsTask()));
        return topic;
    }

    public static string Value(int i) => string.Create(CultureInfo.InvariantCulture, $"r{i}");

    public static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

    public static IQueueGrain Grain(IGrainFactory grains, string group, string topic, int partition) =>
        grains.GetGrain<IQueueGrain>(new QueuePartitionId(group, new TopicPartition(topic, partition)).ToString());

    /// <summary>The values of the records a lease holds, by offset.</summary>
    public static Dictionary<long, string> Values(QueueLease lease)
    {
        var values = new Dictionary<long, string>();
        var reader = new RecordBatchReader(lease.Batches);
        while (reader.TryReadNext(out var record))
        {
            if (lease.Offsets.Contains(record.Offset))
            {
                values[record.Offset] = Text(record.Value);
            }
        }

        return values;
    }

    /// <summary>Reads a topic's partition 0 from the beginning until <paramref name="count"/> records came.</summary>
    public static async Task<List<(string Value, Dictionary<string, string> Headers)>> ReadAsync(BrokerClient broker, string topic, int count)
    {
        await using var consumer = broker.CreateConsumer();
        await consumer.AssignAsync([new TopicPartition(topic, 0)], TestContext.Current.CancellationToken);
        var records = new List<(string, Dictionary<string, string>)>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Patience.Records);
        await foreach (var result in consumer.ConsumeAsync(timeout.Token))
        {
            records.Add((Text(result.Record.Value), result.Headers.ToArray().ToDictionary(h => h.Key, h => Text(h.Value!.Value))));
            if (records.Count == count)
            {
                break;
            }
        }

        return records;
    }

    /// <summary>
    /// Runs members that acknowledge every record until <paramref name="total"/> records are acknowledged, and checks
    /// that no record is handed to a member while another member holds it. Returns the acknowledged values.
    /// </summary>
    public static async Task<ConcurrentBag<string>> AcknowledgeAllAsync(IReadOnlyList<QueueConsumer> members, int total, CancellationToken cancellationToken)
    {
        var acknowledged = new ConcurrentBag<string>();
        var holders = new ConcurrentDictionary<(int, long), string>();
        var remaining = total;
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await Task.WhenAll(members.Select(member => Task.Run(
            async () =>
            {
                try
                {
                    await foreach (var record in member.ConsumeAsync(done.Token))
                    {
                        var key = (record.TopicPartition.Partition, record.Offset);
                        Assert.True(holders.TryAdd(key, member.MemberId), $"Record {key} was handed to {member.MemberId} while {holders.GetValueOrDefault(key)} held it.");
                        acknowledged.Add(Text(record.Value!.Value));
                        await record.AckAsync();
                        if (Interlocked.Decrement(ref remaining) == 0)
                        {
                            await done.CancelAsync();
                        }
                    }
                }
                catch (OperationCanceledException) when (done.IsCancellationRequested)
                {
                    // Every record was acknowledged.
                }

                await member.CommitAsync(cancellationToken);
            },
            cancellationToken)));
        return acknowledged;
    }
}
