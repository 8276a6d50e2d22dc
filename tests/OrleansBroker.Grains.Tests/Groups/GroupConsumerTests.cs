using Orleans.Core.Internal;
using OrleansBroker.Client.Consuming;
using OrleansBroker.Grains.Tests.Cluster;

namespace OrleansBroker.Grains.Tests.Groups;

/// <summary>Real <see cref="Consumer"/>s in groups; the silos' fake clock decides when a silent member's session ends.</summary>
[Collection(GroupClusterDefinition.Name)]
public sealed class GroupConsumerTests(GroupClusterFixture fixture)
{
    private const int Partitions = 6;
    private static readonly TimeSpan Session = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Members_that_join_leave_and_crash_process_every_record_at_least_once_and_never_share_a_partition()
    {
        var topic = await NewTopicAsync();
        var group = GroupClusterFixture.NewGroup();
        var tracker = new OwnershipTracker();
        var committed = new List<IReadOnlyDictionary<TopicPartition, long>>();
        await ProduceAsync(topic, 0, 600);
        var a = await StartAsync("a", topic, group, tracker);
        var b = await StartAsync("b", topic, group, tracker);
        var c = await StartAsync("c", topic, group, tracker);
        await tracker.SeenAsync(600);
        committed.Add(await CommittedAsync(group, topic));

        // b leaves in an orderly way and d joins.
        await b.StopAsync(leave: true);
        var d = await StartAsync("d", topic, group, tracker);
        await ProduceAsync(topic, 600, 600);
        await tracker.SeenAsync(1200);
        committed.Add(await CommittedAsync(group, topic));

        // c crashes: no leave, no commit, no heartbeat. Its partitions move once its session ends, not before.
        await c.StopAsync(leave: false);
        tracker.Crashed("c");
        await ProduceAsync(topic, 1200, 600);
        for (var step = 0; step < 2; step++)
        {
            // Advance less than a session, then wait for heartbeats sent after it: a and d stay, c's silence adds up.
            fixture.Clock.Advance(Session * 0.6);
            await Task.WhenAll(a.Connection.NextHeartbeatAsync(), d.Connection.NextHeartbeatAsync()).WaitAsync(Patience.Records, TestContext.Current.CancellationToken);
        }

        await tracker.SeenAsync(1800);
        committed.Add(await CommittedAsync(group, topic));
        var described = await fixture.Broker.Admin.DescribeGroupAsync(group);
        await a.StopAsync(leave: true);
        await d.StopAsync(leave: true);
        committed.Add(await CommittedAsync(group, topic));

        Assert.True(tracker.Violations.Count == 0, string.Join("\n", tracker.Violations));
        Assert.Equal(
            [.. Enumerable.Range(0, Partitions).SelectMany(p => Enumerable.Range(0, 300).Select(o => (p, (long)o)))],
            tracker.Seen.Order().ToList());
        Assert.Equal(
            new[] { a.MemberId, d.MemberId }.Order(StringComparer.Ordinal),
            described.Members.Select(m => m.MemberId).Order(StringComparer.Ordinal));
        foreach (var (earlier, later) in committed.Zip(committed.Skip(1)))
        {
            Assert.All(earlier, e => Assert.True(later[e.Key] >= e.Value, $"{e.Key} went back from {e.Value} to {later[e.Key]}"));
        }

        Assert.All(committed[^1], c => Assert.Equal(300, c.Value));
    }

    [Fact]
    public async Task Two_groups_on_one_topic_each_receive_every_record()
    {
        var topic = await NewTopicAsync();
        await ProduceAsync(topic, 0, 300);
        var first = new OwnershipTracker();
        var second = new OwnershipTracker();
        var members = new[]
        {
            await StartAsync("1a", topic, "first-" + topic, first),
            await StartAsync("1b", topic, "first-" + topic, first),
            await StartAsync("2a", topic, "second-" + topic, second),
        };

        await first.SeenAsync(300);
        await second.SeenAsync(300);
        foreach (var member in members)
        {
            await member.StopAsync(leave: true);
        }

        Assert.True(first.Violations.Count == 0, string.Join("\n", first.Violations));
        Assert.True(second.Violations.Count == 0, string.Join("\n", second.Violations));
        Assert.Equal(300, first.Seen.Count);
        Assert.Equal(300, second.Seen.Count);
    }

    [Fact]
    public async Task A_member_keeps_consuming_while_its_group_is_unreachable_and_commits_its_positions_once_it_is_back()
    {
        var topic = await NewTopicAsync();
        var group = GroupClusterFixture.NewGroup();
        var tracker = new OwnershipTracker();
        var member = await StartAsync("a", topic, group, tracker);
        await ProduceAsync(topic, 0, 300);
        await tracker.SeenAsync(300);

        // Commits and heartbeats now time out, as while the group grain moves to another silo; fetches still work.
        var commitCut = member.Connection.NextCutCallAsync(nameof(IConsumerGroupGrain.CommitOffsetsAsync));
        member.Connection.IsCut = true;
        await commitCut.WaitAsync(Patience.Records, TestContext.Current.CancellationToken);
        await ProduceAsync(topic, 300, 300);
        await tracker.SeenAsync(600);
        member.Connection.IsCut = false;
        await member.StopAsync(leave: true);

        Assert.True(tracker.Violations.Count == 0, string.Join("\n", tracker.Violations));
        Assert.All(await CommittedAsync(group, topic), c => Assert.Equal(100, c.Value));
    }

