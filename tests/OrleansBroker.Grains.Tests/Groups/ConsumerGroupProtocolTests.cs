using OrleansBroker.Grains.Tests.Cluster;

namespace OrleansBroker.Grains.Tests.Groups;

/// <summary>The group grain's protocol, driven call by call: each test plays the members itself.</summary>
[Collection(GroupClusterDefinition.Name)]
public sealed class ConsumerGroupProtocolTests(GroupClusterFixture fixture)
{
    private static readonly TimeSpan Session = PlayedMember.Session;

    [Fact]
    public async Task Each_partition_has_at_most_one_owner_in_every_step_while_members_join_and_leave()
    {
        var (group, topic) = await NewGroupAsync(partitions: 6);
        var a = await PlayedMember.JoinAsync(group, topic);
        await AssertExclusiveAsync(group, a);
        Assert.Equal(6, a.Owned.Count);

        var b = await PlayedMember.JoinAsync(group, topic);
        var c = await PlayedMember.JoinAsync(group, topic);
        await SettleAsync(group, a, b, c);
        Assert.Equal([2, 2, 2], new[] { a.Owned.Count, b.Owned.Count, c.Owned.Count });

        await group.LeaveAsync(b.Id);
        await SettleAsync(group, a, c);
        Assert.Equal(6, a.Owned.Count + c.Owned.Count);
        var described = await group.DescribeAsync();
        Assert.Equal(GroupState.Stable, described.State);
        Assert.All(described.Partitions, p => Assert.NotNull(p.Owner));
    }

    [Fact]
    public async Task A_member_that_stops_heartbeating_loses_its_partitions_after_the_session_timeout()
    {
        var (group, topic) = await NewGroupAsync(partitions: 6);
        var a = await PlayedMember.JoinAsync(group, topic);
        var b = await PlayedMember.JoinAsync(group, topic);
        var c = await PlayedMember.JoinAsync(group, topic);
        await SettleAsync(group, a, b, c);
        var lost = c.Owned.ToHashSet();

        // c goes silent; a and b keep heartbeating within their session, across more than c's session.
        fixture.Clock.Advance(Session * 0.6);
        await a.HeartbeatAsync();
        await b.HeartbeatAsync();
        Assert.Equal(3, (await group.DescribeAsync()).Members.Length);
        fixture.Clock.Advance(Session * 0.6);
        await a.HeartbeatAsync();
        await b.HeartbeatAsync();

        var described = await group.DescribeAsync();
        Assert.Equal(new[] { a.Id, b.Id }.Order(StringComparer.Ordinal), described.Members.Select(m => m.MemberId).Order(StringComparer.Ordinal));
        await Assert.ThrowsAsync<UnknownMemberException>(() => c.HeartbeatAsync());
        await SettleAsync(group, a, b);
        Assert.Subset(a.Owned.Concat(b.Owned).ToHashSet(), lost);
        Assert.Equal(6, a.Owned.Count + b.Owned.Count);
    }

    [Fact]
    public async Task Commits_from_an_unknown_member_a_stale_generation_or_for_another_members_partition_are_rejected_and_change_nothing()
    {
        var (group, topic) = await NewGroupAsync(partitions: 2);
        var a = await PlayedMember.JoinAsync(group, topic);
        var mine = a.Owned.First();
        await group.CommitOffsetsAsync(a.Id, a.Generation, [new TopicPartitionOffset(mine, 5)]);
        var b = await PlayedMember.JoinAsync(group, topic);
        await SettleAsync(group, a, b);
        var theirs = b.Owned.Single();
        var staleGeneration = a.Generation - 1;

        await Assert.ThrowsAsync<UnknownMemberException>(() => group.CommitOffsetsAsync("nobody", a.Generation, [new TopicPartitionOffset(mine, 9)]));
        await Assert.ThrowsAsync<IllegalGenerationException>(() => group.CommitOffsetsAsync(a.Id, staleGeneration, [new TopicPartitionOffset(a.Owned.Single(), 9)]));
        await Assert.ThrowsAsync<IllegalGenerationException>(() => group.CommitOffsetsAsync(a.Id, a.Generation, [new TopicPartitionOffset(theirs, 9)]));
        await Assert.ThrowsAsync<UnknownMemberException>(() => group.CommitOffsetsAsync([new TopicPartitionOffset(mine, 9)]));

        var committed = await group.FetchOffsetsAsync([new TopicPartition(topic, 0), new TopicPartition(topic, 1)]);
        Assert.Equal([new TopicPartitionOffset(mine, 5)], committed);
    }

    [Fact]
    public async Task Committed_offsets_never_go_backwards_except_through_a_reset()
    {
        var (group, topic) = await NewGroupAsync(partitions: 1);
        var partition = new TopicPartition(topic, 0);
        var a = await PlayedMember.JoinAsync(group, topic);

        await group.CommitOffsetsAsync(a.Id, a.Generation, [new TopicPartitionOffset(partition, 7)]);
        await group.CommitOffsetsAsync(a.Id, a.Generation, [new TopicPartitionOffset(partition, 3)]);
        var afterLowerCommit = await group.FetchOffsetsAsync([partition]);
        await group.LeaveAsync(a.Id);
        await group.ResetOffsetsAsync([new TopicPartitionOffset(partition, 2)]);
        var afterReset = await group.FetchOffsetsAsync([partition]);

        Assert.Equal(7, afterLowerCommit.Single().Offset);
        Assert.Equal(2, afterReset.Single().Offset);
    }

