using System.Collections.Immutable;
using OrleansBroker.Grains;

namespace OrleansBroker;

/// <summary>A consumer joining a group, or a member changing its subscription.</summary>
/// <param name="MemberId">The member's id to update its subscription, or null for a new member.</param>
/// <param name="GroupInstanceId">
/// A static instance id, or null: a member that rejoins with the instance id of a current member takes over its
/// place and assignment without a rebalance, and the old member id is fenced.
/// </param>
/// <param name="Topics">The topics the member subscribes to.</param>
/// <param name="SessionTimeout">How long the member may go without a heartbeat before the group removes it.</param>
/// <param name="Assignor">The assignor the member asks for; all members of a group must ask for the same one.</param>
/// <param name="Observer">
/// Where the group tells the member to heartbeat at once, when a rebalance starts or partitions of its target are freed;
/// or null, and the member learns of both at its next heartbeat only.
/// </param>
[GenerateSerializer, Immutable]
[Alias("broker.JoinGroupRequest")]
public sealed record JoinGroupRequest(
    [property: Id(0)] string? MemberId,
    [property: Id(1)] string? GroupInstanceId,
    [property: Id(2)] ImmutableArray<string> Topics,
    [property: Id(3)] TimeSpan SessionTimeout,
    [property: Id(4)] PartitionAssignor Assignor,
    [property: Id(5)] IConsumerGroupObserver? Observer = null);

/// <summary>A member's view of the group: its id, the group's generation and the partitions it may own now.</summary>
/// <param name="MemberId">The member's id, to send with every later call.</param>
/// <param name="Generation">The group's generation (bumped whenever the target assignment is recomputed).</param>
/// <param name="Assignment">
/// The partitions the member may own now. A partition of the member's target is only listed once its previous
/// owner has given it up; a partition missing from the list must be committed and given up.
/// </param>
/// <param name="HeartbeatInterval">How often the member should heartbeat.</param>
[GenerateSerializer, Immutable]
[Alias("broker.GroupAssignment")]
public sealed record GroupAssignment(
    [property: Id(0)] string MemberId,
    [property: Id(1)] int Generation,
    [property: Id(2)] ImmutableArray<TopicPartition> Assignment,
    [property: Id(3)] TimeSpan HeartbeatInterval);
