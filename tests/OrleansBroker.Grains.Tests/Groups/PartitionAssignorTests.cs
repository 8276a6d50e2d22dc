using CsCheck;
using OrleansBroker.Grains.Groups;

namespace OrleansBroker.Grains.Tests.Groups;

public sealed class PartitionAssignorTests
{
    private static readonly Dictionary<string, int> TwoTopics = new(StringComparer.Ordinal) { ["a"] = 3, ["b"] = 3 };

    [Fact]
    public void Range_gives_each_member_a_contiguous_range_of_each_topic()
    {
        var result = PartitionAssignors.Assign(PartitionAssignor.Range, [Member("m1", "a", "b"), Member("m2", "a", "b")], TwoTopics);

        Assert.Equal(["a/0", "a/1", "b/0", "b/1"], Names(result["m1"]));
        Assert.Equal(["a/2", "b/2"], Names(result["m2"]));
    }

    [Fact]
    public void Round_robin_deals_all_partitions_in_turn()
    {
        var result = PartitionAssignors.Assign(PartitionAssignor.RoundRobin, [Member("m1", "a", "b"), Member("m2", "a", "b")], TwoTopics);

        Assert.Equal(["a/0", "a/2", "b/1"], Names(result["m1"]));
        Assert.Equal(["a/1", "b/0", "b/2"], Names(result["m2"]));
    }

    [Fact]
    public void Round_robin_skips_members_that_do_not_subscribe_to_a_topic()
    {
        var result = PartitionAssignors.Assign(PartitionAssignor.RoundRobin, [Member("m1", "a"), Member("m2", "a", "b")], TwoTopics);

        Assert.Equal(["a/0", "a/2"], Names(result["m1"]));
        Assert.Equal(["a/1", "b/0", "b/1", "b/2"], Names(result["m2"]));
    }

    [Fact]
    public void Sticky_moves_only_the_partitions_of_a_member_that_left()
    {
        var before = PartitionAssignors.Assign(PartitionAssignor.Sticky, [Member("m1", "a", "b"), Member("m2", "a", "b"), Member("m3", "a", "b")], TwoTopics);

        var after = PartitionAssignors.Assign(
            PartitionAssignor.Sticky, [Member("m1", before["m1"], "a", "b"), Member("m3", before["m3"], "a", "b")], TwoTopics);

        Assert.Superset(before["m1"], after["m1"]);
        Assert.Superset(before["m3"], after["m3"]);
        Assert.Equal(3, after["m1"].Count);
        Assert.Equal(3, after["m3"].Count);
    }

    [Fact]
    public void Sticky_gives_a_new_member_its_share_taken_from_the_most_loaded()
    {
        var before = PartitionAssignors.Assign(PartitionAssignor.Sticky, [Member("m1", "a", "b"), Member("m2", "a", "b")], TwoTopics);

        var after = PartitionAssignors.Assign(
            PartitionAssignor.Sticky, [Member("m1", before["m1"], "a", "b"), Member("m2", before["m2"], "a", "b"), Member("m3", "a", "b")], TwoTopics);

        Assert.Equal([2, 2, 2], new[] { after["m1"].Count, after["m2"].Count, after["m3"].Count });
        Assert.Superset(after["m1"], before["m1"]);
        Assert.Superset(after["m2"], before["m2"]);
    }

    [Fact]
    public void Every_assignor_gives_every_partition_to_exactly_one_subscribed_member_and_balances_equal_subscriptions()
    {
        var gen =
            from assignor in Gen.Enum<PartitionAssignor>()
            from members in Gen.Int[1, 6]
            from partitions in Gen.Int[1, 20]
            from previous in Gen.Int[0, 6]
            select (assignor, members, partitions, previous);
        gen.Sample(c =>
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal) { ["t"] = c.partitions };

            // A previous assignment among a different member set, so sticky starts from something to keep.
            var earlier = PartitionAssignors.Assign(
                c.assignor, [.. Enumerable.Range(0, c.previous + 1).Select(i => Member($"m{i}", "t"))], counts);
            var members = Enumerable.Range(0, c.members)
                .Select(i => Member($"m{i}", earlier.TryGetValue($"m{i}", out var had) ? had : [], "t"))
                .ToList();

            var result = PartitionAssignors.Assign(c.assignor, members, counts);

            var all = result.Values.SelectMany(p => p).ToList();
            Assert.Equal(c.partitions, all.Count);
            Assert.Equal(c.partitions, all.Distinct().Count());
            Assert.True(result.Values.Max(p => p.Count) - result.Values.Min(p => p.Count) <= 1);
        });
    }

    private static AssignorMember Member(string id, params string[] topics) => Member(id, [], topics);

    private static AssignorMember Member(string id, HashSet<TopicPartition> current, params string[] topics) =>
        new(id, topics.ToHashSet(StringComparer.Ordinal), current);

    private static string[] Names(HashSet<TopicPartition> partitions) =>
        [.. partitions.Select(p => p.ToString()).Order(StringComparer.Ordinal)];
}
