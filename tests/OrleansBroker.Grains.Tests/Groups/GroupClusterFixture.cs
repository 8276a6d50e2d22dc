using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;
using OrleansBroker.Grains.State;
using OrleansBroker.Grains.Tests.Cluster;

namespace OrleansBroker.Grains.Tests.Groups;

/// <summary>
/// A 2-silo broker cluster whose silos share one <see cref="FakeTimeProvider"/>, so that tests decide when sessions
/// expire. The client keeps real time: its heartbeats run every <see cref="HeartbeatInterval"/>.
/// </summary>
public sealed class GroupClusterFixture : BrokerCluster
{
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(50);

    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override void Configure(InProcessTestClusterBuilder builder) =>
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton<TimeProvider>(Clock);
            silo.Services.Configure<Options.BrokerOptions>(o =>
            {
                o.GroupHeartbeatInterval = HeartbeatInterval;

                // The fake clock drives the groups' timers too: a delay would hold every new group until a test moves it.
                o.GroupInitialRebalanceDelay = TimeSpan.Zero;
            });
        });

    public IConsumerGroupGrain Group(string groupId) => Cluster.Client.GetGrain<IConsumerGroupGrain>(groupId);

    /// <summary>The group's state as its storage holds it now.</summary>
    public Task<ConsumerGroupState> ReadGroupStateAsync(string groupId) =>
        ReadStoredStateAsync<ConsumerGroupState>("group", Group(groupId).GetGrainId());

    /// <summary>
    /// Waits until the group's stored state satisfies <paramref name="condition"/>. A deactivation writes on its own
    /// schedule and says nothing when done, so this polls, up to a deadline.
    /// </summary>
    public async Task WaitForGroupStateAsync(string groupId, Func<ConsumerGroupState, bool> condition)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        while (!condition(await ReadGroupStateAsync(groupId)))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), deadline.Token);
        }
    }

    public static string NewGroup() => $"g-{Guid.NewGuid():N}";
}

[CollectionDefinition(Name)]
public sealed class GroupClusterDefinition : ICollectionFixture<GroupClusterFixture>
{
    public const string Name = "group cluster";
}
