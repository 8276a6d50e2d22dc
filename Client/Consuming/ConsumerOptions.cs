namespace OrleansBroker.Client.Consuming;

/// <summary>How a <see cref="Consumer"/> fetches, starts and commits.</summary>
public sealed record ConsumerOptions
{
    /// <summary>The defaults: no group, start at the earliest offset.</summary>
    public static ConsumerOptions Default { get; } = new();

    /// <summary>The consumer group whose committed offsets the consumer resumes from and commits to; null for none. Default: null.</summary>
    public string? GroupId { get; init; }

    /// <summary>Where to start a partition without a committed offset, or whose offset is out of range. Default: <see cref="AutoOffsetReset.Earliest"/>.</summary>
    public AutoOffsetReset AutoOffsetReset { get; init; } = AutoOffsetReset.Earliest;

    /// <summary>Commit positions automatically every <see cref="AutoCommitInterval"/> and on dispose (needs a group). Default: true.</summary>
    public bool EnableAutoCommit { get; init; } = true;

    /// <summary>How often positions are committed automatically. Default: 5 s.</summary>
    public TimeSpan AutoCommitInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The most bytes one fetch of one partition returns (at least one whole batch). Default: 4194304 (4 MiB).</summary>
    public int MaxFetchBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>How long a fetch waits on the broker for new records before it returns empty. Default: 500 ms.</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The pause before fetching again after a retriable error (a partition moving between silos). Default: 100 ms.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>With <see cref="Consumer.SubscribeAsync"/>: how long the group waits for a heartbeat before it removes the member. Default: 45 s.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>With <see cref="Consumer.SubscribeAsync"/>: the assignor; every member of a group must use the same. Default: <see cref="PartitionAssignor.Sticky"/>.</summary>
    public PartitionAssignor Assignor { get; init; } = PartitionAssignor.Sticky;

    /// <summary>
    /// With <see cref="Consumer.SubscribeAsync"/>: a static group instance id, or null. A restarted consumer with the same
    /// id takes its old place and partitions without a rebalance; a static member does not leave the group when disposed
    /// (its partitions wait for it until its session times out). Default: null.
    /// </summary>
    public string? GroupInstanceId { get; init; }

    /// <summary>
    /// Called from <see cref="Consumer.ConsumeAsync"/>, between records, after the group gave the consumer partitions
    /// and before their first record. Default: null.
    /// </summary>
    public Func<IReadOnlyCollection<TopicPartition>, Task>? PartitionsAssigned { get; init; }

    /// <summary>
    /// Called from <see cref="Consumer.ConsumeAsync"/>, between records, before the consumer gives partitions back to
    /// the group: their positions are still readable and committable here (auto-commit commits them right after).
    /// Default: null.
    /// </summary>
    public Func<IReadOnlyCollection<TopicPartition>, Task>? PartitionsRevoked { get; init; }

    /// <summary>
    /// Called from <see cref="Consumer.ConsumeAsync"/> when the consumer learns the group no longer has it as a member
    /// (its session expired, or the group moved): its partitions may already belong to others, so nothing is committed.
    /// The consumer then rejoins. Default: null.
    /// </summary>
    public Func<IReadOnlyCollection<TopicPartition>, Task>? PartitionsLost { get; init; }
}

/// <summary>Where a partition without a usable position starts.</summary>
public enum AutoOffsetReset
{
    /// <summary>At the log start offset: every retained record.</summary>
    Earliest,

    /// <summary>At the high watermark: only records produced from now on.</summary>
    Latest,
}
