using Orleans.Concurrency;

namespace OrleansBroker.Grains;

/// <summary>
/// A member of a consumer group, as the group reaches it between heartbeats (a client-side object, registered with
/// <see cref="IGrainFactory.CreateObjectReference{TGrainObserverInterface}(IGrainObserver)"/> and passed in
/// <see cref="JoinGroupRequest.Observer"/>). Notices are best effort: the heartbeat's answer stays the only source of
/// the member's assignment, and a notice that is lost only leaves the member to learn the change at its next heartbeat.
/// </summary>
[Alias("broker.IConsumerGroupObserver")]
public interface IConsumerGroupObserver : IGrainObserver
{
    /// <summary>
    /// The group started a new generation, or freed partitions of the member's target: the member should heartbeat
    /// now instead of at its next interval. One-way: the group neither waits for the member nor learns whether it heard.
    /// </summary>
    [Alias("AssignmentChanged"), OneWay]
    Task AssignmentChangedAsync();
}
