using OrleansBroker.Grains;
using OrleansBroker.Records;

namespace OrleansBroker.Client.Producing;

/// <summary>A topic's partitions as the producer sees them: one queue per partition, and how to pick one.</summary>
internal sealed class TopicRoute
{
    private int _stickyPartition = -1;

    private long _createdTimestamp;

    /// <summary>Routes a topic; partitions already routed by <paramref name="existing"/> keep their queues.</summary>
    public TopicRoute(TopicMetadata metadata, int maxBatchBytes, IGrainFactory grainFactory, long createdTimestamp, PartitionQueue[] existing)
    {
        Name = metadata.Name;
        MaxBatchBytes = maxBatchBytes;
        _createdTimestamp = createdTimestamp;
        Queues = new PartitionQueue[metadata.Config.Partitions];
        existing.CopyTo(Queues, 0);
        for (var i = existing.Length; i < Queues.Length; i++)
        {
            var topicPartition = new TopicPartition(Name, i);
            Queues[i] = new PartitionQueue(topicPartition, grainFactory.GetGrain<IPartitionGrain>(topicPartition.ToString()), maxBatchBytes);
        }
    }

    public string Name { get; }

    /// <summary>When the route's metadata was last fetched (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    public long CreatedTimestamp => Volatile.Read(ref _createdTimestamp);

    public int MaxBatchBytes { get; }

    public PartitionQueue[] Queues { get; }

    /// <summary>The caller's partition, else the key's murmur2 partition, else the sticky one.</summary>
    public PartitionQueue Choose(int partition, ReadOnlyMemory<byte>? key, StickyPartitioner sticky)
    {
        if (partition >= 0)
        {
            return partition < Queues.Length
                ? Queues[partition]
                : throw new UnknownTopicOrPartitionException($"Topic '{Name}' has {Queues.Length} partitions; there is no partition {partition}.");
        }

        if (key is { } k)
        {
            return Queues[DefaultPartitioner.Partition(k.Span, Queues.Length)];
        }

        // The sticky choice is cached here and changes only when a batch completes, so keyless records take no lock.
        var current = Volatile.Read(ref _stickyPartition);
        if (current < 0)
        {
            current = sticky.Partition(Name, Queues.Length);
            Volatile.Write(ref _stickyPartition, current);
        }

        return Queues[current];
    }

    public void MarkRefreshed(long timestamp) => Volatile.Write(ref _createdTimestamp, timestamp);

    /// <summary>A batch of the sticky partition filled up: keyless records move to another partition.</summary>
    public void StickyBatchCompleted(StickyPartitioner sticky, int partition) =>
        Volatile.Write(ref _stickyPartition, sticky.BatchCompleted(Name, Queues.Length, partition));
}
