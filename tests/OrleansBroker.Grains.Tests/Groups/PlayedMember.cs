namespace OrleansBroker.Grains.Tests.Groups;

/// <summary>A member played by a test: it applies each assignment at once and reports it in its next heartbeat.</summary>
internal sealed class PlayedMember(IConsumerGroupGrain group, GroupAssignment joined, GroupNotices? notices)
{
    /// <summary>The session timeout every played member joins with.</summary>
    public static readonly TimeSpan Session = TimeSpan.FromSeconds(10);

    private GroupAssignment _current = joined;

    public string Id => _current.MemberId;

    public int Generation => _current.Generation;

    public HashSet<TopicPartition> Owned => [.. _current.Assignment];

    /// <summary>What the group told the member, when it joined with an observer.</summary>
    public GroupNotices? Notices => notices;

    public static async Task<PlayedMember> JoinAsync(IConsumerGroupGrain group, string topic, string? instanceId = null, GroupNotices? notices = null) =>
        new(group, await group.JoinAsync(new JoinGroupRequest(null, instanceId, [topic], Session, PartitionAssignor.Sticky, notices?.Reference)), notices);

    public async Task HeartbeatAsync() => _current = await group.HeartbeatAsync(Id, Generation, [.. _current.Assignment]);
}
