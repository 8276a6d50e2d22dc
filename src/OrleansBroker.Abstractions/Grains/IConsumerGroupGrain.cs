using System.Collections.Immutable;

namespace OrleansBroker.Grains;

/// <summary>
/// A consumer group: the offsets it committed per partition, persisted. Key: the group id.
/// (Membership, generations and partition assignment build on this grain.)
/// </summary>
[Alias("broker.IConsumerGroupGrain")]
public interface IConsumerGroupGrain : IGrainWithStringKey
{
    /// <summary>Stores the next offset to consume for each partition given; durable when the call returns.</summary>
    /// <exception cref="InvalidRequestException">An offset is negative.</exception>
    [Alias("CommitOffsets")]
    Task CommitOffsetsAsync(ImmutableArray<TopicPartitionOffset> offsets);

    /// <summary>The committed offsets of the partitions asked for; partitions without one are left out.</summary>
    [Alias("FetchOffsets")]
    Task<ImmutableArray<TopicPartitionOffset>> FetchOffsetsAsync(ImmutableArray<TopicPartition> partitions);
}
