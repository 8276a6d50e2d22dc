using Orleans.TestingHost;
using OrleansBroker.Client;
using OrleansBroker.Grains.Hosting;

namespace OrleansBroker.Grains.Tests.Cluster;

/// <summary>
/// In-process silos running the broker on one temporary data directory of their own (File log store and file metadata
/// storage), so a partition can fail over from one silo to another and find its data. Shared fixtures derive from it,
/// and so do test classes that need a cluster to themselves because they kill silos or move the clock.
/// </summary>
public abstract class BrokerCluster(short silos = 2) : IAsyncLifetime
{
    /// <summary>The directory every silo keeps its logs and metadata in; deleted with the cluster.</summary>
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("obroker-cluster-").FullName;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public BrokerClient Broker { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(silos);
        builder.ConfigureSilo((_, silo) => silo.AddOrleansBroker(options => options.Configure(o =>
        {
            o.DataDirectory = DataDirectory;
            o.MaxFetchWait = TimeSpan.FromSeconds(5);
        })));
        Configure(builder);
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        Broker = new BrokerClient(Cluster.Client);
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Directory.Delete(DataDirectory, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Adds to the silos' configuration before the cluster is built.</summary>
    protected virtual void Configure(InProcessTestClusterBuilder builder)
    {
    }
}
