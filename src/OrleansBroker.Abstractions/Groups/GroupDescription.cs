using System.Collections.Immutable;

namespace OrleansBroker;

/// <summary>A consumer group: its members, their assignments and the committed offsets with their lag.</summary>
/// <param name="GroupId">The group.</param>
/// <param name="State">Whether it has members, and whether they own their target assignments.</param>
/// <param name="Generation">The current generation.</param>
/// <param name="Assignor">The assignor in use, or null when the group has no members.</param>
/// <param name="Members">The members.</param>
/// <param name="Partitions">Every partition of the subscribed topics and every partition with a committed offset.</param>
[GenerateSerializer, Immutable]
[Alias("broker.GroupDescription")]
public sealed record GroupDescription(
    [property: Id(0)] string GroupId,
    [property: Id(1)] GroupState State,
    [property: Id(2)] int Generation,
    [property: Id(3)] PartitionAssignor? Assignor,
    [property: Id(4)] ImmutableArray<GroupMemberDescription> Members,
    [property: Id(5)] ImmutableArray<GroupPartitionDescription> Partitions);

/// <summary>One member of a consumer group.</summary>
/// <param name="MemberId">The member's id.</param>
/// <param name="GroupInstanceId">Its static instance id, or null.</param>
/// <param name="Topics">The topics it subscribes to.</param>
/// <param name="Assignment">The partitions it owns now (no other member owns them).</param>
/// <param name="TargetAssignment">The partitions it will own once the current rebalance completes.</param>
[GenerateSerializer, Immutable]
[Alias("broker.GroupMemberDescription")]
public sealed record GroupMemberDescription(
    [property: Id(0)] string MemberId,
    [property: Id(1)] string? GroupInstanceId,
    [property: Id(2)] ImmutableArray<string> Topics,
    [property: Id(3)] ImmutableArray<TopicPartition> Assignment,
    [property: Id(4)] ImmutableArray<TopicPartition> TargetAssignment);

/// <summary>A partition as a consumer group sees it.</summary>
/// <param name="TopicPartition">The partition.</param>
/// <param name="CommittedOffset">The group's committed offset (the next to consume), or null for none.</param>
/// <param name="HighWatermark">The partition's high watermark, or null when the partition does not exist.</param>
/// <param name="Lag">High watermark minus committed offset, or null when either is unknown.</param>
/// <param name="Owner">The id of the member that owns the partition, or null.</param>
[GenerateSerializer, Immutable]
[Alias("broker.GroupPartitionDescription")]
public sealed record GroupPartitionDescription(
    [property: Id(0)] TopicPartition TopicPartition,
    [property: Id(1)] long? CommittedOffset,
    [property: Id(2)] long? HighWatermark,
    [property: Id(3)] long? Lag,
    [property: Id(4)] string? Owner);

/// <summary>The state of a consumer group.</summary>
[GenerateSerializer]
[Alias("broker.GroupState")]
public enum GroupState
{
    /// <summary>No members (its committed offsets may still exist).</summary>
    Empty,

    /// <summary>Some partitions are waiting for their previous owner to give them up.</summary>
    Reconciling,

    /// <summary>Every member owns exactly its target assignment.</summary>
    Stable,
}
