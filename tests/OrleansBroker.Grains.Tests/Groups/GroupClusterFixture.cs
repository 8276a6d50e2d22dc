using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;
using OrleansBroker.Client;
using OrleansBroker.Grains.Tests.Cluster;

namespace OrleansBroker.Grains.Tests.Groups;

/// <summary>
/// A 2-silo broker cluster whose silos share one <see cref="FakeTimeProvider"/>, so that tests decide when sessions
/// expire. The client keeps real time: its heartbeats run every <see cref="HeartbeatInterval"/>.
/// </summary>
public sealed class GroupClusterFixture : IAsyncLifetime
{
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(50);
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("obroker-groups-").FullName;

    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public BrokerClient Broker { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = BrokerClusterFixture.CreateBuilder(_dataDirectory);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton<TimeProvider>(Clock);
            silo.Services.Configure<Options.BrokerOptions>(o => o.GroupHeartbeatInterval = HeartbeatInterval);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        Broker = new BrokerClient(Cluster.Client);
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Directory.Delete(_dataDirectory, recursive: true);
    }

    public IConsumerGroupGrain Group(string groupId) => Cluster.Client.GetGrain<IConsumerGroupGrain>(groupId);

    public static string NewGroup() => $"g-{Guid.NewGuid():N}";
}

[CollectionDefinition(Name)]
public sealed class GroupClusterDefinition : ICollectionFixture<GroupClusterFixture>
{
    public const string Name = "group cluster";
}
