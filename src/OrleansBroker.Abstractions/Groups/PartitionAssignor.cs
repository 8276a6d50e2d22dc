namespace OrleansBroker;

/// <summary>How a consumer group spreads the partitions of its subscribed topics over its members.</summary>
[GenerateSerializer]
[Alias("broker.PartitionAssignor")]
public enum PartitionAssignor
{
    /// <summary>Per topic, each member takes a contiguous range of partitions (Kafka's range assignor).</summary>
    Range,

    /// <summary>All partitions, in topic and partition order, dealt to the members in turn.</summary>
    RoundRobin,

    /// <summary>Balanced, and moves as few partitions as possible away from their current owners.</summary>
    Sticky,
}
