using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.TestingHost;
using OrleansBroker.Grains.Options;
using OrleansBroker.Grains.Tests.Cluster;

namespace OrleansBroker.Grains.Tests.Groups;

/// <summary>
/// Real consumers in a cluster whose groups ask for a heartbeat only once an hour (capped at a third of the session:
/// every 10 minutes, every minute while partitions move). Partitions that move sooner are moved by the group's
/// notices. Each test runs its own cluster.
/// </summary>
public sealed class RebalanceNoticeTests : BrokerCluster
{
    private const int Partitions = 4;
    private static readonly TimeSpan Session = TimeSpan.FromMinutes(30);

    protected override void Configure(InProcessTestClusterBuilder builder) =>
        builder.ConfigureSilo((_, silo) => silo.Services.Configure<BrokerOptions>(o => o.GroupHeartbeatInterval = TimeSpan.FromHours(1)));

    [Fact]
    public async Task Members_give_up_partitions_to_each_newcomer_without_waiting_for_their_next_heartbeat()
    {
        var (topic, group, tracker) = await NewGroupAsync();
        var a = await StartQuietAsync("a", topic, group, tracker);

        var b = await StartAsync("b", topic, group, tracker);
        await tracker.SharedAsync(2, "a", "b");
        var c = await StartAsync("c", topic, group, tracker);
        var d = await StartAsync("d", topic, group, tracker);
        await tracker.SharedAsync(1, "a", "b", "c", "d");
        await ProduceAsync(topic, 400, 400);
        await tracker.SeenAsync(800);
        foreach (var member in new[] { a, b, c, d })
        {
            await member.StopAsync(leave: true);
        }

        Assert.True(tracker.Violations.Count == 0, string.Join("\n", tracker.Violations));
    }

    [Fact]
    public async Task A_group_grain_handed_over_to_a_new_activation_still_notifies_the_members_it_took_over()
    {
        var (topic, group, tracker) = await NewGroupAsync();
        var a = await StartQuietAsync("a", topic, group, tracker);

        // As on a silo shutting down: the next call finds a new activation, which takes the membership over.
        await Cluster.Client.GetGrain<IConsumerGroupGrain>(group).Cast<IGrainManagementExtension>().DeactivateOnIdle(TestContext.Current.CancellationToken);
        var b = await StartAsync("b", topic, group, tracker);
        await tracker.SharedAsync(2, "a", "b");
        await a.StopAsync(leave: true);
        await b.StopAsync(leave: true);

        Assert.True(tracker.Violations.Count == 0, string.Join("\n", tracker.Violations));
    }

    private async Task<(string Topic, string Group, OwnershipTracker Tracker)> NewGroupAsync()
    {
        var topic = BrokerClusterFixture.NewTopic();
        await Broker.Admin.CreateTopicAsync(topic, new TopicConfig { Partitions = Partitions });
        await ProduceAsync(topic, 0, 400);
        return (topic, GroupClusterFixture.NewGroup(), new OwnershipTracker());
    }

    /// <summary>
    /// Starts the group's first member and waits until it read every record and reported, in the heartbeat that follows
    /// taking them, that it owns every partition: it has no reason to heartbeat again for 10 minutes.
    /// </summary>
    private async Task<RunningMember> StartQuietAsync(string name, string topic, string group, OwnershipTracker tracker)
    {
        Task? ownsAll = null;
        var member = await RunningMember.StartAsync(Cluster.Client, name, topic, group, tracker, Session, c => ownsAll = c.NextHeartbeatAsync(owning: Partitions));
        await tracker.SeenAsync(400);
        await ownsAll!.WaitAsync(Patience.Records, TestContext.Current.CancellationToken);
        return member;
    }

    private Task<RunningMember> StartAsync(string name, string topic, string group, OwnershipTracker tracker) =>
        RunningMember.StartAsync(Cluster.Client, name, topic, group, tracker, Session);

    private Task ProduceAsync(string topic, int from, int count) => GroupTestData.ProduceAsync(Broker, topic, Partitions, from, count);
}
