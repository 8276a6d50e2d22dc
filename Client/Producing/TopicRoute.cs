using OrleansBroker.Grains;
using OrleansBroker.Records;

namespace OrleansBroker.Client.Producing;

/// <summary>A topic's partitions as the producer sees them: one queue per partition, and how to pick one.</summary>
internal sealed class TopicRoute
{
    public TopicRoute(TopicMetadata metadata, int maxBatchBytes, IGrainFactory grainFactory)
    {
        Name = metadata.Name;
        MaxBatchBytes = maxBatchBytes;
        Queues = new PartitionQueue[metadata.Config.Partitions];
        for (var i = 0; i < Queues.Length; i++)
        {
            var topicPartition = new TopicPartition(Name, i);
            Queues[i] = new PartitionQueue(topicPartition, grainFactory.GetGrain<IPartitionGrain>(topicPartition.ToString()), maxBatchBytes);
        }
    }

    public string Name { get; }

    public int MaxBatchBytes { get; }

    public PartitionQueue[] Queues { get; }

    public int PartitionCount => Queues.Length;

    /// <summary>The caller's partition, else the key's murmur2 partition, else the sticky one.</summary>
    public PartitionQueue Choose(int partition, ReadOnlyMemory<byte>? key, StickyPartitioner sticky)
    {
        if (partition >= 0)
        {
            return partition < Queues.Length
                ? Queues[partition]
                : throw new UnknownTopicOrPartitionException($"Topic '{Name}' has {Queues.Length} partitions; there is no partition {partition}.");
        }

        return Queues[key is { } k ? DefaultPartitioner.Partition(k.Span, Queues.Length) : sticky.Partition(Name, Queues.Length)];
    }
}
