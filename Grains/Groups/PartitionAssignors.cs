namespace OrleansBroker.Grains.Groups;

/// <summary>
/// The assignors, as pure functions: members and partition counts in, a partition set per member out. Every
/// partition of a topic that at least one member subscribes to goes to exactly one subscribed member; the result
/// depends only on the input (members are ordered by id), so every activation computes the same assignment.
/// </summary>
public static class PartitionAssignors
{
    public static Dictionary<string, HashSet<TopicPartition>> Assign(
        PartitionAssignor assignor, IReadOnlyCollection<AssignorMember> members, IReadOnlyDictionary<string, int> partitionsPerTopic)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(partitionsPerTopic);
        var ordered = members.OrderBy(m => m.MemberId, StringComparer.Ordinal).ToList();
        var result = ordered.ToDictionary(m => m.MemberId, _ => new HashSet<TopicPartition>(), StringComparer.Ordinal);
        switch (assignor)
        {
            case PartitionAssignor.Range:
                AssignRanges(ordered, partitionsPerTopic, result);
                break;
            case PartitionAssignor.RoundRobin:
                AssignRoundRobin(ordered, partitionsPerTopic, result);
                break;
            case PartitionAssignor.Sticky:
                AssignSticky(ordered, partitionsPerTopic, result);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(assignor), assignor, "Unknown assignor.");
        }

        return result;
    }

    private static IEnumerable<string> SubscribedTopics(List<AssignorMember> members, IReadOnlyDictionary<string, int> partitionsPerTopic) =>
        members.SelectMany(m => m.Topics).Distinct().Where(partitionsPerTopic.ContainsKey).Order(StringComparer.Ordinal);

    private static void AssignRanges(
        List<AssignorMember> members, IReadOnlyDictionary<string, int> partitionsPerTopic, Dictionary<string, HashSet<TopicPartition>> result)
    {
        foreach (var topic in SubscribedTopics(members, partitionsPerTopic))
        {
            var subscribers = members.Where(m => m.Topics.Contains(topic)).ToList();
            var partitions = partitionsPerTopic[topic];
            var share = partitions / subscribers.Count;
            var extra = partitions % subscribers.Count;
            var next = 0;
            for (var i = 0; i < subscribers.Count; i++)
            {
                var count = share + (i < extra ? 1 : 0);
                for (var p = next; p < next + count; p++)
                {
                    result[subscribers[i].MemberId].Add(new TopicPartition(topic, p));
                }

                next += count;
            }
        }
    }

    private static void AssignRoundRobin(
        List<AssignorMember> members, IReadOnlyDictionary<string, int> partitionsPerTopic, Dictionary<string, HashSet<TopicPartition>> result)
    {
        var turn = 0;
        foreach (var topic in SubscribedTopics(members, partitionsPerTopic))
        {
            for (var p = 0; p < partitionsPerTopic[topic]; p++)
            {
                // The next member in circular order that subscribes to the topic; one exists, or the topic would not be listed.
                while (!members[turn % members.Count].Topics.Contains(topic))
                {
                    turn++;
                }

                result[members[turn % members.Count].MemberId].Add(new TopicPartition(topic, p));
                turn++;
            }
        }
    }

    private static void AssignSticky(
        List<AssignorMember> members, IReadOnlyDictionary<string, int> partitionsPerTopic, Dictionary<string, HashSet<TopicPartition>> result)
    {
        // Keep what each member has, where it still subscribes and the partition still exists (the first claim wins).
        var taken = new HashSet<TopicPartition>();
        foreach (var member in members)
        {
            foreach (var partition in member.Current.OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition))
            {
                if (member.Topics.Contains(partition.Topic)
                    && partitionsPerTopic.TryGetValue(partition.Topic, out var count)
                    && partition.Partition < count
                    && taken.Add(partition))
                {
                    result[member.MemberId].Add(partition);
                }
            }
        }

        // Free partitions go to the least loaded subscriber.
        foreach (var topic in SubscribedTopics(members, partitionsPerTopic))
        {
            for (var p = 0; p < partitionsPerTopic[topic]; p++)
            {
                var partition = new TopicPartition(topic, p);
                if (!taken.Contains(partition))
                {
                    result[LeastLoaded(members, result, topic).MemberId].Add(partition);
                }
            }
        }

        // Then move single partitions from the most loaded member to a subscriber with at least two fewer, until none
        // can move: each move lowers the sum of squared loads, so this ends, and it moves no partition it need not.
        bool moved;
        do
        {
            moved = false;
            foreach (var giver in members.OrderByDescending(m => result[m.MemberId].Count).ThenBy(m => m.MemberId, StringComparer.Ordinal))
            {
                var given = result[giver.MemberId];
                var candidate = given
                    .OrderBy(p => p.Topic, StringComparer.Ordinal).ThenByDescending(p => p.Partition)
                    .Select(p => (Partition: p, Taker: LeastLoaded(members, result, p.Topic)))
                    .FirstOrDefault(c => result[c.Taker.MemberId].Count <= given.Count - 2);
                if (candidate.Taker is not null)
                {
                    given.Remove(candidate.Partition);
                    result[candidate.Taker.MemberId].Add(candidate.Partition);
                    moved = true;
                    break;
                }
            }
        }
        while (moved);
    }

    private static AssignorMember LeastLoaded(List<AssignorMember> members, Dictionary<string, HashSet<TopicPartition>> result, string topic) =>
        members.Where(m => m.Topics.Contains(topic)).MinBy(m => result[m.MemberId].Count)!;
}