    [Fact]
    public async Task Members_keep_their_ids_and_partitions_when_the_group_grain_is_deactivated_in_an_orderly_way()
    {
        var topic = await NewTopicAsync();
        var group = GroupClusterFixture.NewGroup();
        var tracker = new OwnershipTracker();
        var a = await StartAsync("a", topic, group, tracker);
        var b = await StartAsync("b", topic, group, tracker);
        await ProduceAsync(topic, 0, 300);
        await tracker.SeenAsync(300);
        var before = await fixture.Broker.Admin.DescribeGroupAsync(group);

        // As on a silo shutting down: the next call finds a new activation, which takes the membership over.
        await fixture.Group(group).Cast<IGrainManagementExtension>().DeactivateOnIdle(TestContext.Current.CancellationToken);
        await Task.WhenAll(a.Connection.NextHeartbeatAsync(), b.Connection.NextHeartbeatAsync()).WaitAsync(Patience.Records, TestContext.Current.CancellationToken);
        var after = await fixture.Broker.Admin.DescribeGroupAsync(group);
        await ProduceAsync(topic, 300, 300);
        await tracker.SeenAsync(600);
        await a.StopAsync(leave: true);
        await b.StopAsync(leave: true);

        Assert.True(tracker.Violations.Count == 0, string.Join("\n", tracker.Violations));
        Assert.Equal(before.Members.Select(m => m.MemberId).Order(StringComparer.Ordinal), after.Members.Select(m => m.MemberId).Order(StringComparer.Ordinal));
        Assert.All(await CommittedAsync(group, topic), c => Assert.Equal(100, c.Value));
    }

    [Fact]
    public async Task A_member_silent_while_the_group_grain_was_deactivated_expires_when_its_session_would_have()
    {
        var topic = await NewTopicAsync();
        var group = GroupClusterFixture.NewGroup();
        var member = await StartAsync("a", topic, group, new OwnershipTracker());
        member.Connection.IsCut = true;

        await fixture.Group(group).Cast<IGrainManagementExtension>().DeactivateOnIdle(TestContext.Current.CancellationToken);
        await fixture.WaitForGroupStateAsync(group, s => s.Membership is not null);
        fixture.Clock.Advance(Session * 1.5);
        var described = await fixture.Broker.Admin.DescribeGroupAsync(group);
        await member.StopAsync(leave: false);

        Assert.Empty(described.Members);
        Assert.Null((await fixture.ReadGroupStateAsync(group)).Membership);
    }

    [Fact]
    public async Task A_member_the_group_cannot_notify_still_gives_up_partitions_at_its_heartbeats()
    {
        var topic = await NewTopicAsync();
        var group = GroupClusterFixture.NewGroup();
        var tracker = new OwnershipTracker();
        await ProduceAsync(topic, 0, 600);
        var a = await StartAsync("a", topic, group, tracker, connection => connection.ObserversUnreachable = true);
        await tracker.SeenAsync(600);

        // a owns every partition, and hears of the rebalances only from the answers to its heartbeats.
        var b = await StartAsync("b", topic, group, tracker);
        var c = await StartAsync("c", topic, group, tracker);
        await tracker.SharedAsync(2, "a", "b", "c");
        await ProduceAsync(topic, 600, 600);
        await tracker.SeenAsync(1200);
        foreach (var member in new[] { a, b, c })
        {
            await member.StopAsync(leave: true);
        }

        Assert.True(tracker.Violations.Count == 0, string.Join("\n", tracker.Violations));
        Assert.All(await CommittedAsync(group, topic), o => Assert.Equal(200, o.Value));
    }

    private async Task<string> NewTopicAsync()
    {
        var topic = BrokerClusterFixture.NewTopic();
        await fixture.Broker.Admin.CreateTopicAsync(topic, new TopicConfig { Partitions = Partitions });
        return topic;
    }

    private Task ProduceAsync(string topic, int from, int count) => GroupTestData.ProduceAsync(fixture.Broker, topic, Partitions, from, count);

    private async Task<IReadOnlyDictionary<TopicPartition, long>> CommittedAsync(string group, string topic) =>
        (await fixture.Broker.Admin.ListCommittedOffsetsAsync(group, Enumerable.Range(0, Partitions).Select(p => new TopicPartition(topic, p))))
            .ToDictionary(o => o.TopicPartition, o => o.Offset);

    private Task<RunningMember> StartAsync(string name, string topic, string group, OwnershipTracker tracker, Action<CuttableGroupConnection>? configure = null) =>
        RunningMember.StartAsync(fixture.Cluster.Client, name, topic, group, tracker, Session, configure);
}
