namespace OrleansBroker.Grains.State;

/// <summary>A topic's metadata.</summary>
[GenerateSerializer]
[Alias("broker.TopicState")]
public sealed class TopicState
{
    /// <summary>Null when the topic does not exist.</summary>
    [Id(0)]
    public TopicConfig? Config { get; set; }
}

/// <summary>The names of all topics.</summary>
[GenerateSerializer]
[Alias("broker.TopicRegistryState")]
public sealed class TopicRegistryState
{
    /// <summary>Topic names.</summary>
    [Id(0)]
    public SortedSet<string> Topics { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// A consumer group's committed offsets, keyed by <see cref="TopicPartition.ToString"/>, and its membership while the
/// group grain is handed from one activation to the next.
/// </summary>
[GenerateSerializer]
[Alias("broker.ConsumerGroupState")]
public sealed class ConsumerGroupState
{
    /// <summary>The next offset to consume, per partition.</summary>
    [Id(0)]
    public Dictionary<string, long> Offsets { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Written by an activation that deactivates in an orderly way; taken back and cleared by the next one.</summary>
    [Id(1)]
    public GroupMembershipSnapshot? Membership { get; set; }
}
