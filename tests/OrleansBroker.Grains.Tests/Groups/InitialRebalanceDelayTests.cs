using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;
using OrleansBroker.Grains.Options;
using OrleansBroker.Grains.Tests.Cluster;

namespace OrleansBroker.Grains.Tests.Groups;

/// <summary>The initial rebalance delay, on a cluster of its own whose fake clock drives the group's timers.</summary>
public sealed class InitialRebalanceDelayTests : BrokerCluster
{
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(5);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    protected override void Configure(InProcessTestClusterBuilder builder) =>
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton<TimeProvider>(_time);
            silo.Services.Configure<BrokerOptions>(o => o.GroupInitialRebalanceDelay = Delay);
        });

    [Fact]
    public async Task Members_that_join_a_new_group_within_the_delay_share_its_first_assignment_and_later_ones_join_without_waiting()
    {
        var topic = BrokerClusterFixture.NewTopic();
        await Broker.Admin.CreateTopicAsync(topic, new TopicConfig { Partitions = 6 });
        var group = Cluster.Client.GetGrain<IConsumerGroupGrain>(GroupClusterFixture.NewGroup());
        var first = new List<PlayedMember>();
        for (var i = 0; i < 3; i++)
        {
            first.Add(await PlayedMember.JoinAsync(group, topic, notices: new GroupNotices(Cluster.Client)));
        }

        await first[0].HeartbeatAsync();
        var ownedDuringDelay = first.Sum(m => m.Owned.Count);
        var told = first.Select(m => m.Notices!.NextAsync()).ToList();
        _time.Advance(Delay);
        await Task.WhenAll(told).WaitAsync(Patience.Records, TestContext.Current.CancellationToken);
        foreach (var member in first)
        {
            await member.HeartbeatAsync();
        }

        var firstAssignment = first.Select(m => m.Owned.Count).ToList();
        var late = await PlayedMember.JoinAsync(group, topic, notices: new GroupNotices(Cluster.Client));
        var lateTold = late.Notices!.NextAsync();
        foreach (var member in first)
        {
            await member.HeartbeatAsync();
            await member.HeartbeatAsync();
        }

        await lateTold.WaitAsync(Patience.Records, TestContext.Current.CancellationToken);
        await late.HeartbeatAsync();

        Assert.Equal(0, ownedDuringDelay);
        Assert.Equal([2, 2, 2], firstAssignment);
        Assert.NotEmpty(late.Owned);
        Assert.Equal(6, first.Sum(m => m.Owned.Count) + late.Owned.Count);
        foreach (var member in first.Append(late))
        {
            member.Notices!.Dispose();
        }
    }
}
