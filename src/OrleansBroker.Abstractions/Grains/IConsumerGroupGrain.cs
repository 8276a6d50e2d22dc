using System.Collections.Immutable;

namespace OrleansBroker.Grains;

/// <summary>
/// A consumer group. Key: the group id. Members join, heartbeat and leave; the grain computes a target assignment
/// with the group's assignor whenever membership or subscriptions change (a new generation), and hands a partition
/// to its new owner only after the previous owner reported, in a heartbeat, that it gave it up: a partition never
/// has two owners. Committed offsets are persisted; membership lives in memory (after a failover, heartbeats answer
/// <see cref="UnknownMemberException"/> and members rejoin).
/// </summary>
[Alias("broker.IConsumerGroupGrain")]
public interface IConsumerGroupGrain : IGrainWithStringKey
{
    /// <summary>
    /// Commits offsets without membership (manual assignment): the next offset to consume per partition, durable when
    /// the call returns. A lower offset than the one committed is ignored.
    /// </summary>
    /// <exception cref="InvalidRequestException">An offset is negative.</exception>
    /// <exception cref="UnknownMemberException">The group has members: they commit with their member id.</exception>
    [Alias("CommitOffsets")]
    Task CommitOffsetsAsync(ImmutableArray<TopicPartitionOffset> offsets);

    /// <summary>
    /// Commits offsets as a member: every partition must be owned by the member, and the generation must be the
    /// current one. A rejected commit changes nothing; a lower offset than the one committed is ignored.
    /// </summary>
    /// <exception cref="UnknownMemberException">The member is not in the group.</exception>
    /// <exception cref="FencedInstanceIdException">Another member took over the member's static instance id.</exception>
    /// <exception cref="IllegalGenerationException">The generation is not the current one, or a partition is not the member's.</exception>
    /// <exception cref="InvalidRequestException">An offset is negative.</exception>
    [Alias("CommitMemberOffsets")]
    Task CommitOffsetsAsync(string memberId, int generation, ImmutableArray<TopicPartitionOffset> offsets);

    /// <summary>The committed offsets of the partitions asked for; partitions without one are left out.</summary>
    [Alias("FetchOffsets")]
    Task<ImmutableArray<TopicPartitionOffset>> FetchOffsetsAsync(ImmutableArray<TopicPartition> partitions);

    /// <summary>Adds a member (or updates a member's subscription) and answers with what it may own now.</summary>
    /// <exception cref="UnknownMemberException">The request names a member id the group does not know.</exception>
    /// <exception cref="FencedInstanceIdException">The request names a member id fenced by a static member's rejoin.</exception>
    /// <exception cref="InvalidRequestException">No topics, a bad session timeout, or an assignor other than the group's.</exception>
    [Alias("Join")]
    Task<GroupAssignment> JoinAsync(JoinGroupRequest request);

    /// <summary>
    /// Keeps a member alive and reports what it owns. <paramref name="generation"/> is the generation of the
    /// assignment the member has applied; a partition it was asked to give up is released to its new owner once the
    /// member reports, at the current generation, that it no longer owns it.
    /// </summary>
    /// <exception cref="UnknownMemberException">The member is not (or no longer) in the group: rejoin.</exception>
    /// <exception cref="FencedInstanceIdException">Another member took over the member's static instance id.</exception>
    [Alias("Heartbeat")]
    Task<GroupAssignment> HeartbeatAsync(string memberId, int generation, ImmutableArray<TopicPartition> owned);

    /// <summary>Removes a member; its partitions go to the others at once. Unknown members are ignored.</summary>
    [Alias("Leave")]
    Task LeaveAsync(string memberId);

    /// <summary>The group's state, members, assignment, and per partition the committed offset, high watermark and lag.</summary>
    [Alias("Describe")]
    Task<GroupDescription> DescribeAsync();

    /// <summary>Sets committed offsets, backwards as well as forwards; only while the group has no members.</summary>
    /// <exception cref="NonEmptyGroupException">The group has members.</exception>
    /// <exception cref="InvalidRequestException">An offset is negative.</exception>
    [Alias("ResetOffsets")]
    Task ResetOffsetsAsync(ImmutableArray<TopicPartitionOffset> offsets);
}
