using Orleans.TestingHost;
using OrleansBroker.Client;
using OrleansBroker.Grains.Hosting;

namespace OrleansBroker.Grains.Tests.Cluster;

/// <summary>
/// Two in-process silos running the broker on one shared temporary data directory (File log store and
/// file metadata storage), so a partition can fail over from one silo to the other and find its data.
/// </summary>
public sealed class BrokerClusterFixture : IAsyncLifetime
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("obroker-cluster-").FullName;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public BrokerClient Broker { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Cluster = CreateBuilder(_dataDirectory).Build();
        await Cluster.DeployAsync();
        Broker = new BrokerClient(Cluster.Client);
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Directory.Delete(_dataDirectory, recursive: true);
    }

    /// <summary>A cluster builder of <paramref name="silos"/> broker silos on <paramref name="dataDirectory"/>.</summary>
    public static InProcessTestClusterBuilder CreateBuilder(string dataDirectory, short silos = 2)
    {
        var builder = new InProcessTestClusterBuilder(silos);
        builder.ConfigureSilo((_, silo) => silo.AddOrleansBroker(options => options.Configure(o =>
        {
            o.DataDirectory = dataDirectory;
            o.MaxFetchWait = TimeSpan.FromSeconds(5);
        })));
        return builder;
    }

    /// <summary>A topic name no other test uses.</summary>
    public static string NewTopic(string prefix = "t") => $"{prefix}-{Guid.NewGuid():N}";
}

[CollectionDefinition(Name)]
public sealed class BrokerClusterDefinition : ICollectionFixture<BrokerClusterFixture>
{
    public const string Name = "broker cluster";
}
