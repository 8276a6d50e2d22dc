namespace OrleansBroker.Grains.Groups;

/// <summary>A member as an assignor sees it: its subscription and the partitions it has now (for stickiness).</summary>
public sealed record AssignorMember(string MemberId, IReadOnlySet<string> Topics, IReadOnlySet<TopicPartition> Current);
