using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;
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
            silo.Services.Configure<Options.BrokerOptions>(o => o.GroupHeartbeatInterval = HeartbeatInterval);
        });

    public IConsumerGroupGrain Group(string groupId) => Cluster.Client.GetGrain<IConsumerGroupGrain>(groupId);

    public static string NewGroup() => $"g-{Guid.NewGuid():N}";
}

[CollectionDefinition(Name)]
public sealed class GroupClusterDefinition : ICollectionFixture<GroupClusterFixture>
{
    public const string Name = "group cluster";
}
