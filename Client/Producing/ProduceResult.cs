namespace OrleansBroker.Client.Producing;

/// <summary>Where an acknowledged record was written.</summary>
/// <param name="TopicPartition">The partition that holds the record.</param>
/// <param name="Offset">The record's offset in that partition.</param>
public readonly record struct ProduceResult(TopicPartition TopicPartition, long Offset);
