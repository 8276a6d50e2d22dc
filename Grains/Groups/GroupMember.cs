using System.Collections.Immutable;

namespace OrleansBroker.Grains.Groups;

/// <summary>A member of a consumer group, in the group grain's memory.</summary>
internal sealed class GroupMember(string id, string? instanceId)
{
    /// <summary>The member id; a static member's rejoin gives its place a new one.</summary>
    public string Id { get; set; } = id;

    public string? InstanceId => instanceId;

    public ImmutableArray<string> Topics { get; set; } = [];

    public TimeSpan SessionTimeout { get; set; }

    /// <summary>Where the member hears that it should heartbeat now, or null: it learns at its next heartbeat only.</summary>
    public IConsumerGroupObserver? Observer { get; set; }

    /// <summary>When the member last joined or heartbeated (a <see cref="TimeProvider"/> timestamp).</summary>
    public long LastSeen { get; set; }

    /// <summary>What the assignor gave the member in the current generation.</summary>
    public HashSet<TopicPartition> Target { get; set; } = [];

    /// <summary>What the member owns now: no other member owns these. Differs from the target while it reconciles.</summary>
    public HashSet<TopicPartition> Owned { get; } = [];
}