    [Fact]
    public async Task Reset_offsets_is_refused_while_the_group_has_members_and_the_group_is_listed()
    {
        var (group, topic) = await NewGroupAsync(partitions: 1);
        var partition = new TopicPartition(topic, 0);
        var a = await PlayedMember.JoinAsync(group, topic);

        await Assert.ThrowsAsync<NonEmptyGroupException>(() => group.ResetOffsetsAsync([new TopicPartitionOffset(partition, 1)]));
        Assert.Empty(await group.FetchOffsetsAsync([partition]));
        Assert.Contains(group.GetPrimaryKeyString(), await fixture.Broker.Admin.ListGroupsAsync());
        await group.LeaveAsync(a.Id);
        Assert.Equal(GroupState.Empty, (await group.DescribeAsync()).State);
    }

    [Fact]
    public async Task A_static_member_that_rejoins_keeps_its_assignment_without_a_rebalance_and_its_old_id_is_fenced()
    {
        var (group, topic) = await NewGroupAsync(partitions: 4);
        var a = await PlayedMember.JoinAsync(group, topic, instanceId: "instance-a");
        var b = await PlayedMember.JoinAsync(group, topic);
        await SettleAsync(group, a, b);
        var generation = (await group.DescribeAsync()).Generation;

        var restarted = await PlayedMember.JoinAsync(group, topic, instanceId: "instance-a");

        Assert.Equal(generation, restarted.Generation);
        Assert.Equal(a.Owned.Order(Comparer).ToList(), restarted.Owned.Order(Comparer).ToList());
        await Assert.ThrowsAsync<FencedInstanceIdException>(() => a.HeartbeatAsync());
        await Assert.ThrowsAsync<FencedInstanceIdException>(() => group.CommitOffsetsAsync(a.Id, generation, [new TopicPartitionOffset(a.Owned.First(), 1)]));
        Assert.Equal(generation, (await group.DescribeAsync()).Generation);
    }

    [Fact]
    public async Task The_group_tells_the_other_members_when_a_rebalance_starts_and_a_waiting_member_when_its_partitions_are_freed()
    {
        var (group, topic) = await NewGroupAsync(partitions: 6);
        var a = await PlayedMember.JoinAsync(group, topic, notices: new GroupNotices(fixture.Cluster.Client));
        var aHeard = a.Notices!.NextAsync();
        var b = await PlayedMember.JoinAsync(group, topic, notices: new GroupNotices(fixture.Cluster.Client));
        await aHeard.WaitAsync(Patience.Records, TestContext.Current.CancellationToken);

        // a learns its smaller assignment, then reports the partitions it gave up: b, which waits for them, is told.
        var bHeard = b.Notices!.NextAsync();
        await a.HeartbeatAsync();
        var heardBeforeRelease = b.Notices.Count;
        await a.HeartbeatAsync();
        await bHeard.WaitAsync(Patience.Records, TestContext.Current.CancellationToken);
        await b.HeartbeatAsync();

        Assert.Equal(0, heardBeforeRelease);
        Assert.Equal(1, a.Notices.Count);
        Assert.Equal([3, 3], new[] { a.Owned.Count, b.Owned.Count });
        a.Notices.Dispose();
        b.Notices.Dispose();
    }

    private static readonly Comparer<TopicPartition> Comparer = Comparer<TopicPartition>.Create((x, y) => x.Partition.CompareTo(y.Partition));

    private async Task<(IConsumerGroupGrain Group, string Topic)> NewGroupAsync(int partitions)
    {
        var topic = BrokerClusterFixture.NewTopic();
        await fixture.Broker.Admin.CreateTopicAsync(topic, new TopicConfig { Partitions = partitions });
        return (fixture.Group(GroupClusterFixture.NewGroup()), topic);
    }

    /// <summary>Heartbeats every member until the group is stable, checking after every step that no partition has two owners.</summary>
    private static async Task SettleAsync(IConsumerGroupGrain group, params PlayedMember[] members)
    {
        for (var round = 0; round < 10; round++)
        {
            foreach (var member in members)
            {
                await member.HeartbeatAsync();
                await AssertExclusiveAsync(group, members);
            }

            var described = await group.DescribeAsync();
            if (described.State == GroupState.Stable
                && members.All(m => m.Owned.SetEquals(described.Members.Single(d => d.MemberId == m.Id).Assignment)))
            {
                return;
            }
        }

        Assert.Fail("The group did not settle in 10 rounds of heartbeats.");
    }

    private static async Task AssertExclusiveAsync(IConsumerGroupGrain group, params PlayedMember[] members)
    {
        var owners = members.SelectMany(m => m.Owned.Select(p => (Partition: p, m.Id))).ToList();
        Assert.Equal(owners.Count, owners.Select(o => o.Partition).Distinct().Count());
        var described = await group.DescribeAsync();
        var assigned = described.Members.SelectMany(m => m.Assignment).ToList();
        Assert.Equal(assigned.Count, assigned.Distinct().Count());
        foreach (var (partition, id) in owners)
        {
            Assert.Contains(partition, described.Members.Single(m => m.MemberId == id).Assignment);
        }
    }
}
