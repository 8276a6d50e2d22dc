using System.Collections.Immutable;

namespace OrleansBroker.Grains;

/// <summary>
/// The delivery state of one partition in one queue group. Key: <c>{group}/{topic}/{partition}</c>
/// (<see cref="QueuePartitionId.ToString"/>). Members compete for its records one by one: a record is leased
/// to one member, then acknowledged, released or rejected; an expired lease makes it available again.
/// </summary>
[Alias("broker.IQueueGrain")]
public interface IQueueGrain : IGrainWithStringKey
{
    /// <summary>
    /// Leases up to <paramref name="maxRecords"/> available records to <paramref name="memberId"/> for
    /// <paramref name="leaseDuration"/>. When none is available, waits up to <paramref name="maxWait"/> for one
    /// (a long poll that blocks neither appends nor other calls); returns <see cref="QueueLease.Empty"/> when the wait ends first.
    /// A record already delivered the maximum number of times goes to the dead-letter topic instead.
    /// </summary>
    /// <exception cref="UnknownTopicOrPartitionException">The partition does not exist.</exception>
    /// <exception cref="InvalidRequestException">An argument is out of range.</exception>
    [Alias("Acquire")]
    ValueTask<QueueLease> AcquireAsync(string memberId, int maxRecords, TimeSpan leaseDuration, TimeSpan maxWait);

    /// <summary>Marks records leased to <paramref name="memberId"/> done; completes once that is durable.</summary>
    /// <exception cref="InvalidRecordStateException">A record is not leased to the member; nothing changed.</exception>
    [Alias("Acknowledge")]
    ValueTask AcknowledgeAsync(string memberId, ImmutableArray<long> offsets);

    /// <summary>Gives leased records back: they are delivered again at once, or after <paramref name="delay"/>.</summary>
    /// <exception cref="InvalidRecordStateException">A record is not leased to the member; nothing changed.</exception>
    [Alias("Release")]
    ValueTask ReleaseAsync(string memberId, ImmutableArray<long> offsets, TimeSpan delay);

    /// <summary>Writes leased records to the dead-letter topic with <paramref name="reason"/>; they are then done.</summary>
    /// <exception cref="InvalidRecordStateException">A record is not leased to the member; nothing changed.</exception>
    [Alias("Reject")]
    ValueTask RejectAsync(string memberId, ImmutableArray<long> offsets, string reason);

    /// <summary>The partition's delivery state: start offset, and in-flight, available, acknowledged and dead-lettered counts.</summary>
    /// <exception cref="UnknownTopicOrPartitionException">The partition does not exist.</exception>
    [Alias("Describe")]
    ValueTask<QueuePartitionDescription> DescribeAsync();
}
