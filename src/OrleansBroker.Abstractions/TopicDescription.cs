using System.Collections.Immutable;

namespace OrleansBroker;

/// <summary>What a client needs to route records to a topic: its partition count and settings.</summary>
[GenerateSerializer, Immutable]
[Alias("broker.TopicMetadata")]
public sealed record TopicMetadata(
    [property: Id(0)] string Name,
    [property: Id(1)] TopicConfig Config);

/// <summary>A topic with the state of each partition.</summary>
[GenerateSerializer, Immutable]
[Alias("broker.TopicDescription")]
public sealed record TopicDescription(
    [property: Id(0)] string Name,
    [property: Id(1)] TopicConfig Config,
    [property: Id(2)] ImmutableArray<PartitionInfo> Partitions);

/// <summary>The offsets and size of one partition, and the epoch of the activation that owns its log.</summary>
[GenerateSerializer, Immutable]
[Alias("broker.PartitionInfo")]
public sealed record PartitionInfo(
    [property: Id(0)] int Partition,
    [property: Id(1)] long LogStartOffset,
    [property: Id(2)] long HighWatermark,
    [property: Id(3)] long SizeInBytes,
    [property: Id(4)] int Epoch);
