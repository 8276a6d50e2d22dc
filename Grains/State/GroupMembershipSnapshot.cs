namespace OrleansBroker.Grains.State;

/// <summary>
/// A consumer group's membership as its grain held it in memory when it deactivated. Partitions are written as
/// <see cref="TopicPartition.ToString"/>, like the committed offsets, so that any grain storage serializer keeps them.
/// </summary>
[GenerateSerializer]
[Alias("broker.GroupMembershipSnapshot")]
public sealed class GroupMembershipSnapshot
{
    /// <summary>When the snapshot was taken: the time until the next activation counts as silence of every member.</summary>
    [Id(0)]
    public DateTimeOffset TakenAt { get; set; }

    [Id(1)]
    public int Generation { get; set; }

    [Id(2)]
    public PartitionAssignor? Assignor { get; set; }

    [Id(3)]
    public List<GroupMemberSnapshot> Members { get; set; } = [];

    /// <summary>Member ids replaced by a member with their group instance id.</summary>
    [Id(4)]
    public List<string> Fenced { get; set; } = [];

    /// <summary>The partition count of each subscribed topic that the targets were computed from.</summary>
    [Id(5)]
    public Dictionary<string, int> PartitionCounts { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One member of a <see cref="GroupMembershipSnapshot"/>.</summary>
[GenerateSerializer]
[Alias("broker.GroupMemberSnapshot")]
public sealed class GroupMemberSnapshot
{
    [Id(0)]
    public string Id { get; set; } = string.Empty;

    [Id(1)]
    public string? InstanceId { get; set; }

    [Id(2)]
    public List<string> Topics { get; set; } = [];

    [Id(3)]
    public TimeSpan SessionTimeout { get; set; }

    /// <summary>How long the member had been silent when the snapshot was taken.</summary>
    [Id(4)]
    public TimeSpan SilentFor { get; set; }

    [Id(5)]
    public List<string> Target { get; set; } = [];

    [Id(6)]
    public List<string> Owned { get; set; } = [];

    /// <summary>The grain id of the member's observer (<see cref="GrainId.ToString"/>), or null for none.</summary>
    [Id(7)]
    public string? Observer { get; set; }
}
